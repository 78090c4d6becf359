import json

import pytest
from django.test import Client

from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from tests.notes.conftest import make_attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(author):
    client = Client()
    client.force_login(author)
    return client


def post_json(client, path, data, method="post"):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def test_create_read_update_delete(api, author, images):
    photos = images(2)
    response = post_json(
        api,
        "/api/notes/",
        {"title": "Hi 你好", "body": "#selfie #自拍#", "attachment_ids": [p.id for p in photos]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["topics"] and set(body["topics"]) == {"selfie", "自拍"}
    assert [a["id"] for a in body["attachments"]] == [str(p.id) for p in photos]
    assert body["attachments"][0]["url"].endswith(".webp")
    note_id = body["id"]

    read = Client().get(f"/api/notes/{note_id}")
    assert read.status_code == 200 and read.json()["title"] == "Hi 你好"

    patched = post_json(api, f"/api/notes/{note_id}", {"title": "Hello"}, "patch")
    assert patched.status_code == 200, patched.content
    assert patched.json()["title"] == "Hello"
    assert patched.json()["edited_at"] is not None
    assert patched.json()["body"] == "#selfie #自拍#"

    assert api.delete(f"/api/notes/{note_id}").status_code == 204
    assert not Note.objects.filter(id=note_id).exists()
    assert Client().get(f"/api/notes/{note_id}").status_code == 404


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"title": "x" * 21}, "title_too_long", "title"),
        ({"body": "x" * 1001}, "body_too_long", "body"),
        ({"body": "hey @nobody_at_all"}, "unknown_mention", "body"),
        ({"attachment_ids": []}, "no_media", "attachments"),
        ({"visibility": "everyone"}, "bad_visibility", "visibility"),
    ],
)
def test_bad_input_gives_one_error_shape(api, author, images, payload, code, field):
    data = {"attachment_ids": [images()[0].id], **payload}
    response = post_json(api, "/api/notes/", data)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == code
    assert body["message"]
    assert field in body["fields"]
    assert not Note.objects.filter(author=author).exists()


def test_nineteen_images_and_mixed_media(api, author):
    photos = [make_attachment(author) for _ in range(19)]
    response = post_json(api, "/api/notes/", {"attachment_ids": [p.id for p in photos]})
    assert response.json()["error"] == "too_many_images"
    video = make_attachment(author, kind=Attachment.Kind.VIDEO)
    response = post_json(api, "/api/notes/", {"attachment_ids": [photos[0].id, video.id]})
    assert response.json()["error"] == "images_and_video"
    assert Attachment.objects.filter(owner=author).count() == 20


def test_someone_elses_attachment(api, reader):
    theirs = make_attachment(reader)
    response = post_json(api, "/api/notes/", {"attachment_ids": [theirs.id]})
    assert response.status_code == 400
    assert response.json()["error"] == "attachment_not_found"


def test_messages_follow_the_language(api, author, images):
    response = api.post(
        "/api/notes/",
        json.dumps({"title": "x" * 21, "attachment_ids": [images()[0].id]}),
        content_type="application/json",
        headers={"Accept-Language": "zh-Hans"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "标题最多 20 个字，现在有 21 个。"


def test_garbage_json_is_not_a_500(api):
    response = api.post("/api/notes/", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    response = post_json(api, "/api/notes/", {"attachment_ids": ["x"], "title": 5})
    assert 400 <= response.status_code < 500


def test_create_needs_a_session(images):
    response = post_json(Client(), "/api/notes/", {"title": "x"})
    assert response.status_code == 401


def test_others_cannot_patch_or_delete(author, reader, images):
    note = note_create(author=author, attachment_ids=[images()[0].id])
    client = Client()
    client.force_login(reader)
    assert post_json(client, f"/api/notes/{note.id}", {"title": "x"}, "patch").status_code == 404
    assert client.delete(f"/api/notes/{note.id}").status_code == 404


def test_drafts_and_publish_by_patch(api, author, images):
    response = post_json(api, "/api/notes/", {"title": "draft", "publish": False})
    assert response.status_code == 201
    note_id = response.json()["id"]
    drafts = api.get("/api/notes/drafts").json()
    assert [d["id"] for d in drafts] == [note_id]
    failed = post_json(api, f"/api/notes/{note_id}", {"publish": True}, "patch")
    assert failed.json()["error"] == "no_media"
    published = post_json(
        api, f"/api/notes/{note_id}", {"publish": True, "attachment_ids": [images()[0].id]}, "patch"
    )
    assert published.json()["status"] == "published"


def test_author_and_topic_pages_with_cursor(author, reader, settings):
    settings.NOTE_PAGE_SIZE = 2
    notes = [
        note_create(author=author, body="#咖啡", attachment_ids=[make_attachment(author).id])
        for _ in range(3)
    ]
    client = Client()
    first = client.get("/api/notes/by/AVA").json()
    assert [n["id"] for n in first["items"]] == [str(notes[2].id), str(notes[1].id)]
    second = client.get(f"/api/notes/by/ava?before={first['next_cursor']}").json()
    assert [n["id"] for n in second["items"]] == [str(notes[0].id)]
    assert second["next_cursor"] is None
    topic = client.get("/api/notes/topics/咖啡").json()
    assert len(topic["items"]) == 2
    assert client.get("/api/notes/topics/nothing").status_code == 404
    assert client.get("/api/notes/by/nobody").status_code == 404


def test_openapi_lists_the_notes_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/notes/", "/api/notes/{note_id}", "/api/notes/by/{handle}",
                 "/api/notes/topics/{name}", "/api/notes/drafts"):  # fmt: skip
        assert path in paths


def test_create_is_rate_limited(api, settings):
    settings.NOTES_PER_HOUR = 1
    assert post_json(api, "/api/notes/", {"title": "a", "publish": False}).status_code == 201
    response = post_json(api, "/api/notes/", {"title": "b", "publish": False})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"


def test_out_of_range_ids_are_not_a_500(api, author, images):
    huge = 10**20
    assert api.get(f"/api/notes/{huge}").status_code in (404, 422)
    response = post_json(api, "/api/notes/", {"attachment_ids": [huge], "cover_id": huge})
    assert response.status_code == 400
    assert response.json()["error"] == "attachment_not_found"
    assert post_json(api, f"/api/notes/{huge}", {"title": "x"}, "patch").status_code in (404, 422)
    assert api.get(f"/api/notes/by/ava?before={huge}").status_code in (200, 422)
