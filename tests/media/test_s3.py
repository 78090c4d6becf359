"""The S3 storage path, against moto's S3 server on 127.0.0.1 (no network, no mocks of ours)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from django.utils.functional import empty
from PIL import Image

from bridgenote.conf.settings import _storages
from bridgenote.media.models import Attachment
from bridgenote.media.services import attachment_delete, attachment_upload
from tests.factories import ava
from tests.media.conftest import exif_with_gps, photo, upload

pytestmark = pytest.mark.django_db

BUCKET = "bridgenote-media"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("BRIDGENOTE_S3_ACCESS_KEY", "testing")
    monkeypatch.setenv("BRIDGENOTE_S3_SECRET_KEY", "testing")
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    configured = _storages(f"s3://{BUCKET}/media?endpoint={endpoint}&region=us-east-1")
    settings.STORAGES = configured
    storages._storages = {}
    default_storage._wrapped = empty  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        storages._storages = {}
        default_storage._wrapped = empty  # type: ignore[attr-defined]
        server.stop()


def _keys(client: Any) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_storage_url_selects_s3() -> None:
    configured = _storages("s3://bucket/prefix?endpoint=https://s3.example.com&region=eu-west-1")

    assert configured["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options: Any = configured["default"]["OPTIONS"]
    assert options["bucket_name"] == "bucket" and options["location"] == "prefix"
    assert options["endpoint_url"] == "https://s3.example.com"
    assert options["region_name"] == "eu-west-1"


def test_s3_upload_processes_into_bucket_and_removes_original(
    s3: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attachment = attachment_upload(
            owner=ava(), file=upload(photo((1600, 1200), exif=exif_with_gps().tobytes()))
        )
        assert any(key.endswith("/original.jpg") for key in _keys(s3))

    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.READY, attachment.error
    keys = _keys(s3)
    assert sorted(key.rsplit("/", 1)[1] for key in keys) == ["card.webp", "large.webp"]
    assert all(key.startswith("media/attachments/") for key in keys)
    large = s3.get_object(Bucket=BUCKET, Key=f"media/{attachment.renditions['large']['name']}")
    assert large["ContentType"] == "image/webp"
    image = Image.open(io.BytesIO(large["Body"].read()))
    assert image.size == (1440, 1080) and not image.getexif()
    assert attachment.rendition_url("card").startswith("http://127.0.0.1:")

    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=attachment)
    assert _keys(s3) == []
