"""Follows, blocks and mutes, an account's statuses, search, trends and translation through
the Mastodon API; and the IDOR sweep over every ID-taking route of the route table."""

import re

import pytest

from bridgenote.accounts.models import Profile
from bridgenote.api.mastodon.urls import ROUTES
from bridgenote.engage.models import Block, Follow, Mute
from bridgenote.engage.services import comment_create, follow_create, like_create
from bridgenote.feeds.services import discover_refresh
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from bridgenote.notify.models import Notification
from bridgenote.search.services import search_index_note, search_index_topic, search_index_user
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


def image(user, alt_text=""):
    return Attachment.objects.create(
        owner=user, kind="image", state="ready", width=640, height=480, mime="image/jpeg",
        alt_text=alt_text,
    )  # fmt: skip


def note_of(user, title="Morning tea", body="Oolong #tea", *, alt_text="", **kwargs):
    return note_create(
        author=user, title=title, body=body, attachment_ids=[image(user, alt_text).pk], **kwargs
    )


def post(client, url, headers, data=None):
    return client.post(url, data or {}, content_type="application/json", **headers)


# --- follow, block, mute ----------------------------------------------------------------------


def test_follow_and_unfollow_answer_the_relationship(client, bearer):
    me, li = ava(), liwei()
    headers = bearer(me, "write:follows")
    answer = post(client, f"/api/v1/accounts/{li.pk}/follow", headers)
    assert answer.status_code == 200
    assert answer.json()["id"] == str(li.pk)
    assert answer.json()["following"] is True and answer.json()["blocking"] is False
    assert Follow.objects.filter(follower=me, followee=li).exists()
    assert Profile.objects.get(user=li).follower_count == 1
    assert Notification.objects.filter(recipient=li, actor=me, verb="follow").exists()
    again = post(client, f"/api/v1/accounts/{li.pk}/follow", headers)
    assert again.json()["following"] is True
    assert Profile.objects.get(user=li).follower_count == 1  # idempotent
    undone = post(client, f"/api/v1/accounts/{li.pk}/unfollow", headers)
    assert undone.json()["following"] is False
    assert not Follow.objects.filter(follower=me, followee=li).exists()
    assert Profile.objects.get(user=li).follower_count == 0


def test_following_yourself_or_across_a_block_is_a_403_with_a_clear_message(client, bearer):
    me, li = ava(), liwei()
    headers = bearer(me)
    own = post(client, f"/api/v1/accounts/{me.pk}/follow", headers)
    assert own.status_code == 403
    assert own.json() == {"error": "You can't follow yourself."}
    Block.objects.create(blocker=li, blocked=me)
    blocked = post(client, f"/api/v1/accounts/{li.pk}/follow", headers)
    assert blocked.status_code == 403
    assert blocked.json() == {"error": "You can't interact with this account."}
    assert not Follow.objects.filter(follower=me).exists()
    # Blocking back and muting still work, and the relationship says who blocks whom.
    back = post(client, f"/api/v1/accounts/{li.pk}/block", headers).json()
    assert back["blocking"] is True and back["blocked_by"] is True
    assert post(client, f"/api/v1/accounts/{me.pk}/block", headers).status_code == 403
    assert post(client, f"/api/v1/accounts/{me.pk}/mute", headers).status_code == 403
    for missing in ("999999999999", "abc", "1" * 40):
        assert post(client, f"/api/v1/accounts/{missing}/follow", headers).status_code == 404


def test_following_in_chinese_answers_in_chinese(client, bearer):
    me = ava()
    answer = post(
        client, f"/api/v1/accounts/{me.pk}/follow", {**bearer(me), "HTTP_ACCEPT_LANGUAGE": "zh"}
    )
    assert answer.status_code == 403
    assert re.search(r"[\u4e00-\u9fff]", answer.json()["error"]), answer.json()


def test_block_ends_follows_both_ways_and_unblock_lifts_it(client, bearer):
    me, li = ava(), liwei()
    follow_create(follower=me, followee=li)
    follow_create(follower=li, followee=me)
    headers = bearer(me)
    blocked = post(client, f"/api/v1/accounts/{li.pk}/block", headers).json()
    assert blocked["blocking"] is True
    assert blocked["following"] is False and blocked["followed_by"] is False
    assert not Follow.objects.filter(follower=me, followee=li).exists()
    assert not Follow.objects.filter(follower=li, followee=me).exists()
    listed = client.get("/api/v1/blocks", **headers)
    assert [a["id"] for a in listed.json()] == [str(li.pk)]
    assert post(client, f"/api/v1/accounts/{li.pk}/unblock", headers).json()["blocking"] is False
    assert client.get("/api/v1/blocks", **headers).json() == []


