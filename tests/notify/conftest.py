from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei


def make_note(author: Any, **fields: Any) -> Note:
    """A published note written straight to the table (the notes services are another app's)."""
    defaults: dict[str, Any] = {
        "title": "My first day here",
        "body": "hello 你好",
        "status": Note.Status.PUBLISHED,
        "published_at": timezone.now(),
    }
    defaults.update(fields)
    return Note.objects.create(author=author, **defaults)


@pytest.fixture
def ava_user(db: Any) -> Any:
    return ava()


@pytest.fixture
def liwei_user(db: Any) -> Any:
    return liwei()


@pytest.fixture
def bob(db: Any) -> Any:
    return UserFactory(handle="bob")


@pytest.fixture
def ava_note(ava_user: Any) -> Note:
    return make_note(ava_user, title="Selfie 自拍")
