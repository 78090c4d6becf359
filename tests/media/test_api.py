from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgenote.media.models import Attachment
from tests.factories import ava, liwei
from tests.media.conftest import photo, stored_files, upload

pytestmark = pytest.mark.django_db

URL = "/api/media/"


@pytest.fixture
def client_ava() -> Client:
    client = Client()
    client.force_login(ava())
    return client


def _post(
    client: Client, data: bytes, name: str = "photo.jpg", capture: Any = None, **extra: Any
) -> Any:
    with capture(execute=True):
        return client.post(URL, {"file": upload(data, name), **extra})


def test_upload_returns_202_with_the_attachment(
    client_ava: Client, django_capture_on_commit_callbacks: Any
) -> None:
    response = _post(
        client_ava, photo(), capture=django_capture_on_commit_callbacks, alt_text="Hotpot 🍲"
    )

    assert response.status_code == 202
    body = response.json()
    assert isinstance(body["id"], str) and body["kind"] == "image"
    assert body["state"] == "uploaded"  # processing happens after the response
    assert body["alt_text"] == "Hotpot 🍲"
    detail = client_ava.get(f"{URL}{body['id']}").json()
    assert detail["state"] == "ready"
    assert detail["renditions"]["card"]["url"].endswith("card.webp")
    assert detail["blurhash"] and detail["width"] == 800


def test_upload_requires_a_session() -> None:
    response = Client().post(URL, {"file": upload(photo())})

    assert response.status_code == 401
    assert not Attachment.objects.exists()


def test_upload_without_file_is_a_400_with_a_message(client_ava: Client) -> None:
    response = client_ava.post(URL, {})

    assert response.status_code == 400
    assert response.json()["error"] == "no_file"


def test_upload_error_message_is_in_the_users_language(client_ava: Client) -> None:
    response = client_ava.post(
        URL, {"file": upload(b"<html><body>hi</body></html>")}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 415
    body = response.json()
    assert body["error"] == "unsupported_type"
    assert "JPEG" in body["message"] and "照片" in body["message"]


def test_detail_is_404_for_someone_else(
    client_ava: Client, django_capture_on_commit_callbacks: Any
) -> None:
    attachment_id = _post(client_ava, photo(), capture=django_capture_on_commit_callbacks).json()[
        "id"
    ]
    other = Client()
    other.force_login(liwei())

    assert other.get(f"{URL}{attachment_id}").status_code == 404
    assert (
        other.patch(
            f"{URL}{attachment_id}", {"alt_text": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert other.delete(f"{URL}{attachment_id}").status_code == 404
    assert client_ava.get(f"{URL}not-a-number").status_code == 404
    assert Attachment.objects.filter(id=int(attachment_id)).exists()


def test_patch_sets_the_alt_text(
    client_ava: Client, django_capture_on_commit_callbacks: Any
) -> None:
    attachment_id = _post(client_ava, photo(), capture=django_capture_on_commit_callbacks).json()[
        "id"
    ]

    response = client_ava.patch(
        f"{URL}{attachment_id}",
        {"alt_text": "  A bowl of noodles  "},
        content_type="application/json",
    )
    too_long = client_ava.patch(
        f"{URL}{attachment_id}", {"alt_text": "x" * 1501}, content_type="application/json"
    )

    assert response.status_code == 200 and response.json()["alt_text"] == "A bowl of noodles"
    assert too_long.status_code == 400 and too_long.json()["error"] == "alt_text_too_long"


def test_delete_removes_the_row_and_files(
    client_ava: Client, django_capture_on_commit_callbacks: Any
) -> None:
    attachment_id = _post(client_ava, photo(), capture=django_capture_on_commit_callbacks).json()[
        "id"
    ]
    assert stored_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_ava.delete(f"{URL}{attachment_id}")

    assert response.status_code == 204
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_failed_processing_shows_code_and_message(
    client_ava: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.media.test_bad_input import png_with_corrupt_pixels

    body = _post(
        client_ava, png_with_corrupt_pixels(), "broken.png", django_capture_on_commit_callbacks
    ).json()
    detail = client_ava.get(f"{URL}{body['id']}").json()

    assert detail["state"] == "failed"
    assert detail["error"] == "corrupt_image"
    assert "damaged" in detail["message"]
    assert detail["renditions"] == {}
    assert stored_files() == []


def test_upload_is_rate_limited(client_ava: Client, settings: Any) -> None:
    settings.MEDIA_UPLOADS_PER_HOUR = 2
    statuses = [
        client_ava.post(URL, {"file": upload(photo((64, 64)))}).status_code for _ in range(3)
    ]

    assert statuses == [202, 202, 429]


def test_openapi_documents_the_media_endpoints() -> None:
    schema = Client().get("/api/openapi.json").json()

    assert {"/api/media/", "/api/media/{attachment_id}"} <= set(schema["paths"])
    assert "202" in schema["paths"]["/api/media/"]["post"]["responses"]
