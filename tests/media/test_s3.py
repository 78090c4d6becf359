"""The S3 storage path, against moto's S3 server on 127.0.0.1 (no network, no mocks of ours)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore import exceptions as boto
from botocore.awsrequest import AWSResponse
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.utils import timezone
from django.utils.functional import empty
from PIL import Image

from bridgenote.conf.settings import _storages
from bridgenote.media import storage_errors
from bridgenote.media.errors import error_message
from bridgenote.media.models import Attachment
from bridgenote.media.services import (
    attachment_delete,
    attachment_process,
    attachment_upload,
    attachments_retry_due,
)
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
    monkeypatch.setenv("BRIDGENOTE_S3_MAX_ATTEMPTS", "2")  # botocore: 1 try + 1 retry
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    # moto's state lives in this process, shared by every server it starts: start empty.
    for key in _keys(client):
        client.delete_object(Bucket=BUCKET, Key=key)
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


# --- transient and permanent storage errors -----------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class _Faults:
    """Answers the storage's S3 requests for one operation with an error, at the HTTP layer
    (botocore's ``before-send`` hook: what a real S3 that is unwell would send back), so
    botocore's own retry logic sees it; the other requests reach moto."""

    def __init__(self, operation: str, status: int, code: str, times: int | None) -> None:
        self.operation, self.status, self.code, self.times = operation, status, code, times
        self.injected = 0
        self.client = default_storage.connection.meta.client  # type: ignore[attr-defined]
        self.client.meta.events.register(f"before-send.s3.{operation}", self)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.times is not None and self.injected >= self.times:
            return None
        self.injected += 1
        body = (
            "<?xml version='1.0' encoding='UTF-8'?><Error>"
            f"<Code>{self.code}</Code><Message>injected by the test</Message></Error>"
        ).encode()
        return AWSResponse(request.url, self.status, {"Content-Type": "application/xml"},
                           _Body(body))  # fmt: skip

    def stop(self) -> None:
        self.client.meta.events.unregister(f"before-send.s3.{self.operation}", self)


@pytest.fixture
def database_queue(settings: Any) -> None:
    """The real queue, so a job enqueued for later is a row with its ``run_after``."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _queued_later(attachment_id: int) -> list[Any]:
    """``run_after`` of the jobs queued for this attachment with a delay (django-tasks-db
    stores "no delay" as the year 9999)."""
    from django_tasks_db.models import DBTaskResult

    return [
        row.run_after
        for row in DBTaskResult.objects.filter(status="READY")
        if row.args_kwargs["args"] == [attachment_id] and row.run_after.year < 9999
    ]


def _upload_queued(owner: Any, capture: Any) -> Attachment:
    with capture(execute=True):  # enqueued in the database queue, not run
        return attachment_upload(owner=owner, file=upload(photo((1600, 1200))))


def test_s3_slow_down_answers_are_retried_by_botocore_and_the_photo_gets_ready(
    s3: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attachment = attachment_upload(owner=ava(), file=upload(photo((1600, 1200))))
        faults = _Faults("PutObject", 503, "SlowDown", times=1)  # the first rendition: 503 once

    attachment.refresh_from_db()
    assert faults.injected == 1
    assert attachment.state == Attachment.State.READY and attachment.attempts == 1
    assert sorted(key.rsplit("/", 1)[1] for key in _keys(s3)) == ["card.webp", "large.webp"]


def test_s3_outage_during_processing_hands_the_row_back_and_retries_later(
    s3: Any, database_queue: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    settings.MEDIA_STORAGE_RETRY_SECONDS = 30
    attachment = _upload_queued(ava(), capture)
    faults = _Faults("PutObject", 503, "ServiceUnavailable", times=None)

    before = timezone.now()
    with capture(execute=True):
        assert attachment_process(attachment_id=attachment.id) is None

    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.UPLOADED and attachment.attempts == 1
    assert faults.injected == 2  # botocore tried twice (S3_MAX_ATTEMPTS) before giving up
    (run_after,) = _queued_later(attachment.id)
    assert before + timedelta(seconds=29) <= run_after <= timezone.now() + timedelta(seconds=31)
    assert attachment.retry_at == run_after
    assert attachments_retry_due(now=run_after - timedelta(seconds=1)) == 0
    assert any(key.endswith("/original.jpg") for key in _keys(s3))  # kept for the next try

    faults.stop()  # S3 is back: the next try succeeds
    with capture(execute=True):
        done = attachment_process(attachment_id=attachment.id)
    assert done is not None and done.state == Attachment.State.READY and done.attempts == 2
    assert sorted(key.rsplit("/", 1)[1] for key in _keys(s3)) == ["card.webp", "large.webp"]


def test_s3_outage_on_a_queue_that_cannot_defer_retries_at_its_time_and_logs_once(
    s3: Any, settings: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    """The immediate backend runs a job the moment it is enqueued: the retry is not enqueued
    then (every try would fail within a second) but kept on the row, and the periodic
    ``attachments_retry_due`` enqueues it once due. One warning per retry."""
    settings.MEDIA_STORAGE_RETRY_SECONDS = 30
    with django_capture_on_commit_callbacks() as upload_committed:  # the job not run yet
        attachment = attachment_upload(owner=ava(), file=upload(photo((1600, 1200))))
    faults = _Faults("PutObject", 503, "ServiceUnavailable", times=None)

    before = timezone.now()
    with caplog.at_level("WARNING", logger="bridgenote.media.services"):
        for callback in upload_committed:
            callback()  # the immediate backend runs attachment_process now
    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.UPLOADED and attachment.attempts == 1
    assert attachment.retry_at is not None
    assert before + timedelta(seconds=29) <= attachment.retry_at
    assert attachment.retry_at <= timezone.now() + timedelta(seconds=31)
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "bridgenote.media.services"]
    assert "try 2 of 3 in 30 s (periodic retry)" in logged
    assert attachments_retry_due() == 0  # not due yet

    faults.stop()  # S3 is back by the time the retry is due
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_retry_due(now=attachment.retry_at) == 1
    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.READY and attachment.attempts == 2
    assert attachment.retry_at is None
    assert attachments_retry_due(now=before + timedelta(days=1)) == 0


def test_s3_outage_that_outlasts_every_try_fails_with_a_clear_message(
    s3: Any, database_queue: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    settings.MEDIA_PROCESSING_MAX_ATTEMPTS = 2
    settings.MEDIA_STORAGE_RETRY_SECONDS = 10
    attachment = _upload_queued(ava(), capture)
    _Faults("PutObject", 500, "InternalError", times=None)

    with capture(execute=True):
        attachment_process(attachment_id=attachment.id)
    (first,) = _queued_later(attachment.id)
    with capture(execute=True):
        failed = attachment_process(attachment_id=attachment.id)

    assert failed is not None and failed.state == Attachment.State.FAILED
    assert failed.error == "storage_unavailable" and failed.attempts == 2
    assert "storage is unavailable right now" in error_message(failed.error)
    assert _queued_later(attachment.id) == [first]  # no third try queued
    assert _keys(s3) == []  # the original went with the failed row's folder


def test_s3_access_denied_fails_at_once_without_retrying(
    s3: Any, database_queue: None, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    attachment = _upload_queued(ava(), capture)
    faults = _Faults("PutObject", 403, "AccessDenied", times=None)

    with capture(execute=True):
        failed = attachment_process(attachment_id=attachment.id)

    assert faults.injected == 1  # botocore does not retry a 403, nor does the job
    assert failed is not None and failed.state == Attachment.State.FAILED
    assert failed.error == "storage_error" and failed.attempts == 1
    assert _queued_later(attachment.id) == []
    assert "problem on our side" in error_message(failed.error)


def test_upload_during_an_s3_outage_answers_503_with_a_message_and_keeps_nothing(
    s3: Any,
) -> None:
    client = Client()
    client.force_login(ava())
    faults = _Faults("PutObject", 503, "SlowDown", times=None)

    response = client.post("/api/media/", {"file": upload(photo())})

    assert response.status_code == 503
    assert response.json()["error"] == "storage_unavailable"
    assert "Try again in a few minutes" in response.json()["message"]
    assert faults.injected == 2
    assert not Attachment.objects.exists() and _keys(s3) == []

    faults.stop()  # and once S3 answers again, the same upload goes through
    assert client.post("/api/media/", {"file": upload(photo())}).status_code == 202


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (boto.EndpointConnectionError(endpoint_url="http://s3"), storage_errors.TRANSIENT),
        (boto.ReadTimeoutError(endpoint_url="http://s3"), storage_errors.TRANSIENT),
        (boto.ConnectionClosedError(endpoint_url="http://s3"), storage_errors.TRANSIENT),
        (boto.NoCredentialsError(), storage_errors.PERMANENT),
        (
            boto.ClientError(
                {"Error": {"Code": "NoSuchBucket"}, "ResponseMetadata": {"HTTPStatusCode": 404}},
                "PutObject",
            ),
            storage_errors.PERMANENT,
        ),
        (
            boto.ClientError({"Error": {"Code": "503"}}, "HeadObject"),
            storage_errors.TRANSIENT,
        ),
        (OSError(28, "No space left on device"), None),  # needs an operator, not a retry
        (ValueError("not storage"), None),
    ],
)
def test_storage_errors_are_told_apart(exc: BaseException, kind: str | None) -> None:
    assert storage_errors.classify(exc) == kind


def test_a_boto3_upload_failure_is_classified_by_its_cause() -> None:
    from boto3.exceptions import S3UploadFailedError

    cause = boto.ClientError({"Error": {"Code": "SlowDown"}}, "PutObject")
    try:
        try:
            raise cause
        except boto.ClientError as exc:
            raise S3UploadFailedError("Failed to upload") from exc
    except S3UploadFailedError as wrapped:
        assert storage_errors.classify(wrapped) == storage_errors.TRANSIENT
