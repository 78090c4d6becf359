"""Reads of notes and topics shared by the web pages, the API and (later) feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower

from bridgenote.accounts.models import User
from bridgenote.core.text import fold
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note, NoteAttachment, Topic

Viewer = User | AnonymousUser | None


@dataclass
class Page:
    """One page of notes, newest first; ``next_cursor`` is the ``before`` of the next page."""

    notes: list[Note]
    next_cursor: int | None


def with_cards(notes: QuerySet[Note]) -> QuerySet[Note]:
    """What a card shows: cover, author and profile, in one query each."""
    return notes.select_related("cover", "author", "author__profile")


def paginate(notes: QuerySet[Note], *, before: int | None, limit: int | None = None) -> Page:
    limit = limit or settings.NOTE_PAGE_SIZE
    if before:
        notes = notes.filter(id__lt=before)
    page = list(notes.order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return Page(page, page[-1].id if more and page else None)


def author_notes(
    *, author: User, viewer: Viewer, before: int | None = None, limit: int | None = None
) -> Page:
    """An author's published notes that ``viewer`` may see (the author sees processing ones)."""
    notes = Note.objects.visible_to(viewer).published().filter(author=author)
    return paginate(with_cards(notes), before=before, limit=limit)


def topic_by_name(name: str) -> Topic | None:
    return Topic.objects.filter(folded=fold(name)).first()


def topic_notes(
    *, topic: Topic, viewer: Viewer, before: int | None = None, limit: int | None = None
) -> Page:
    """A topic's notes fit for discovery that ``viewer`` may see."""
    notes = Note.objects.visible_to(viewer).discoverable().filter(notetopic__topic=topic)
    return paginate(with_cards(notes), before=before, limit=limit)


def drafts_of(author: User) -> list[Note]:
    return list(with_cards(Note.objects.drafts().filter(author=author)).order_by("-id"))


def with_details(notes: QuerySet[Note]) -> QuerySet[Note]:
    """Everything a note page or the API shows, in a fixed number of queries."""
    return notes.select_related("author", "author__profile", "cover").prefetch_related(
        Prefetch(
            "noteattachment_set",
            queryset=NoteAttachment.objects.select_related("attachment").order_by("position"),
        ),
        "mentions",
        "topics",
    )


def note_for_viewer(*, note_id: int, viewer: Viewer) -> Note | None:
    """The note if ``viewer`` may see it (else None: callers answer 404, never 403)."""
    return with_details(Note.objects.visible_to(viewer)).filter(pk=note_id).first()


def ordered_attachments(note: Note) -> list[Attachment]:
    return [link.attachment for link in note.noteattachment_set.all()]


def suggest_topics(prefix: str, *, limit: int = 8) -> list[dict[str, Any]]:
    """Topics whose folded name starts with ``prefix`` (popular first); popular if empty."""
    topics = Topic.objects.filter(note_count__gt=0)
    folded = fold(prefix.strip().lstrip("#＃"))
    if folded:
        topics = Topic.objects.filter(folded__startswith=folded)
    return [
        {"name": t.name, "count": t.note_count}
        for t in topics.order_by("-note_count", "folded")[:limit]
    ]


def suggest_handles(prefix: str, *, limit: int = 8) -> list[dict[str, str]]:
    """Active users whose handle starts with ``prefix`` (case-insensitive)."""
    prefix = prefix.strip().lstrip("@＠").lower()
    if not prefix:
        return []
    users = (
        User.objects.annotate(lower=Lower("handle"))
        .filter(lower__startswith=prefix, is_active=True)
        .select_related("profile")
        .order_by("lower")[:limit]
    )
    return [
        {
            "handle": u.handle,
            "display_name": getattr(getattr(u, "profile", None), "display_name", ""),
        }
        for u in users
    ]
