"""Statuses, media and timelines of the Mastodon API through the Django test client."""

import re
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bridgenote.api.mastodon.statuses import split_status
from bridgenote.engage.models import Collect, Comment, Follow, Like
from bridgenote.engage.services import comment_create
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from tests.factories import UserFactory, ava, liwei
from tests.media.conftest import photo

pytestmark = pytest.mark.django_db


def image(user, **fields):
    folder = f"attachments/{secrets.token_hex(4)}"
    values = {
        "kind": "image", "state": "ready", "width": 1200, "height": 900, "mime": "image/jpeg",
        "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "folder": folder,
        "renditions": {
            "large": {"name": f"{folder}/large.jpg", "width": 1200, "height": 900},
            "card": {"name": f"{folder}/card.jpg", "width": 400, "height": 300},
        },
    }  # fmt: skip
    return Attachment.objects.create(owner=user, **(values | fields))


def note_of(user, title="Morning tea", body="Oolong #tea", **kwargs):
    kwargs.setdefault("attachment_ids", [image(user).pk])
    return note_create(author=user, title=title, body=body, **kwargs)


def post(client, url, data, headers, **extra):
    return client.post(url, data, content_type="application/json", **headers, **extra)


# --- serializer -------------------------------------------------------------------------------


def test_note_status_has_title_line_links_media_in_order_and_viewer_state(client, bearer):
    me, li = ava(), liwei()
    first, second = image(me, alt_text="A cup"), image(me, alt_text="A pot")
    note = note_of(
        me, body="Oolong <b>#tea</b> with @liwei", attachment_ids=[second.pk, first.pk],
        language="en",
    )  # fmt: skip
    Like.objects.create(user=li, note=note)
    Note.objects.filter(pk=note.pk).update(like_count=1, comment_count=2)
    body = client.get(f"/api/v1/statuses/{note.pk}", **bearer(li)).json()
    assert body["id"] == str(note.pk)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])
    assert body["content"].startswith("<p>Morning tea<br>Oolong &lt;b&gt;")
    assert 'class="mention hashtag" rel="tag">#<span>tea</span></a>' in body["content"]
    assert 'class="u-url mention">@<span>liwei</span>' in body["content"]
    assert "<b>" not in body["content"]
    assert body["visibility"] == "public"
    assert body["language"] == "en"
    assert body["spoiler_text"] == ""
    assert [m["id"] for m in body["media_attachments"]] == [str(second.pk), str(first.pk)]
    media = body["media_attachments"][0]
    assert media["type"] == "image"
    assert media["url"].endswith(f"{second.folder}/large.jpg")
    assert media["preview_url"].endswith(f"{second.folder}/card.jpg")
    assert media["meta"]["original"]["width"] == 1200
    assert media["meta"]["small"] == {"width": 400, "height": 300, "size": "400x300",
                                      "aspect": round(4 / 3, 6)}  # fmt: skip
    assert media["description"] == "A pot"
    assert media["blurhash"] == "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    assert (body["favourites_count"], body["replies_count"], body["reblogs_count"]) == (1, 2, 0)
    assert body["favourited"] is True and body["bookmarked"] is False
    assert body["account"]["username"] == "ava"
    assert body["tags"][0]["name"] == "tea"
    assert body["mentions"][0]["username"] == "liwei"
    assert body["url"].endswith(f"/notes/{note.pk}/")
    assert body["edited_at"] is None
    assert client.get(f"/api/v1/statuses/{note.pk}").json()["favourited"] is False


def test_visibility_is_mapped_to_mastodon_names(client, bearer):
    me = ava()
    followers = note_of(me, visibility="followers")
    private = note_of(me, visibility="private")
    headers = bearer(me)
    assert client.get(f"/api/v1/statuses/{followers.pk}", **headers).json()["visibility"] == (
        "private"
    )
    assert client.get(f"/api/v1/statuses/{private.pk}", **headers).json()["visibility"] == "direct"


