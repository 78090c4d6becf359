from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from bridgenote.engage import services
from bridgenote.notes.models import Note

pytestmark = pytest.mark.django_db


def api(user: Any | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, json.dumps(data or {}), content_type="application/json")


def test_api_like_is_idempotent(liwei_user: Any, ava_note: Note) -> None:
    client = api(liwei_user)
    first = post(client, f"/api/engage/notes/{ava_note.pk}/like")
    second = post(client, f"/api/engage/notes/{ava_note.pk}/like")
    assert first.status_code == second.status_code == 200
    assert second.json()["like_count"] == 1 and second.json()["liked"] is True
    gone = client.delete(f"/api/engage/notes/{ava_note.pk}/like")
    assert gone.json()["like_count"] == 0


def test_api_errors_have_one_shape(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    client = api(liwei_user)
    board = services.board_create(owner=ava_user, name="Ava's")
    refused = post(client, f"/api/engage/notes/{ava_note.pk}/collect", {"board_id": str(board.pk)})
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "not_your_board",
        "message": "You can only collect into your own boards.",
    }
    self_follow = post(api(ava_user), "/api/engage/users/ava/follow")
    assert self_follow.status_code == 400 and self_follow.json()["error"] == "follow_self"
    missing = post(client, "/api/engage/notes/123/like")
    assert missing.status_code == 404 and missing.json()["error"] == "note_not_found"
    forged = client.get(f"/api/engage/notes/{ava_note.pk}/comments?cursor=9999999999999999999999")
    assert forged.status_code == 400 and forged.json()["error"] == "bad_cursor"


def test_api_comment_thread_and_reply(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    top = post(api(ava_user), f"/api/engage/notes/{ava_note.pk}/comments", {"body": "Hi!"})
    assert top.status_code == 201
    reply = post(
        api(liwei_user),
        f"/api/engage/notes/{ava_note.pk}/comments",
        {"body": "你好", "reply_to": top.json()["id"]},
    )
    assert reply.json()["root_id"] == top.json()["id"]
    assert reply.json()["reply_to_handle"] == "ava"
    thread = api().get(f"/api/engage/notes/{ava_note.pk}/comments").json()
    assert thread["items"][0]["replies"][0]["body"] == "你好"
    long = post(api(liwei_user), f"/api/engage/notes/{ava_note.pk}/comments", {"body": "x" * 501})
    assert long.status_code == 400 and long.json()["error"] == "comment_too_long"


def test_api_boards_crud_and_collect(liwei_user: Any, ava_note: Note) -> None:
    client = api(liwei_user)
    created = post(client, "/api/engage/boards", {"name": "成都美食", "is_private": True})
    assert created.status_code == 201
    board_id = created.json()["id"]
    collected = post(client, f"/api/engage/notes/{ava_note.pk}/collect", {"board_id": board_id})
    assert collected.json()["collect_count"] == 1
    assert client.get(f"/api/engage/boards/{board_id}").json()["note_ids"] == [str(ava_note.pk)]
    assert api().get(f"/api/engage/boards/{board_id}").status_code == 404
    renamed = client.patch(
        f"/api/engage/boards/{board_id}",
        json.dumps({"name": "Chengdu food", "is_private": False}),
        content_type="application/json",
    )
    assert renamed.json()["name"] == "Chengdu food"
    assert client.delete(f"/api/engage/boards/{board_id}").status_code == 204
    assert Note.objects.get(pk=ava_note.pk).collect_count == 0


def test_api_follow_lists_and_block(ava_user: Any, liwei_user: Any) -> None:
    assert post(api(liwei_user), "/api/engage/users/ava/follow").json() == {"changed": True}
    people = api().get("/api/engage/users/ava/followers").json()
    assert [p["handle"] for p in people["items"]] == ["liwei"]
    post(api(ava_user), "/api/engage/users/liwei/block")
    refused = post(api(liwei_user), "/api/engage/users/ava/follow")
    assert refused.status_code == 403 and refused.json()["error"] == "blocked"


def test_api_requires_sign_in(ava_note: Note) -> None:
    assert post(api(), f"/api/engage/notes/{ava_note.pk}/like").status_code == 401


@override_settings(COMMENT_RATE_PER_MINUTE=1)
def test_api_comment_flood_is_429(liwei_user: Any, ava_note: Note) -> None:
    client = api(liwei_user)
    assert (
        post(client, f"/api/engage/notes/{ava_note.pk}/comments", {"body": "1"}).status_code == 201
    )
    flood = post(client, f"/api/engage/notes/{ava_note.pk}/comments", {"body": "2"})
    assert flood.status_code == 429 and flood.json()["error"] == "rate_limited"


def test_api_schema_lists_engage_and_notification_paths() -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/engage/notes/{note_id}/like" in schema["paths"]
    assert "/api/notifications/unread" in schema["paths"]


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/engage/notes/{note}/comments", "not json", 400),
        ("/api/engage/notes/{note}/comments", '{"body": 5}', 422),
        ("/api/engage/notes/{note}/comments", "{}", 422),
        ("/api/engage/notes/{note}/comments", '{"body": "   "}', 400),
        ("/api/engage/notes/{note}/comments", '{"body": "hi", "reply_to": "x"}', 404),
        ("/api/engage/notes/{note}/comments", '{"body": "hi", "reply_to": "99999999"}', 404),
        ("/api/engage/notes/99999999999999999999/comments", '{"body": "hi"}', 404),
        ("/api/engage/notes/abc/like", "{}", 404),
        ("/api/engage/notes/-1/like", "{}", 404),
    ],
)
def test_api_write_paths_answer_bad_input_with_a_translated_error(
    liwei_user: Any, ava_note: Note, path: str, body: str, status: int
) -> None:
    client = api(liwei_user)
    answer = client.post(
        path.format(note=ava_note.pk), body, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    assert answer.status_code == status
    message = answer.json()["message"]
    assert any("\u4e00" <= character <= "\u9fff" for character in message)  # in Chinese
    assert fresh_comment_count(ava_note) == 0


def fresh_comment_count(note: Note) -> int:
    return Note.objects.get(pk=note.pk).comment_count


@override_settings(COMMENT_RATE_PER_MINUTE=1)
def test_api_comment_over_the_limit_is_refused_before_any_other_work(
    liwei_user: Any, ava_note: Note, monkeypatch: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(liwei_user)
    path = f"/api/engage/notes/{ava_note.pk}/comments"
    assert post(client, path, {"body": "1"}).status_code == 201
    assert post(client, path, {"body": "2"}).status_code == 429

    def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ran for a client already over the limit")

    for name in ("detect_language", "_moderate_comment", "_client_territory"):
        monkeypatch.setattr(services, name, must_not_run)
    monkeypatch.setattr(services.notify, "comment_notifications", must_not_run)
    with CaptureQueriesContext(connection) as queries:
        flood = client.post(
            path, '{"body": "3"}', content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )  # fmt: skip
    assert flood.status_code == 429 and flood.json()["error"] == "rate_limited"
    assert flood.json()["message"] == "评论太频繁了，请稍等一分钟。"
    # The session's query (which reads the unread count) aside: no moderation, comment or
    # notification table, no write but the counter's.
    sql = [q["sql"].lower() for q in queries.captured_queries]
    touched = " ".join(s for s in sql if "accounts_session" not in s)
    for table in ("moderation_", "notify_", "engage_comment", "geo"):
        assert table not in touched
    assert not any(s.startswith(("insert", "update", "begin")) for s in sql if "rate" not in s)
    assert fresh_comment_count(ava_note) == 1
