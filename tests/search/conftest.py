from __future__ import annotations

from typing import Any

import pytest

from bridgenote.accounts.models import User
from bridgenote.core.text import fold
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note, NoteTopic, Topic
from bridgenote.search.services import search_index_note, search_index_topic, search_index_user
from tests.factories import UserFactory


def topic(name: str, note_count: int = 0) -> Topic:
    found, _ = Topic.objects.get_or_create(
        folded=fold(name), defaults={"name": name, "note_count": note_count}
    )
    if note_count:
        Topic.objects.filter(pk=found.pk).update(note_count=note_count)
        found.refresh_from_db()
    search_index_topic(topic_id=found.id)
    return found


def note(author: User, title: str = "", body: str = "", *, topics: tuple[str, ...] = (),
         media: str | None = "image", **fields: Any) -> Note:  # fmt: skip
    """A published, ready, public note (unless ``fields`` say otherwise), indexed."""
    values: dict[str, Any] = {
        "status": Note.Status.PUBLISHED, "media_ready": True,
        "moderation": Note.Moderation.PUBLISHED, "visibility": Note.Visibility.PUBLIC,
    }  # fmt: skip
    values.update(fields)
    made = Note.objects.create(author=author, title=title, body=body, **values)
    if media:
        cover = Attachment.objects.create(owner=author, kind=media, state="ready")
        Note.objects.filter(pk=made.pk).update(cover=cover)
    for name in topics:
        NoteTopic.objects.create(note=made, topic=topic(name))
    search_index_note(note_id=made.id)
    return Note.objects.get(pk=made.pk)


def person(handle: str, display_name: str = "", followers: int = 0) -> User:
    user = UserFactory(handle=handle, profile__display_name=display_name or handle,
                       profile__follower_count=followers)  # fmt: skip
    search_index_user(user_id=user.id)
    return user


@pytest.fixture
def author(db: Any) -> User:
    return person("author", "作者")


@pytest.fixture
def viewer(db: Any) -> User:
    return person("viewer", "Viewer")


@pytest.fixture(autouse=True)
def _fresh_suggestions() -> None:
    # Suggestions are kept per process for a while; each test starts from its own database.
    from bridgenote.search.queries import forget_suggestions

    forget_suggestions()
