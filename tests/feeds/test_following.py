from __future__ import annotations

import pytest
from django.test import Client

from bridgenote.engage.models import Block, Follow, Mute
from bridgenote.feeds import services
from bridgenote.feeds.models import HybridAuthor, InboxEntry
from bridgenote.feeds.queries import BadCursor, following_page, parse_note_cursor
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei
from tests.feeds.conftest import follow, make_note, publish

pytestmark = pytest.mark.django_db


def titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.title for n in page.notes]


def test_following_feed_shows_followed_and_own_notes_newest_first() -> None:
    a, li, stranger = ava(), liwei(), UserFactory()
    follow(li, a)
    publish(a, "ava 1")
    publish(li, "mine")
    publish(stranger, "stranger")
    publish(a, "ava 2")
    assert titles(following_page(li, cursor=None)) == ["ava 2", "mine", "ava 1"]


def test_following_cursor_has_no_gaps_or_duplicates_while_notes_arrive() -> None:
    a, li = ava(), liwei()
    follow(li, a)
    first = [publish(a, f"old {i}") for i in range(25)]
    page1 = following_page(li, cursor=None, limit=10)
    # New notes arrive while 李伟 scrolls; they belong above page 1, not inside page 2.
    for i in range(7):
        publish(a, f"new {i}")
    seen = [n.pk for n in page1.notes]
    cursor = parse_note_cursor(page1.next_cursor)
    while cursor is not None:
        page = following_page(li, cursor=cursor, limit=10)
        seen.extend(n.pk for n in page.notes)
        cursor = parse_note_cursor(page.next_cursor)
    assert seen == sorted((n.pk for n in first), reverse=True)
    assert len(set(seen)) == len(seen)


def test_following_hides_private_pending_removed_and_blocked_notes() -> None:
    a, li, mean, noisy = ava(), liwei(), UserFactory(), UserFactory()
    for other in (a, mean, noisy):
        follow(li, other)
    publish(a, "public")
    publish(a, "private", visibility=Note.Visibility.PRIVATE)
    publish(a, "in review", moderation=Note.Moderation.PENDING)
    publish(a, "draft", status=Note.Status.DRAFT)
    later_removed = publish(a, "removed after fan-out")
    Note.objects.filter(pk=later_removed.pk).update(moderation=Note.Moderation.REMOVED)
    publish(mean, "from a blocker")
    Block.objects.create(blocker=mean, blocked=li)
    publish(noisy, "muted")
    Mute.objects.create(muter=li, muted=noisy)
    assert titles(following_page(li, cursor=None)) == ["public"]


def test_following_followers_only_note_reaches_followers_only() -> None:
    a, li, other = ava(), liwei(), UserFactory()
    follow(li, a)
    publish(a, "for followers", visibility=Note.Visibility.FOLLOWERS)
    assert titles(following_page(li, cursor=None)) == ["for followers"]
    assert titles(following_page(other, cursor=None)) == []


