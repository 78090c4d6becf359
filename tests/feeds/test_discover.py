from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgenote.engage.models import Block, Follow
from bridgenote.feeds import ranking, services
from bridgenote.feeds.models import FeedPreferences
from bridgenote.feeds.queries import BadCursor
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei
from tests.feeds.conftest import make_note

pytestmark = pytest.mark.django_db


def user_speaking(*languages: str, **kwargs: Any) -> Any:
    return UserFactory(profile__languages_spoken=list(languages), **kwargs)


def all_pages(viewer: ranking.Viewer, channel: int | None = None, limit: int = 10) -> list[Note]:
    notes: list[Note] = []
    cursor = None
    while True:
        page = ranking.discover_page(viewer, channel=channel, cursor=cursor, limit=limit)
        notes.extend(page.notes)
        cursor = page.next_cursor
        if cursor is None:
            return notes


def viewer_of(user: Any) -> ranking.Viewer:
    return ranking.viewer_for(user, ui_language="en")


def test_discover_pages_never_repeat_a_note() -> None:
    authors = [UserFactory() for _ in range(6)]
    for i in range(45):
        make_note(authors[i % 6], f"n{i}", likes=i)
    services.discover_refresh()
    notes = all_pages(viewer_of(user_speaking("en")))
    assert len(notes) == 45
    assert len({n.pk for n in notes}) == 45


def test_discover_no_more_than_two_cards_in_a_row_from_one_author() -> None:
    star, other = UserFactory(), UserFactory()
    for i in range(12):
        make_note(star, f"star {i}", likes=1000 + i)  # far more engagement than anyone
    for i in range(6):
        make_note(other, f"other {i}")
    services.discover_refresh()
    authors = [n.author_id for n in all_pages(viewer_of(user_speaking("en")))]
    for i in range(2, len(authors)):
        assert not (authors[i] == authors[i - 1] == authors[i - 2]), authors


def test_interleave_defers_a_third_card_and_stops_when_only_one_author_is_left() -> None:
    c = [ranking.Candidate(i, 1 if i < 5 else 2, "en", (), 1.0) for i in range(7)]
    arranged = ranking.interleave(list(c), [], 0.3, limit=100)
    assert [x.author_id for x in arranged] == [1, 1, 2, 1, 1, 2, 1]


@pytest.mark.parametrize("mix", [0, 30, 60])
def test_discover_language_mix_share_follows_the_setting(mix: int) -> None:
    authors = [UserFactory() for _ in range(10)]
    for i in range(60):
        make_note(authors[i % 10], f"en {i}", language="en", likes=i % 7)
        make_note(authors[(i + 3) % 10], f"zh {i}", language="zh", likes=i % 5)
    services.discover_refresh()
    viewer_user = user_speaking("en")
    services.feed_preferences_update(user=viewer_user, language_mix=mix)
    page = ranking.discover_page(viewer_of(viewer_user), channel=None, cursor=None, limit=20)
    zh_share = sum(n.language == "zh" for n in page.notes) / len(page.notes)
    assert abs(zh_share - mix / 100) <= 0.05
    whys = {page.reasons[n.pk][0] for n in page.notes if n.language == "zh"}
    assert whys <= {ranking.WHY_COMMUNITY}


def test_discover_shows_only_discoverable_notes() -> None:
    a, li, blocker = ava(), liwei(), UserFactory()
    make_note(a, "ok")
    make_note(a, "private", visibility=Note.Visibility.PRIVATE)
    make_note(a, "followers", visibility=Note.Visibility.FOLLOWERS)
    make_note(a, "review", moderation=Note.Moderation.PENDING)
    make_note(a, "limited", moderation=Note.Moderation.LIMITED)
    make_note(a, "processing", media_ready=False)
    make_note(blocker, "from a blocker")
    hidden_later = make_note(a, "hidden after scoring")
    services.discover_refresh()
    Note.objects.filter(pk=hidden_later.pk).update(moderation=Note.Moderation.REMOVED)
    Block.objects.create(blocker=blocker, blocked=li)
    li.profile.languages_spoken = ["zh", "en"]
    li.profile.save()
    assert [n.title for n in all_pages(viewer_of(li))] == ["ok"]


def test_discover_newcomer_speaking_both_languages_sees_both_communities() -> None:
    for i in range(10):
        make_note(UserFactory(), f"en {i}", language="en")
        make_note(UserFactory(), f"zh {i}", language="zh", topics=("咖啡",))
    services.discover_refresh()
    newcomer = user_speaking("en", "zh")
    page = ranking.discover_page(viewer_of(newcomer), channel=None, cursor=None, limit=10)
    assert {n.language for n in page.notes} == {"en", "zh"}


def test_discover_affinity_ranks_followed_author_first_with_why_line() -> None:
    a, li = ava(), liwei()
    for i in range(5):
        make_note(UserFactory(), f"popular {i}", language="en", likes=1)
    make_note(a, "by ava", language="en")
    Follow.objects.create(follower=li, followee=a)
    li.profile.languages_spoken = ["en"]
    li.profile.save()
    services.discover_refresh()
    page = ranking.discover_page(viewer_of(li), channel=None, cursor=None)
    assert page.notes[0].title == "by ava"
    assert page.reasons[page.notes[0].pk][0] == ranking.WHY_FOLLOW


