from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from bridgenote.engage import services
from bridgenote.notes.models import Note
from bridgenote.notify import queries
from bridgenote.notify.models import Notification
from bridgenote.notify.services import mentioned_handles, notify_mentions
from tests.factories import UserFactory
from tests.notify.conftest import make_note

pytestmark = pytest.mark.django_db


def tabs_of(user: Any) -> dict[str, list[str]]:
    rows = Notification.objects.filter(recipient=user).order_by("pk")
    out: dict[str, list[str]] = {}
    for n in rows:
        out.setdefault(n.tab, []).append(n.verb)
    return out


def test_engagement_lands_in_the_right_tabs(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.like_create(user=liwei_user, note=ava_note)
    services.collect_create(user=liwei_user, note=ava_note)
    top = services.comment_create(author=ava_user, note=ava_note, body="Welcome!")
    services.comment_reply(author=liwei_user, reply_to=top, body="谢谢 @ava")
    services.comment_like_create(user=liwei_user, comment=top)
    assert tabs_of(ava_user) == {
        "follows": ["follow"],
        "likes": ["like", "collect", "comment_like"],
        "comments": ["reply"],  # the @ava mention in the reply is not told twice
    }


def test_no_notification_for_yourself(ava_user: Any, ava_note: Note) -> None:
    services.like_create(user=ava_user, note=ava_note)
    services.comment_create(author=ava_user, note=ava_note, body="me @ava")
    assert not Notification.objects.exists()


def test_like_unlike_like_notifies_once(liwei_user: Any, ava_note: Note) -> None:
    for _ in range(3):
        services.like_create(user=liwei_user, note=ava_note)
        services.like_delete(user=liwei_user, note=ava_note)
    assert Notification.objects.filter(verb="like").count() == 1


def test_muted_and_blocked_accounts_do_not_notify(
    ava_user: Any, liwei_user: Any, bob: Any, ava_note: Note
) -> None:
    services.mute_create(muter=ava_user, muted=bob)
    services.like_create(user=bob, note=ava_note)
    services.like_create(user=liwei_user, note=ava_note)
    services.block_create(blocker=ava_user, blocked=liwei_user)
    assert not Notification.objects.exists()  # liwei's like went with the block


def test_mentions_in_a_note_reach_only_people_who_can_see_it(
    ava_user: Any, liwei_user: Any, bob: Any
) -> None:
    note = make_note(liwei_user, body="Thanks @ava and @bob, email me at x@example.com @nobody")
    assert mentioned_handles(note.body) == ["ava", "bob", "nobody"]
    assert sorted(notify_mentions(note=note)) == sorted([ava_user.pk, bob.pk])
    assert notify_mentions(note=note) == []  # once per note
    private = make_note(liwei_user, body="@ava secret", visibility=Note.Visibility.PRIVATE)
    assert notify_mentions(note=private) == []


def test_grouped_sentence_uses_plurals(ava_user: Any, ava_note: Note) -> None:
    fans = [UserFactory(profile__display_name=f"fan{i}") for i in range(13)]
    for fan in fans:
        services.like_create(user=fan, note=ava_note)
    page = queries.notification_page(user=ava_user, tab="likes", cursor=None)
    assert len(page.groups) == 1
    assert page.groups[0].sentence == "fan12 and 12 others liked your note"
    with translation.override("zh-hans"):
        assert page.groups[0].sentence == "fan12 和其他 12 人赞了你的笔记"
    one = page.groups[0]
    one.actors, one.actor_count = one.actors[:2], 2
    assert one.sentence == "fan12 and 1 other liked your note"


def test_unread_count_is_one_query(
    ava_user: Any, liwei_user: Any, ava_note: Note, django_assert_num_queries: Any
) -> None:
    services.like_create(user=liwei_user, note=ava_note)
    services.follow_create(follower=liwei_user, followee=ava_user)
    with django_assert_num_queries(1):
        assert queries.unread_count(ava_user) == 2


def test_opening_a_tab_marks_it_read(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    services.like_create(user=liwei_user, note=ava_note)
    services.follow_create(follower=liwei_user, followee=ava_user)
    client = Client()
    client.force_login(ava_user)
    page = client.get("/notifications/?tab=likes").content.decode()
    assert "李伟 liked your note" in page
    assert queries.unread_by_tab(ava_user) == {"likes": 0, "follows": 1, "comments": 0}
    # the open page polls: nothing changed -> 204; a new comment -> the tabs again
    assert client.get("/notifications/poll?tab=likes&seen=1").status_code == 204
    services.comment_create(author=liwei_user, note=ava_note, body="好看")
    polled = client.get("/notifications/poll?tab=likes&seen=1")
    assert polled.status_code == 200 and 'class="tab-unread"' in polled.content.decode()
    badge = client.get("/notifications/badge").content.decode()
    assert "2 unread" in badge
    assert client.get("/notifications/?tab=likes&cursor=zz").status_code == 400


def test_deleted_comment_takes_its_notification(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    comment = services.comment_create(author=liwei_user, note=ava_note, body="oops")
    assert Notification.objects.filter(verb="comment").exists()
    services.comment_delete(user=liwei_user, comment=comment)
    assert not Notification.objects.exists()


def test_notifications_api(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    services.like_create(user=liwei_user, note=ava_note)
    client = Client()
    client.force_login(ava_user)
    assert client.get("/api/notifications/unread").json() == {
        "total": 1,
        "tabs": {"likes": 1, "follows": 0, "comments": 0},
    }
    page = client.get("/api/notifications/?tab=likes").json()
    assert page["items"][0]["text"] == "李伟 liked your note"
    assert client.get("/api/notifications/?tab=nope").json()["error"] == "bad_tab"
    assert client.get("/api/notifications/?cursor=1e9").json()["error"] == "bad_cursor"
    marked = client.post("/api/notifications/read", "{}", content_type="application/json")
    assert marked.json() == {"marked": 1}


def test_notify_moderation_many_writes_what_one_by_one_would() -> None:
    """Items about notes are written with one insert; comments and accounts one by one;
    gone content is skipped; an unknown outcome is refused before anything is written."""
    from django.utils import timezone

    from bridgenote.notify.services import notify_moderation_many

    author = UserFactory()
    note = Note.objects.create(
        author=author, title="t", body="b", status="published", published_at=timezone.now()
    )
    with pytest.raises(ValueError):
        notify_moderation_many([{"note_id": note.pk, "outcome": "nonsense"}])
    assert not Notification.objects.exists()
    written = notify_moderation_many(
        [
            {"note_id": note.pk, "outcome": "held", "category": "spam"},
            {"note_id": 1, "outcome": "held"},  # no such note
            {"note_id": None, "account_id": author.pk, "target": "account", "outcome": "warned"},
        ]
    )
    assert written == 2
    rows = {n.detail["target"]: n for n in Notification.objects.filter(recipient=author)}
    assert rows["note"].note_id == note.pk and rows["note"].detail["category"] == "spam"
    assert rows["note"].actor_id is None and rows["note"].tab == "comments"
    assert rows["account"].detail["outcome"] == "warned"


def test_notify_moderation_one_and_many_write_the_same_rows(
    ava_user: Any, liwei_user: Any, ava_note: Note, django_assert_num_queries: Any
) -> None:
    """One implementation: a batch about a note, a comment, a bio and an account is read in
    one query per kind and written in one insert, the same rows ``notify_moderation`` writes
    one by one; gone content is skipped."""
    from bridgenote.notify.services import notify_moderation, notify_moderation_many

    comment = services.comment_create(author=liwei_user, note=ava_note, body="评论")
    items: list[dict[str, Any]] = [
        {"note_id": ava_note.pk, "outcome": "removed", "reason_en": "Spam", "reason_zh": "垃圾"},
        {"note_id": None, "comment_id": comment.pk, "outcome": "held", "category": "spam"},
        {"note_id": None, "account_id": liwei_user.pk, "outcome": "held"},  # a bio
        {"note_id": None, "account_id": ava_user.pk, "target": "account", "outcome": "warned"},
        {"note_id": 1, "outcome": "held"},  # no such note
        {"note_id": None, "comment_id": 1, "outcome": "held"},  # no such comment
    ]

    def written() -> list[tuple[Any, ...]]:
        rows = Notification.objects.filter(verb="moderation").order_by("pk")
        found = [
            (n.recipient_id, n.note_id, n.comment_id, n.actor_id, n.tab, n.detail) for n in rows
        ]
        Notification.objects.filter(verb="moderation").delete()
        return found

    Notification.objects.all().delete()
    alone = [notify_moderation(**item) for item in items]
    assert [n is not None for n in alone] == [True, True, True, True, False, False]
    one_by_one = written()
    with django_assert_num_queries(4):  # comments, accounts, notes, the insert
        assert notify_moderation_many(items) == 4
    assert written() == one_by_one
    targets = [detail["target"] for *_, detail in one_by_one]
    assert targets == ["note", "comment", "bio", "account"]
    assert one_by_one[1][:3] == (liwei_user.pk, ava_note.pk, comment.pk)


def test_pages_read_the_badge_count_with_the_session(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    """The feed and note pages show the unread count read in the session's query (no query
    of their own), and a new notification shows on the next page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.like_create(user=liwei_user, note=ava_note)
    theirs = make_note(liwei_user)
    client = Client()
    client.force_login(ava_user)
    for path in ["/following/", "/", f"/notes/{theirs.pk}/"]:
        client.get(path)  # the page's parts rendered once
        with CaptureQueriesContext(connection) as captured:
            page = client.get(path).content.decode()
        assert "1 unread" in page, path
        sql = [q["sql"] for q in captured.captured_queries]
        assert [
            q for q in sql if q.startswith("SELECT COUNT") and "notify_notification" in q
        ] == [], path
        assert any('FROM "accounts_session"' in q and "notify_notification" in q for q in sql)
    services.follow_create(follower=liwei_user, followee=ava_user)
    assert "2 unread" in client.get("/following/").content.decode()
    assert "2 unread" in client.get(f"/notes/{theirs.pk}/").content.decode()