def test_mute_and_unmute(client, bearer):
    me, li = ava(), liwei()
    headers = bearer(me)
    muted = post(client, f"/api/v1/accounts/{li.pk}/mute", headers).json()
    assert muted["muting"] is True and muted["muting_notifications"] is True
    assert Mute.objects.filter(muter=me, muted=li).exists()
    assert [a["id"] for a in client.get("/api/v1/mutes", **headers).json()] == [str(li.pk)]
    assert post(client, f"/api/v1/accounts/{li.pk}/unmute", headers).json()["muting"] is False
    assert not Mute.objects.filter(muter=me, muted=li).exists()


def test_blocks_and_mutes_lists_paginate_with_link_headers(client, bearer):
    me = ava()
    others = [UserFactory() for _ in range(3)]
    for other in others:
        Mute.objects.create(muter=me, muted=other)
    headers = bearer(me, "read:mutes")
    first = client.get("/api/v1/mutes", {"limit": 2}, **headers)
    assert [a["id"] for a in first.json()] == [str(others[2].pk), str(others[1].pk)]
    next_url = re.search(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    rest = client.get(next_url.split("testserver")[-1], **headers)
    assert [a["id"] for a in rest.json()] == [str(others[0].pk)]


def test_relationships_cover_every_field_and_keep_the_order_asked(client, bearer):
    me, li, bo = ava(), liwei(), UserFactory()
    Follow.objects.create(follower=li, followee=me)
    Mute.objects.create(muter=me, muted=bo)
    answer = client.get(
        "/api/v1/accounts/relationships", {"id[]": [bo.pk, li.pk, bo.pk]}, **bearer(me, "read")
    ).json()
    assert [r["id"] for r in answer] == [str(bo.pk), str(li.pk)]
    assert answer[0]["muting"] is True and answer[1]["followed_by"] is True
    assert set(answer[0]) >= {
        "following", "showing_reblogs", "notifying", "followed_by", "blocking", "blocked_by",
        "muting", "muting_notifications", "requested", "domain_blocking", "endorsed", "note",
    }  # fmt: skip


# --- an account's statuses --------------------------------------------------------------------


def test_account_statuses_lists_what_the_viewer_may_open(client, bearer):
    me, li = ava(), liwei()
    public = [note_of(li, title=f"Note {i}") for i in range(3)]
    private = note_of(li, title="Just me", visibility="private")
    followers = note_of(li, title="Friends", visibility="followers")
    url = f"/api/v1/accounts/{li.pk}/statuses"
    ids = [s["id"] for s in client.get(url).json()]
    assert ids == [str(n.pk) for n in reversed(public)]
    follow_create(follower=me, followee=li)
    mine = [s["id"] for s in client.get(url, **bearer(me)).json()]
    assert str(followers.pk) in mine and str(private.pk) not in mine
    own = [s["id"] for s in client.get(url, **bearer(li)).json()]
    assert str(private.pk) in own
    page = client.get(url, {"limit": 2})
    assert len(page.json()) == 2 and 'rel="next"' in page["Link"]
    assert client.get(url, {"pinned": "true"}).json() == []
    assert [s["id"] for s in client.get(url, {"tagged": "TEA", "limit": 1}).json()] == [
        str(public[2].pk)
    ]
    # With a token, the public route still checks its scope.
    assert client.get(url, **bearer(me, "write")).status_code == 403


# --- search -----------------------------------------------------------------------------------


def indexed(note):
    search_index_note(note_id=note.pk)
    for topic in note.topics.all():
        search_index_topic(topic_id=topic.pk)
    return note


def test_search_finds_accounts_statuses_and_hashtags(client, bearer):
    me, li = ava(), liwei()
    search_index_user(user_id=li.pk)
    found = indexed(note_of(li, title="Oolong tasting", body="Best oolong #oolong"))
    hidden = indexed(note_of(li, title="Secret oolong", body="oolong", visibility="private"))
    everything = client.get("/api/v2/search", {"q": "oolong"}, **bearer(me)).json()
    assert [s["id"] for s in everything["statuses"]] == [str(found.pk)]
    assert str(hidden.pk) not in {s["id"] for s in everything["statuses"]}
    assert everything["hashtags"][0]["name"] == "oolong"
    assert len(everything["hashtags"][0]["history"]) == 7
    assert everything["hashtags"][0]["history"][0]["uses"] == "1"
    people = client.get("/api/v2/search", {"q": "liw", "type": "accounts"}, **bearer(me)).json()
    assert [a["id"] for a in people["accounts"]] == [str(li.pk)]
    assert people["statuses"] == [] and people["hashtags"] == []
    assert client.get("/api/v2/search", {"q": "liw", "type": "accounts", "following": "true"},
                      **bearer(me)).json()["accounts"] == []  # fmt: skip
    assert client.get("/api/v2/search", {"q": "liw", "resolve": "true"}).status_code == 200


def test_search_pages_by_offset_and_limit(client, settings):
    settings.SEARCH_PAGE_SIZE = 2
    li = liwei()
    notes = [indexed(note_of(li, title=f"Jasmine {i}", body="jasmine")) for i in range(5)]
    seen = []
    for offset in (0, 2, 4):
        page = client.get(
            "/api/v2/search", {"q": "jasmine", "type": "statuses", "limit": 2, "offset": offset}
        ).json()["statuses"]
        seen += [s["id"] for s in page]
    assert sorted(seen) == sorted(str(n.pk) for n in notes)
    by_author = client.get(
        "/api/v2/search", {"q": "jasmine", "type": "statuses", "account_id": ava().pk}
    ).json()
    assert by_author["statuses"] == []


def test_search_bad_input_is_clear_and_never_a_500(client):
    assert client.get("/api/v2/search", {"q": ""}).json() == {
        "accounts": [], "statuses": [], "hashtags": [],
    }  # fmt: skip
    bad_type = client.get("/api/v2/search", {"q": "tea", "type": "videos"})
    assert bad_type.status_code == 422 and "type" in bad_type.json()["error"]
    assert client.get("/api/v2/search", {"q": "tea", "limit": "many"}).status_code == 422
    assert client.get("/api/v2/search", {"q": "x" * 5000}).status_code == 422
    assert client.get("/api/v2/search", {"q": "#"}).status_code == 200


def test_searching_too_fast_is_429(client, settings, bearer):
    settings.SEARCH_RATE_PER_MINUTE = 1
    headers = bearer(ava())
    codes = [client.get("/api/v2/search", {"q": "tea"}, **headers).status_code for _ in range(2)]
    assert codes == [200, 429]


# --- trends -----------------------------------------------------------------------------------


def test_trends_tags_and_statuses(client, bearer):
    me, li, bo = ava(), liwei(), UserFactory()
    tea = [note_of(li, title=f"Tea {i}", body="#tea") for i in range(3)]
    note_of(bo, title="Coffee", body="#coffee")
    for note in tea[:2]:
        like_create(user=bo, note=note)
    discover_refresh()
    tags = client.get("/api/v1/trends/tags")
    assert [t["name"] for t in tags.json()] == ["tea", "coffee"]
    assert tags.json()[0]["history"][0]["uses"] == "3"
    assert tags.json()[0]["history"][0]["accounts"] == "1"
    assert [t["name"] for t in client.get("/api/v1/trends", {"limit": 1}).json()] == ["tea"]
    assert 'rel="next"' in client.get("/api/v1/trends/tags", {"limit": 1})["Link"]
    popular = client.get("/api/v1/trends/statuses").json()
    assert {s["id"] for s in popular[:2]} == {str(tea[0].pk), str(tea[1].pk)}
    assert len(popular) == 4
    # Someone who blocked you is left out of your trends; a visitor still sees them.
    Block.objects.create(blocker=li, blocked=me)
    mine = client.get("/api/v1/trends/statuses", **bearer(me)).json()
    assert {s["account"]["id"] for s in mine} == {str(bo.pk)}
    assert client.get("/api/v1/trends/statuses", {"offset": 3}).json()[0]["account"]["id"]
    assert client.get("/api/v1/trends/links").json() == []


# --- translation ------------------------------------------------------------------------------


def test_translation_languages_and_the_instance_flag_follow_the_provider(client, llm):
    langs = client.get("/api/v1/instance/translation_languages").json()
    assert langs["zh"] == ["en"] and langs["en"] == ["zh"]
    assert client.get("/api/v2/instance").json()["configuration"]["translation"] == {
        "enabled": True
    }


def test_translation_is_off_without_a_provider(client, bearer):
    headers = bearer(ava())
    assert client.get("/api/v1/instance/translation_languages").json() == {}
    assert client.get("/api/v2/instance").json()["configuration"]["translation"] == {
        "enabled": False
    }
    note = note_of(liwei(), title="我想喝咖啡", body="今天天气很好，我们去公园散步吧。")
    answer = post(client, f"/api/v1/statuses/{note.pk}/translate", headers, {"lang": "en"})
    assert answer.status_code == 422
    answer = post(client, f"/api/v1/statuses/{note.pk}/translate", headers)
    assert answer.status_code == 503
    assert "not set up" in answer.json()["error"]


def test_translate_a_note_with_its_image_descriptions(client, bearer, llm):
    headers = bearer(ava())
    note = note_of(
        liwei(), title="我想喝咖啡", body="今天天气很好，我们去公园散步吧。", alt_text="你的",
        language="zh",
    )  # fmt: skip
    answer = post(client, f"/api/v1/statuses/{note.pk}/translate", headers, {"lang": "en"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["content"] == (
        "<p>I want to drink coffee<br>The weather is nice today, let&#x27;s walk in the park.</p>"
    )
    assert body["detected_source_language"] == "zh"
    assert body["provider"] == "fake-llm"
    assert body["media_attachments"] == [
        {"id": str(note.attachments.get().pk), "description": "your"}
    ]
    calls = len(llm.requests)
    again = post(client, f"/api/v1/statuses/{note.pk}/translate", headers, {"lang": "en"})
    assert again.json()["content"] == body["content"]
    assert len(llm.requests) == calls  # served from the translate app's cache


def test_translate_uses_the_authors_own_version_and_translates_comments(client, bearer, llm):
    headers = bearer(ava())
    li = liwei()
    note = note_of(li, title="咖啡", body="很好", language="zh")
    Note.objects.filter(pk=note.pk).update(
        alt_language="en", alt_title="Coffee", alt_body="Very <good>"
    )
    own = post(client, f"/api/v1/statuses/{note.pk}/translate", headers, {"lang": "en"})
    assert own.json()["content"] == "<p>Coffee<br>Very &lt;good&gt;</p>"
    assert own.json()["provider"] == "its author"
    assert llm.requests == []
    comment = comment_create(author=li, note=note, body="我想喝咖啡")
    translated = post(client, f"/api/v1/statuses/{comment.pk}/translate", headers)
    assert translated.json()["content"] == "<p>I want to drink coffee</p>"


def test_translate_failures_are_clear_errors(client, bearer, llm, settings):
    note = note_of(liwei(), title="我想喝咖啡", body="")
    url = f"/api/v1/statuses/{note.pk}/translate"
    headers = bearer(ava())
    llm.mode = "down"
    down = post(client, url, headers, {"lang": "en"})
    assert down.status_code == 503
    assert down.json() == {"error": "Translation unavailable, try again later."}
    assert post(client, url, headers, {"lang": "klingon"}).status_code == 422
    llm.mode = "faithful"
    settings.TRANSLATE_RATE_PER_HOUR = 0
    limited = post(client, url, headers, {"lang": "en"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


# --- the IDOR sweep ---------------------------------------------------------------------------

ID_ROUTES = [r for r in ROUTES if "<str:" in r.path and "<str:hashtag>" not in r.path]


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_idor_sweep_other_users_private_things_are_not_found(client, bearer, route):
    """Every ID-taking route, called by a user with every scope, with IDs of another user's
    private note, a comment on it, a followers-only note, their media and notification, and
    an account that blocks the caller: 404, and nothing changes."""
    me, li = ava(), liwei()
    private = note_of(li, visibility="private")
    comment = comment_create(author=li, note=private, body="note to self")
    followers_only = note_of(li, visibility="followers")
    media = image(li)
    notification = Notification.objects.create(
        recipient=li, actor=UserFactory(), verb="follow", tab="follows"
    )
    blocker = UserFactory()
    Block.objects.create(blocker=blocker, blocked=me)
    values = {
        "status_id": [private.pk, comment.pk, followers_only.pk],
        "media_id": [media.pk],
        "notification_id": [notification.pk],
        # Reading a profile that blocks you is 404; acting on it is a 403 (tested above), so
        # actions are swept with an account that does not exist.
        "account_id": [blocker.pk] if route.method == "GET" else [10**15],
    }
    name = re.search(r"<str:([a-z_]+)>", route.path).group(1)
    headers = bearer(me, "read write follow push")
    body = {"status": "changed", "description": "changed"}
    for value in values[name]:
        url = "/" + route.path.replace(f"<str:{name}>", str(value))
        response = getattr(client, route.method.lower())(
            url, body, content_type="application/json", **headers
        )
        assert response.status_code == 404, (url, response.status_code, response.content)
        assert response.json() == {"error": "Record not found"}
    private.refresh_from_db()
    assert private.title == "Morning tea"
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert Attachment.objects.get(pk=media.pk).alt_text == ""
