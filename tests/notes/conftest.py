"""Fixtures for notes: people, and attachments as the media pipeline leaves them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from bridgenote.media.models import Attachment
from tests.factories import UserFactory, ava, liwei

BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"


def _webp(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="WEBP")
    return buffer.getvalue()


def make_attachment(
    owner: Any,
    *,
    kind: str = Attachment.Kind.IMAGE,
    state: str = Attachment.State.READY,
    width: int = 1080,
    height: int = 1440,
) -> Attachment:
    """An attachment with stored rendition files, in ``state`` (ready by default)."""
    attachment = Attachment.objects.create(
        owner=owner, kind=kind, state=state, width=width, height=height, mime="image/webp"
    )
    attachment.folder = f"test-media/{attachment.id}"
    if state == Attachment.State.READY:
        renditions = {}
        names = ("poster", "video") if kind == Attachment.Kind.VIDEO else ("card", "large")
        for name in names:
            data = b"\x00\x00\x00\x18ftypmp42" if name == "video" else _webp(40, 30, (200, 80, 90))
            stored = default_storage.save(
                f"{attachment.folder}/{name}.{'mp4' if name == 'video' else 'webp'}",
                ContentFile(data),
            )
            renditions[name] = {"name": stored, "width": width, "height": height, "mime": "x"}
        attachment.renditions = renditions
        attachment.blurhash = BLURHASH
        attachment.save()
    else:
        attachment.error = "corrupt" if state == Attachment.State.FAILED else ""
        attachment.save()
    return attachment


@pytest.fixture
def author(db: Any) -> Any:
    return ava()


@pytest.fixture
def reader(db: Any) -> Any:
    return liwei()


@pytest.fixture
def stranger(db: Any) -> Any:
    return UserFactory(handle="mallory")


@pytest.fixture
def images(author: Any) -> Any:
    def make(count: int = 1, **kwargs: Any) -> list[Attachment]:
        return [make_attachment(author, **kwargs) for _ in range(count)]

    return make