def test_discover_interest_chosen_by_newcomer_raises_its_topic() -> None:
    for i in range(6):
        make_note(UserFactory(), f"other {i}")
    coffee = make_note(UserFactory(), "coffee", topics=("coffee",))
    services.discover_refresh()
    newcomer = user_speaking("en")
    topic_id = coffee.topics.get().pk
    services.feed_preferences_update(user=newcomer, language_mix=30, interest_ids=[topic_id])
    page = ranking.discover_page(viewer_of(newcomer), channel=None, cursor=None)
    assert page.notes[0].title == "coffee"
    assert page.reasons[coffee.pk] == (ranking.WHY_TOPIC, str(topic_id))


def test_discover_topic_channel_only_has_that_topic() -> None:
    make_note(UserFactory(), "coffee 1", topics=("coffee",))
    make_note(UserFactory(), "tea", topics=("tea",))
    make_note(UserFactory(), "coffee 2", topics=("coffee", "tea"))
    services.discover_refresh()
    coffee = Note.objects.get(title="coffee 1").topics.get()
    notes = all_pages(viewer_of(user_speaking("en")), channel=coffee.pk)
    assert sorted(n.title for n in notes) == ["coffee 1", "coffee 2"]


def test_discover_rejects_forged_and_foreign_cursors() -> None:
    for i in range(25):
        make_note(UserFactory(), f"n{i}")
    services.discover_refresh()
    a, li = user_speaking("en"), user_speaking("en")
    page = ranking.discover_page(viewer_of(a), channel=None, cursor=None)
    assert page.next_cursor
    with pytest.raises(BadCursor):
        ranking.discover_page(viewer_of(a), channel=None, cursor=page.next_cursor + "x")
    with pytest.raises(BadCursor):
        ranking.discover_page(viewer_of(li), channel=None, cursor=page.next_cursor)
    with pytest.raises(BadCursor):
        ranking.discover_page(viewer_of(a), channel=None, cursor="garbage:20")


def test_discover_cursor_survives_a_lost_session_cache() -> None:
    from bridgenote.feeds import localcache

    for i in range(30):
        make_note(UserFactory(), f"n{i}", likes=i)
    services.discover_refresh()
    viewer = viewer_of(user_speaking("en"))
    page1 = ranking.discover_page(viewer, channel=None, cursor=None, limit=10)
    assert page1.next_cursor
    localcache.delete(f"feeds:discover:{page1.next_cursor.split(':')[0]}")
    page2 = ranking.discover_page(viewer, channel=None, cursor=page1.next_cursor, limit=10)
    assert not {n.pk for n in page1.notes} & {n.pk for n in page2.notes}


def test_trending_topics_counts_recent_discoverable_notes() -> None:
    from bridgenote.feeds.queries import trending_topics

    for _ in range(3):
        make_note(UserFactory(), "c", topics=("咖啡",))
    make_note(UserFactory(), "t", topics=("tea",))
    make_note(UserFactory(), "hidden", topics=("secret",), visibility=Note.Visibility.PRIVATE)
    assert [(t["name"], t["count"]) for t in trending_topics()] == [("咖啡", 3), ("tea", 1)]


def test_discover_page_renders_cards_with_why_and_next_page_trigger(client: Client) -> None:
    for i in range(25):
        make_note(UserFactory(), f"card {i}", language="zh", topics=("咖啡",))
    services.discover_refresh()
    client.force_login(user_speaking("en", "zh"))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="feed-item"') == 20
    assert "Popular in #咖啡" in html
    assert 'hx-trigger="revealed"' in html
    assert "#咖啡" in html  # channel tab / trending


def test_discover_page_in_chinese_translates_the_why_line(client: Client) -> None:
    make_note(UserFactory(), "英语", language="en")
    services.discover_refresh()
    client.force_login(user_speaking("zh"))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "来自英语社区" in response.content.decode()


def test_discover_view_with_forged_cursor_shows_first_page(client: Client) -> None:
    make_note(UserFactory(), "first page note")
    services.discover_refresh()
    response = client.get("/?cursor=forged&channel=zzz", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "first page note" in response.content.decode()


def test_preferences_form_saves_and_reports_errors_next_to_the_field(client: Client) -> None:
    user = user_speaking("en")
    client.force_login(user)
    response = client.post("/discover/preferences/", {"language_mix": "55", "interests": ""})
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    response = client.post(
        "/discover/preferences/", {"language_mix": "50", "interests": "#nothing"}
    )
    assert response.status_code == 400
    assert "#nothing" in response.content.decode()  # what the user typed is kept
    make_note(UserFactory(), "c", topics=("coffee",))
    response = client.post("/discover/preferences/", {"language_mix": "50", "interests": "#Coffee"})
    assert response.status_code == 302
    prefs = FeedPreferences.objects.get(user=user)
    assert prefs.language_mix == 50
    assert [t.name for t in prefs.interests.all()] == ["coffee"]


def test_the_settings_form_shows_the_saved_mix_read_with_the_session(client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = user_speaking("en")
    client.force_login(user)
    make_note(UserFactory(), "c", topics=("coffee",))
    services.discover_refresh()
    assert 'value="30" selected' in client.get("/").content.decode()  # nothing saved
    response = client.post("/discover/preferences/", {"language_mix": "50", "interests": "#Coffee"})
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/").content.decode()
    assert 'value="50" selected' in page and 'value="#coffee"' in page
    sql = [q["sql"] for q in captured.captured_queries]
    # The form's look-up of the mix (the ranking's own reads of the preferences aside).
    assert not [q for q in sql if 'FROM "feeds_feedpreferences"' in q and q.endswith("LIMIT 1")]
    assert any('FROM "accounts_session"' in q and "feeds_feedpreferences" in q for q in sql)
    FeedPreferences.objects.filter(user=user).update(language_mix=0)
    assert 'value="0" selected' in client.get("/").content.decode()  # nothing kept