def test_fan_out_above_threshold_merges_at_read_time(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FEEDS_FANOUT_MAX_FOLLOWERS = 2
    star, small = UserFactory(handle="star"), UserFactory(handle="small")
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        Follow.objects.create(follower=fan, followee=star)
    for fan in fans[:2]:
        Follow.objects.create(follower=fan, followee=small)
    star_note = publish(star, "from the star")
    small_note = publish(small, "from small")
    assert HybridAuthor.objects.filter(user=star).exists()
    assert not HybridAuthor.objects.filter(user=small).exists()
    # The star's note is only in the star's own inbox; the small author's in all three.
    assert set(InboxEntry.objects.filter(note=star_note).values_list("user_id", flat=True)) == {
        star.pk
    }
    assert InboxEntry.objects.filter(note=small_note).count() == 3
    for fan in fans:
        expected = ["from small", "from the star"] if fan in fans[:2] else ["from the star"]
        assert titles(following_page(fan, cursor=None)) == expected


def test_follow_backfills_recent_notes_and_unfollow_removes_them() -> None:
    a, li = ava(), liwei()
    publish(a, "before the follow")
    follow(li, a)
    assert titles(following_page(li, cursor=None)) == ["before the follow"]
    Follow.objects.filter(follower=li, followee=a).delete()
    services.follow_changed(follower=li, followee=a, created=False)
    assert titles(following_page(li, cursor=None)) == []
    assert not InboxEntry.objects.filter(user=li, author=a).exists()


def test_follow_changed_enqueues_backfill_after_commit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    a, li = ava(), liwei()
    publish(a, "hello")
    with django_capture_on_commit_callbacks(execute=True):
        Follow.objects.create(follower=li, followee=a)
        services.follow_changed(follower=li, followee=a, created=True)
    assert titles(following_page(li, cursor=None)) == ["hello"]


def test_note_published_and_withdrawn_hooks_run_after_commit(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    a, li = ava(), liwei()
    Follow.objects.create(follower=li, followee=a)
    with django_capture_on_commit_callbacks(execute=True):
        note = make_note(a, "hooked")
        services.note_published(note=note)
    assert titles(following_page(li, cursor=None)) == ["hooked"]
    with django_capture_on_commit_callbacks(execute=True):
        Note.objects.filter(pk=note.pk).update(moderation=Note.Moderation.REMOVED)
        services.note_withdrawn(note=note)
    assert not InboxEntry.objects.filter(note_id=note.pk).exists()


def test_notes_sync_withdraws_a_batch_with_one_job_and_keeps_the_rest(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A rescan's batch: the notes it hid leave every inbox and the Discover pool through one
    withdraw job (not one per note); the notes still shown stay."""
    from bridgenote.feeds import tasks
    from bridgenote.feeds.models import DiscoverCandidate
    from bridgenote.notes.services import notes_sync

    a, li = ava(), liwei()
    follow(li, a)
    notes = [publish(a, f"n{i}") for i in range(5)]
    services.discover_refresh()
    assert DiscoverCandidate.objects.filter(note_id__in=[n.pk for n in notes]).count() == 5
    hidden, kept = notes[:3], notes[3:]
    Note.objects.filter(pk__in=[n.pk for n in hidden]).update(moderation=Note.Moderation.REMOVED)
    queued: list[tuple[object, tuple[object, ...]]] = []
    real = services.enqueue_on_commit

    def recording(task, *args):  # type: ignore[no-untyped-def]
        queued.append((task, args))
        real(task, *args)

    monkeypatch.setattr(services, "enqueue_on_commit", recording)
    with django_capture_on_commit_callbacks(execute=True):
        notes_sync(note_ids=[n.pk for n in notes])
    withdrawals = [args for task, args in queued if task is tasks.withdraw_notes]
    assert withdrawals == [([n.pk for n in hidden],)]
    assert titles(following_page(li, cursor=None)) == ["n4", "n3"]
    assert not InboxEntry.objects.filter(note_id__in=[n.pk for n in hidden]).exists()
    assert set(
        DiscoverCandidate.objects.filter(note_id__in=[n.pk for n in notes]).values_list(
            "note_id", flat=True
        )
    ) == {n.pk for n in kept}


def test_following_continues_below_inbox_window_by_merging(settings) -> None:  # type: ignore[no-untyped-def]
    from bridgenote.core.ids import id_at

    a, li = ava(), liwei()
    follow(li, a)
    old_ids = [id_at(1_750_000_000 + i) for i in range(3)]  # mid-2025: far outside the window
    for i, note_id in enumerate(old_ids):
        make_note(a, f"archive {i}", id=note_id)
    publish(a, "recent")
    page = following_page(li, cursor=None, limit=10)
    assert titles(page) == ["recent", "archive 2", "archive 1", "archive 0"]


@pytest.mark.parametrize("raw", ["abc", "-5", "0", "1" * 25, "１２３", "9" * 19])
def test_parse_note_cursor_rejects_garbage(raw: str) -> None:
    with pytest.raises(BadCursor):
        parse_note_cursor(raw)


def test_following_page_view_with_garbage_cursor_shows_first_page(client: Client) -> None:
    a, li = ava(), liwei()
    follow(li, a)
    publish(a, "visible title")
    client.force_login(li)
    response = client.get("/following/?cursor=%27%3B--")
    assert response.status_code == 200
    assert b"visible title" in response.content


def test_following_page_requires_login(client: Client) -> None:
    assert client.get("/following/").status_code == 302


def test_inbox_rebuild_recreates_the_inbox_from_follows_and_notes() -> None:
    a, li = ava(), liwei()
    Follow.objects.create(follower=li, followee=a)
    make_note(a, "written without fan-out")
    make_note(li, "mine")
    assert following_page(li, cursor=None).notes == []
    assert services.inbox_rebuild(user_id=li.pk) == 2
    assert titles(following_page(li, cursor=None)) == ["mine", "written without fan-out"]


def test_demo_populate_materialises_inboxes_and_the_discover_pool() -> None:
    from bridgenote.feeds import demo
    from bridgenote.feeds.models import DiscoverCandidate

    a, li = ava(), liwei()
    Follow.objects.create(follower=li, followee=a)
    make_note(a, "demo note")
    community: dict[str, object] = {}
    demo.populate(community)
    assert titles(following_page(li, cursor=None)) == ["demo note"]
    assert DiscoverCandidate.objects.count() == 1
    assert community["discover_pool"] == 1


def test_following_htmx_next_page_appends_cards_and_moves_the_sentinel(client: Client) -> None:
    a, li = ava(), liwei()
    follow(li, a)
    for i in range(25):
        publish(a, f"n{i}")
    client.force_login(li)
    first = client.get("/following/").content.decode()
    assert first.count('class="feed-item"') == 20
    cursor = following_page(li, cursor=None).next_cursor
    assert f"/following/?cursor={cursor}" in first
    more = client.get(f"/following/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert more.count('class="feed-item"') == 5
    assert 'id="feed-more"' in more
    assert 'hx-swap-oob="true"' in more
    assert "<html" not in more


def test_below_the_inbox_window_pages_read_in_time_slices_miss_nothing() -> None:
    from bridgenote.core.ids import id_at

    a, b, li = ava(), UserFactory(), liwei()
    follow(li, a)
    follow(li, b)
    # Old notes hours, days and years apart (the slices below the window double from a day),
    # two in the same millisecond's neighbourhood, and one of an account li does not follow.
    base = 1_790_000_000  # 2026-09: below the window, and every id after the id epoch (2025)
    offsets = [0, 1, 3_600, 86_000, 86_500, 400_000, 3_000_000, 40_000_000]
    expected = []
    for i, offset in enumerate(offsets):
        author = a if i % 2 else b
        make_note(author, f"old {i}", id=id_at(base - offset) + i)
        expected.append(f"old {i}")
    make_note(UserFactory(), "stranger", id=id_at(base - 500))
    make_note(li, "my old one", id=id_at(base - 50_000_000))
    expected.append("my old one")
    shown: list[str] = []
    cursor = None
    for _ in range(20):
        page = following_page(li, cursor=cursor, limit=2)
        shown += titles(page)
        if page.next_cursor is None:
            break
        cursor = int(page.next_cursor)
    assert shown == expected


def test_hybrid_authors_notes_across_the_window_merge_in_order_with_the_inbox() -> None:
    import time

    from bridgenote.core.ids import id_at

    star, small, li = UserFactory(handle="star2"), UserFactory(handle="small2"), liwei()
    follow(li, star)
    follow(li, small)
    HybridAuthor.objects.create(user=star)
    now = time.time()
    # The star's notes minutes, hours and weeks old (the merge reads doubling slices from
    # now: one day, two, four, ...); the small author's through the inbox, in between.
    expected = []
    for i, age in enumerate([60, 3_600, 90_000, 200_000, 700_000, 2_000_000]):
        author = star if i % 2 == 0 else small
        note = make_note(author, f"n{i}", id=id_at(now - age) + i)
        if author == small:
            InboxEntry.objects.create(user=li, note=note, author=small)
        expected.append(f"n{i}")
    shown: list[str] = []
    cursor = None
    for _ in range(10):
        page = following_page(li, cursor=cursor, limit=2)
        shown += titles(page)
        if page.next_cursor is None:
            break
        cursor = int(page.next_cursor)
    assert shown == expected
