"""Every kind of bad file: a clear, translated error, never a 500, nothing left in storage."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from bridgenote.media.errors import MediaError
from bridgenote.media.models import Attachment
from bridgenote.media.services import attachment_upload
from tests.factories import ava
from tests.media.conftest import photo, stored_files, upload, video

pytestmark = pytest.mark.django_db


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes that claim to be a width x height PNG (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def png_with_corrupt_pixels() -> bytes:
    """A PNG whose chunk checksums are right but whose compressed pixels are garbage."""
    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    garbage = b"\x78\x9c" + bytes(range(256)) * 4
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", garbage)
        + _chunk(b"IEND", b"")
    )


def jpeg_html_polyglot() -> bytes:
    """A valid JPEG that is also an HTML page (markup in a comment segment)."""
    data = photo((64, 64))
    markup = b"<html><body><script>alert(document.cookie)</script></body></html>"
    comment = b"\xff\xfe" + struct.pack(">H", len(markup) + 2) + markup
    return data[:2] + comment + data[2:]


def mp4_html_polyglot() -> bytes:
    """A playable MP4 that is also an HTML page (markup in a ``free`` box after ``ftyp``)."""
    data = video(seconds=0.5)
    ftyp_end = struct.unpack(">I", data[:4])[0]
    markup = b"<html><body><script>alert(document.cookie)</script></body></html>"
    free = struct.pack(">I", len(markup) + 8) + b"free" + markup
    return data[:ftyp_end] + free + data[ftyp_end:]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"

CASES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("svg_renamed_jpg", lambda: SVG, "cat.jpg", "unsupported_type"),
    ("html_renamed_jpg", lambda: HTML, "cat.jpg", "unsupported_type"),
    ("jpeg_html_polyglot", jpeg_html_polyglot, "cat.jpg", "markup_in_file"),
    ("truncated_jpeg", lambda: photo((1200, 900))[:6000], "cat.jpg", "corrupt_image"),
    ("png_bomb", lambda: png_declaring(100_000, 100_000), "bomb.png", "image_too_many_pixels"),
    # Between Pillow's warning and error thresholds: the warning is an error here too.
    ("png_bomb_warning", lambda: png_declaring(9_000, 9_000), "bomb.png", "image_too_many_pixels"),
    ("empty", lambda: b"", "empty.jpg", "empty_file"),
    ("text_renamed_mp4", lambda: b"hello world" * 100, "clip.mp4", "unsupported_type"),
    ("corrupt_video", lambda: video(seconds=1.0)[:48] + bytes(4000), "clip.mp4", "corrupt_video"),
    ("truncated_video", lambda: _truncated_video(), "clip.mp4", "corrupt_video"),
    ("mp4_html_polyglot", mp4_html_polyglot, "clip.mp4", "markup_in_file"),
]


def _truncated_video() -> bytes:
    data = video(seconds=2.0)
    # Without faststart the index (moov) is written last; cut the file before it.
    return data[: data.index(b"moov") - 4]


@pytest.mark.parametrize(("data", "name", "code"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_attachment_upload_rejects_bad_file(
    data: Callable[[], bytes], name: str, code: str
) -> None:
    with pytest.raises(MediaError) as raised:
        attachment_upload(owner=ava(), file=upload(data(), name))

    assert raised.value.code == code
    assert raised.value.message
    assert not Attachment.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize(("data", "name", "code"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_upload_api_answers_bad_file_with_a_4xx(
    data: Callable[[], bytes], name: str, code: str
) -> None:
    client = Client()
    client.force_login(ava())

    response = client.post(
        "/api/media/", {"file": upload(data(), name)}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert 400 <= response.status_code < 500
    assert response.json()["error"] == code
    assert response.json()["message"]
    assert stored_files() == []


def test_attachment_upload_rejects_oversized_image(settings: Any) -> None:
    settings.UPLOAD_IMAGE_MAX_BYTES = 2048

    with pytest.raises(MediaError) as raised:
        attachment_upload(owner=ava(), file=upload(photo((400, 300), quality=95)))

    assert raised.value.code == "image_too_big"
    assert "2048" not in raised.value.message  # the limit is shown in MB
    assert stored_files() == []


def test_attachment_upload_rejects_oversized_video(settings: Any) -> None:
    settings.UPLOAD_VIDEO_MAX_BYTES = 1024

    with pytest.raises(MediaError) as raised:
        attachment_upload(owner=ava(), file=upload(video(seconds=1.0), "clip.mp4"))

    assert raised.value.code == "video_too_big"
    assert stored_files() == []


def test_attachment_upload_rejects_too_long_video(settings: Any) -> None:
    settings.VIDEO_MAX_SECONDS = 1

    with pytest.raises(MediaError) as raised:
        attachment_upload(owner=ava(), file=upload(video(seconds=3.0), "clip.mp4"))

    assert raised.value.code == "video_too_long"
    assert str(1) in raised.value.message
    assert stored_files() == []


def test_corrupt_pixels_fail_in_processing_and_leave_no_files(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attachment = attachment_upload(owner=ava(), file=upload(png_with_corrupt_pixels(), "x.png"))

    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.FAILED
    assert attachment.error == "corrupt_image"
    assert stored_files() == []
