from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from bridgenote.core.text import fold
from bridgenote.engage.models import Follow
from bridgenote.feeds import services
from bridgenote.notes.models import Note, NoteTopic, Topic


def make_note(
    author: Any,
    title: str = "a note",
    *,
    language: str = "en",
    topics: tuple[str, ...] = (),
    likes: int = 0,
    **fields: Any,
) -> Note:
    """A published, visible note, as the notes app leaves it after publishing."""
    values: dict[str, Any] = {
        "status": Note.Status.PUBLISHED,
        "moderation": Note.Moderation.PUBLISHED,
        "visibility": Note.Visibility.PUBLIC,
        "media_ready": True,
        "language": language,
        "published_at": timezone.now(),
        "like_count": likes,
        **fields,
    }
    note = Note.objects.create(author=author, title=title, **values)
    for name in topics:
        topic, _ = Topic.objects.get_or_create(folded=fold(name), defaults={"name": name})
        NoteTopic.objects.create(note=note, topic=topic)
    return note


def publish(author: Any, title: str = "a note", **kwargs: Any) -> Note:
    """Create a note and run the fan-out hook, as notes' publish service will."""
    note = make_note(author, title, **kwargs)
    services.note_fan_out(note_id=note.pk)
    return note


def walk_following(viewer: Any, *, limit: int, pages: int = 100) -> list[Note]:
    """Every note of ``viewer``'s following feed, page after page of ``limit`` by the
    cursors the feed gives (at most ``pages`` pages: a cursor that never ends fails)."""
    from bridgenote.feeds.queries import following_page

    seen: list[Note] = []
    cursor = None
    for _ in range(pages):
        page = following_page(viewer, cursor=cursor, limit=limit)
        seen += page.notes
        if page.next_cursor is None:
            return seen
        cursor = int(page.next_cursor)
    raise AssertionError(f"still more pages after {pages}")


def follow(follower: Any, followee: Any) -> None:
    Follow.objects.create(follower=follower, followee=followee)
    services.follow_backfill(follower_id=follower.pk, followee_id=followee.pk)


@pytest.fixture(autouse=True)
def _fresh_local_cache() -> Any:
    """Per-process feed state never leaks from one test to the next."""
    from bridgenote.feeds import localcache

    localcache.clear()
    yield
    localcache.clear()


@pytest.fixture
def note_factory() -> Callable[..., Note]:
    return make_note
