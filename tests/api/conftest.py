"""Shared fixtures of the API tests: an empty media storage per test, and pictures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils.functional import empty


@pytest.fixture(autouse=True)
def _empty_media_storage(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Each test stores uploads in its own folder."""
    from django.core.files.storage import storages

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    storages._storages = {}
    default_storage._wrapped = empty  # type: ignore[attr-defined]
    yield
    storages._storages = {}
    default_storage._wrapped = empty  # type: ignore[attr-defined]