def test_comment_and_reply_are_statuses_in_reply_to_note_and_comment(client):
    me, li = ava(), liwei()
    note = note_of(me)
    comment = comment_create(author=li, note=note, body="Lovely <3")
    reply = comment_create(author=me, note=note, body="Thanks!", reply_to=comment)
    body = client.get(f"/api/v1/statuses/{comment.pk}").json()
    assert body["in_reply_to_id"] == str(note.pk)
    assert body["in_reply_to_account_id"] == str(me.pk)
    assert body["content"] == "<p>Lovely &lt;3</p>"
    answer = client.get(f"/api/v1/statuses/{reply.pk}").json()
    assert answer["in_reply_to_id"] == str(comment.pk)
    assert answer["in_reply_to_account_id"] == str(li.pk)
    context = client.get(f"/api/v1/statuses/{note.pk}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(comment.pk), str(reply.pk)]
    up = client.get(f"/api/v1/statuses/{reply.pk}/context").json()
    assert [s["id"] for s in up["ancestors"]] == [str(note.pk), str(comment.pk)]


# --- media ------------------------------------------------------------------------------------


def test_media_upload_is_202_while_processing_then_200_when_ready(
    client, bearer, django_capture_on_commit_callbacks
):
    me = ava()
    headers = bearer(me, "write:media")
    upload = SimpleUploadedFile("p.jpg", photo((320, 240)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=False):
        pending = client.post("/api/v2/media", {"file": upload, "description": "Tea"}, **headers)
    assert pending.status_code == 202, pending.content
    assert pending.json()["url"] is None
    assert pending.json()["description"] == "Tea"
    pending_id = pending.json()["id"]
    assert client.get(f"/api/v1/media/{pending_id}", **headers).status_code == 206
    upload = SimpleUploadedFile("p.jpg", photo((320, 240)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post("/api/v2/media", {"file": upload}, **headers)
    assert queued.status_code == 202, queued.content
    done = client.get(f"/api/v1/media/{queued.json()['id']}", **headers)
    assert done.status_code == 200, done.content
    assert done.json()["type"] == "image"
    assert done.json()["url"] and done.json()["preview_url"]
    assert done.json()["meta"]["original"]["width"] == 320
    assert done.json()["blurhash"]


def test_media_bad_file_and_missing_file_are_422(client, bearer):
    headers = bearer(ava(), "write:media")
    bad = SimpleUploadedFile("p.jpg", b"not an image at all", content_type="image/jpeg")
    assert client.post("/api/v2/media", {"file": bad}, **headers).status_code == 422
    missing = client.post("/api/v2/media", {"description": "x"}, **headers)
    assert missing.status_code == 422
    assert "File" in missing.json()["error"]


def test_media_of_another_user_is_404_and_description_updates(client, bearer):
    me, li = ava(), liwei()
    mine, theirs = image(me), image(li)
    headers = bearer(me, "write:media")
    assert client.get(f"/api/v1/media/{theirs.pk}", **headers).status_code == 404
    assert client.put(f"/api/v1/media/{theirs.pk}", {"description": "x"},
                      content_type="application/json", **headers).status_code == 404  # fmt: skip
    changed = client.put(f"/api/v1/media/{mine.pk}", "description=Green+tea",
                         content_type="application/x-www-form-urlencoded", **headers)  # fmt: skip
    assert changed.json()["description"] == "Green tea"
    mine.refresh_from_db()
    assert mine.alt_text == "Green tea"


# --- statuses ---------------------------------------------------------------------------------


def test_split_status_first_line_is_title_only_when_it_fits(settings):
    settings.NOTE_TITLE_MAX = 10
    assert split_status("Short\nThe body\nmore") == ("Short", "The body\nmore")
    assert split_status("This first line is too long\nbody") == (
        "",
        "This first line is too long\nbody",
    )


def test_post_status_creates_a_note_with_media_language_and_visibility(client, bearer):
    me = ava()
    a, b = image(me), image(me)
    answer = post(client, "/api/v1/statuses", {
        "status": "Tea time\nOolong #tea", "media_ids": [str(a.pk), str(b.pk)],
        "language": "zh", "visibility": "private",
    }, bearer(me, "write:statuses"))  # fmt: skip
    assert answer.status_code == 200, answer.content
    note = Note.objects.get(pk=answer.json()["id"])
    assert (note.title, note.body, note.language) == ("Tea time", "Oolong #tea", "zh")
    assert note.visibility == "followers"
    assert answer.json()["visibility"] == "private"
    assert [m["id"] for m in answer.json()["media_attachments"]] == [str(a.pk), str(b.pk)]
    assert answer.json()["text"] == "Tea time\nOolong #tea"


def test_post_status_refuses_foreign_unknown_used_media_and_missing_media(client, bearer):
    me, li = ava(), liwei()
    headers = bearer(me, "write:statuses")
    for media_ids in (
        [str(image(li).pk)],
        ["999999999999"],
        ["abc"],
        [str(note_of(me).attachments.first().pk)],
    ):
        answer = post(client, "/api/v1/statuses", {"status": "x", "media_ids": media_ids}, headers)
        assert answer.status_code == 422, media_ids
        assert answer.json()["error"].startswith("Validation failed")
    no_media = post(client, "/api/v1/statuses", {"status": "Just words"}, headers)
    assert no_media.status_code == 422
    assert no_media.json()["error"] == (
        "Validation failed: Add at least one photo or a video to publish this note."
    )
    assert Note.objects.filter(author=me).count() == 1


def test_post_status_in_reply_to_makes_comments_and_replies(client, bearer):
    me, li = ava(), liwei()
    note = note_of(li)
    headers = bearer(me, "write:statuses")
    comment = post(client, "/api/v1/statuses",
                   {"status": "Nice!", "in_reply_to_id": str(note.pk)}, headers)  # fmt: skip
    assert comment.status_code == 200, comment.content
    assert comment.json()["in_reply_to_id"] == str(note.pk)
    reply = post(client, "/api/v1/statuses",
                 {"status": "Also", "in_reply_to_id": comment.json()["id"]}, headers)  # fmt: skip
    stored = Comment.objects.get(pk=reply.json()["id"])
    assert stored.reply_to_id == int(comment.json()["id"])
    hidden = note_of(li, visibility="private")
    refused = post(client, "/api/v1/statuses",
                   {"status": "Hi", "in_reply_to_id": str(hidden.pk)}, headers)  # fmt: skip
    assert refused.status_code == 404


def test_idempotency_key_returns_the_same_status(client, bearer):
    me = ava()
    headers = bearer(me, "write:statuses")
    data = {"status": "Once", "media_ids": [str(image(me).pk)]}
    first = post(client, "/api/v1/statuses", data, headers, HTTP_IDEMPOTENCY_KEY="k1")
    again = post(client, "/api/v1/statuses", data, headers, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["id"] == again.json()["id"]
    assert Note.objects.filter(author=me).count() == 1


def test_private_note_and_its_comments_are_404_to_others(client, bearer):
    me, li = ava(), liwei()
    private = note_of(li, visibility="private")
    comment = comment_create(author=li, note=private, body="to myself")
    headers = bearer(me)
    for status_id in (private.pk, comment.pk):
        assert client.get(f"/api/v1/statuses/{status_id}", **headers).status_code == 404
        assert client.delete(f"/api/v1/statuses/{status_id}", **headers).status_code == 404
        assert (
            post(client, f"/api/v1/statuses/{status_id}/favourite", {}, headers).status_code == 404
        )
    assert client.get(f"/api/v1/statuses/{private.pk}", **bearer(li)).status_code == 200


def test_delete_is_for_the_author_only(client, bearer):
    me, li = ava(), liwei()
    note = note_of(li)
    assert client.delete(f"/api/v1/statuses/{note.pk}", **bearer(me)).status_code == 404
    gone = client.delete(f"/api/v1/statuses/{note.pk}", **bearer(li))
    assert gone.status_code == 200
    assert gone.json()["text"].startswith("Morning tea")
    assert not Note.objects.filter(pk=note.pk).exists()


def test_favourite_bookmark_and_their_undo(client, bearer):
    me, li = ava(), liwei()
    note = note_of(li)
    headers = bearer(me)
    liked = post(client, f"/api/v1/statuses/{note.pk}/favourite", {}, headers).json()
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    saved = post(client, f"/api/v1/statuses/{note.pk}/bookmark", {}, headers).json()
    assert saved["bookmarked"] is True
    assert Collect.objects.get(user=me, note=note).board.is_default
    by = client.get(f"/api/v1/statuses/{note.pk}/favourited_by").json()
    assert [a["username"] for a in by] == ["ava"]
    assert [s["id"] for s in client.get("/api/v1/favourites", **headers).json()] == [str(note.pk)]
    assert [s["id"] for s in client.get("/api/v1/bookmarks", **headers).json()] == [str(note.pk)]
    undone = post(client, f"/api/v1/statuses/{note.pk}/unfavourite", {}, headers).json()
    assert undone["favourited"] is False and undone["favourites_count"] == 0
    assert (
        post(client, f"/api/v1/statuses/{note.pk}/unbookmark", {}, headers).json()["bookmarked"]
        is False
    )
    assert client.get("/api/v1/bookmarks", **headers).json() == []


# --- timelines --------------------------------------------------------------------------------


def follow_link(response, rel):
    return re.search(rf'<([^>]+)>; rel="{rel}"', response["Link"]).group(1).split("testserver")[-1]


def test_public_and_tag_timelines_paginate_with_link_headers(client):
    me = ava()
    notes = [note_of(me, title=f"n{i}", body="#tea") for i in range(5)]
    private = note_of(me, body="#tea", visibility="followers")
    first = client.get("/api/v1/timelines/public", {"limit": 2})
    assert [s["id"] for s in first.json()] == [str(notes[4].pk), str(notes[3].pk)]
    second = client.get(follow_link(first, "next"))
    assert [s["id"] for s in second.json()] == [str(notes[2].pk), str(notes[1].pk)]
    newer = client.get("/api/v1/timelines/public", {"min_id": notes[1].pk, "limit": 2})
    assert [s["id"] for s in newer.json()] == [str(notes[3].pk), str(notes[2].pk)]
    since = client.get("/api/v1/timelines/public", {"since_id": notes[2].pk})
    assert [s["id"] for s in since.json()] == [str(notes[4].pk), str(notes[3].pk)]
    tagged = client.get("/api/v1/timelines/tag/TEA", {"limit": 40}).json()
    assert str(private.pk) not in [s["id"] for s in tagged]
    assert len(tagged) == 5
    assert client.get("/api/v1/timelines/tag/nothing").json() == []


def test_home_timeline_is_the_following_feed(client, bearer):
    me, li, stranger = ava(), liwei(), UserFactory()
    Follow.objects.create(follower=me, followee=li)
    theirs = note_of(li, visibility="followers")
    note_of(stranger)
    mine = note_of(me)
    for note in (theirs, mine):
        from bridgenote.feeds.services import note_fan_out

        note_fan_out(note_id=note.pk)
    home = client.get("/api/v1/timelines/home", **bearer(me, "read:statuses"))
    assert [s["id"] for s in home.json()] == [str(mine.pk), str(theirs.pk)]
    newer = client.get(
        "/api/v1/timelines/home", {"since_id": theirs.pk}, **bearer(me, "read:statuses")
    )
    assert [s["id"] for s in newer.json()] == [str(mine.pk)]


def test_scheduled_statuses_and_polls_are_refused_not_ignored(client, bearer):
    me = ava()
    headers = bearer(me, "write:statuses")
    base = {"status": "Later", "media_ids": [str(image(me).pk)]}
    later = post(client, "/api/v1/statuses", base | {"scheduled_at": "2030-01-01T00:00:00Z"},
                 headers)  # fmt: skip
    assert later.status_code == 422
    poll = post(client, "/api/v1/statuses", base | {"poll": {"options": ["a", "b"],
                "expires_in": 3600}}, headers)  # fmt: skip
    assert poll.status_code == 422
    assert not Note.objects.filter(author=me).exists()


def test_public_timeline_queries_do_not_grow_with_the_page(
    client, bearer, django_assert_max_num_queries
):
    me, li = ava(), liwei()
    headers = bearer(li)
    for i in range(3):
        note_of(me, title=f"n{i}", attachment_ids=[image(me).pk, image(me).pk])
    client.get("/api/v1/timelines/public", **headers)  # warm caches (token, default board)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/timelines/public", **headers).json()) == 3
    for i in range(12):
        note_of(me, title=f"m{i}", attachment_ids=[image(me).pk])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get("/api/v1/timelines/public", **headers).json()) == 15


def test_edit_changes_text_media_and_language_and_keeps_the_rest(client, bearer):
    me, li = ava(), liwei()
    kept, added = image(me), image(me)
    note = note_of(me, attachment_ids=[kept.pk])
    headers = bearer(me, "read write")
    source = client.get(f"/api/v1/statuses/{note.pk}/source", **headers).json()
    assert source == {"id": str(note.pk), "text": "Morning tea\nOolong #tea", "spoiler_text": ""}
    edited = client.put(f"/api/v1/statuses/{note.pk}", {
        "status": "Evening tea\nPu-erh", "media_ids": [str(added.pk), str(kept.pk)],
        "language": "en",
    }, content_type="application/json", **headers)  # fmt: skip
    assert edited.status_code == 200, edited.content
    assert [m["id"] for m in edited.json()["media_attachments"]] == [str(added.pk), str(kept.pk)]
    assert edited.json()["edited_at"] is not None
    note.refresh_from_db()
    assert (note.title, note.body, note.language) == ("Evening tea", "Pu-erh", "en")
    only_language = client.put(f"/api/v1/statuses/{note.pk}", {"language": "zh"},
                               content_type="application/json", **headers)  # fmt: skip
    assert only_language.status_code == 200
    note.refresh_from_db()
    assert (note.title, note.language) == ("Evening tea", "zh")
    foreign = client.put(f"/api/v1/statuses/{note.pk}", {"media_ids": [str(image(li).pk)]},
                         content_type="application/json", **headers)  # fmt: skip
    assert foreign.status_code == 422
    theirs = client.put(f"/api/v1/statuses/{note.pk}", {"status": "mine now"},
                        content_type="application/json", **bearer(li))  # fmt: skip
    assert theirs.status_code == 404
    assert client.get(f"/api/v1/statuses/{note.pk}/source", **bearer(li)).status_code == 404


def test_get_many_statuses_skips_what_you_may_not_see(client, bearer):
    me, li = ava(), liwei()
    public, private = note_of(li), note_of(li, visibility="private")
    answer = client.get("/api/v1/statuses", {"id[]": [private.pk, public.pk, "junk"]},
                        **bearer(me))  # fmt: skip
    assert [s["id"] for s in answer.json()] == [str(public.pk)]


def test_posting_and_uploading_too_fast_is_429(client, bearer, settings):
    settings.NOTES_PER_HOUR = 1
    settings.MEDIA_UPLOADS_PER_HOUR = 1
    me = ava()
    headers = bearer(me, "write")
    for expected in (200, 429):
        answer = post(client, "/api/v1/statuses",
                      {"status": "Hi", "media_ids": [str(image(me).pk)]}, headers)  # fmt: skip
        assert answer.status_code == expected, answer.content
    assert answer.json()["error"].startswith("You are posting too fast.")
    for expected in (202, 429):
        upload = SimpleUploadedFile("p.jpg", photo((64, 48)), content_type="image/jpeg")
        assert client.post("/api/v2/media", {"file": upload}, **headers).status_code == expected


def test_home_timeline_statuses_are_those_of_the_status_route_cold_and_warm(client, bearer):
    """The home timeline builds statuses from plain rows (and keeps them in process memory);
    each must equal what GET /api/v1/statuses/:id answers for the same viewer."""
    from bridgenote.api.mastodon import statuses_json
    from bridgenote.engage.services import board_default
    from bridgenote.feeds.services import note_fan_out

    me, li, zoe = ava(), liwei(), UserFactory(handle="zoe")
    Follow.objects.create(follower=me, followee=li)
    Follow.objects.create(follower=me, followee=zoe)
    first, second = image(li, alt_text="杯子"), image(li)
    notes = [
        note_of(
            li,
            title="早安",
            body="乌龙 #茶 #tea with @ava and @zoe <script>",
            attachment_ids=[second.pk, first.pk],
            language="zh",
        ),
        note_of(zoe, title="", body="One photo, no alt text", visibility="followers"),
        note_of(me, title="Mine", body="#tea for @liwei\n\nsecond paragraph", language="en"),
    ]
    Note.objects.filter(pk=notes[0].pk).update(like_count=3, comment_count=1)
    Like.objects.create(user=me, note=notes[0])
    Collect.objects.create(user=me, note=notes[1], board=board_default(user=me))
    for note in notes:
        note_fan_out(note_id=note.pk)
    headers = bearer(me, "read:statuses")
    expected = [client.get(f"/api/v1/statuses/{n.pk}", **headers).json() for n in notes[::-1]]
    assert expected[0]["text"] and expected[1]["text"] is None  # mine, theirs
    for _ in ("cold", "warm"):
        home = client.get("/api/v1/timelines/home", **headers).json()
        assert home == expected
    statuses_json._status_cache.clear()
    statuses_json._account_cache.clear()


def test_home_timeline_shows_current_counters_and_viewer_state_from_a_warm_cache(
    client, bearer, django_assert_max_num_queries
):
    """The cached part of a status leaves out the counters and the viewer's state: after likes,
    a comment and a bookmark, a warm page still equals what the status route answers, and a
    warm page costs the token, the inbox, the followed hybrid authors, their newest notes and
    the cards (with the viewer's likes and bookmarks) only."""
    from bridgenote.engage.services import board_default
    from bridgenote.feeds.services import note_fan_out

    me, li, zoe = ava(), liwei(), UserFactory(handle="zoe")
    Follow.objects.create(follower=me, followee=li)
    notes = [note_of(li, title=f"tea {i}") for i in range(3)]
    for note in notes:
        note_fan_out(note_id=note.pk)
    headers = bearer(me, "read write")
    client.get("/api/v1/timelines/home", {"limit": 3}, **headers)  # cold: now cached
    client.post(f"/api/v1/statuses/{notes[0].pk}/favourite", **bearer(zoe))
    client.post(f"/api/v1/statuses/{notes[0].pk}/favourite", **headers)
    client.post(f"/api/v1/statuses/{notes[1].pk}/bookmark", **headers)
    comment_create(author=zoe, note=notes[2], body="好喝")
    with django_assert_max_num_queries(5):
        # A full page (a short one reads on below the inbox window).
        home = client.get("/api/v1/timelines/home", {"limit": 3}, **headers).json()
    expected = [client.get(f"/api/v1/statuses/{n.pk}", **headers).json() for n in notes[::-1]]
    assert home == expected
    shown = [(s["favourites_count"], s["favourited"], s["bookmarked"], s["replies_count"])
             for s in home]  # fmt: skip
    assert shown == [(0, False, False, 1), (0, False, True, 0), (2, True, False, 0)]
    assert board_default(user=me).collects.count() == 1
