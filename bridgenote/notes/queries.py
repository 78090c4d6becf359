"""Reads of notes and topics shared by the web pages, the API and (later) feeds."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower

from bridgenote.accounts.models import User
from bridgenote.core.fastsql import Precompiled
from bridgenote.core.text import fold
from bridgenote.media.models import Attachment
from bridgenote.notes.models import RULE_FIELDS, Note, NoteAttachment, Topic, admits

Viewer = User | AnonymousUser | None
# IDs are signed 64-bit integers; larger numbers from a URL or a payload match nothing (and
# must never reach the database, which would refuse them with an error).
MAX_ID = 2**63 - 1


def valid_id(value: int | None) -> bool:
    return value is not None and 0 < value <= MAX_ID


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
    if before is not None and before > MAX_ID:
        before = None
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
    if not valid_id(note_id):
        return None
    return with_details(Note.objects.visible_to(viewer)).filter(pk=note_id).first()


def _viewer_id(viewer: Viewer) -> int | None:
    return int(viewer.pk) if viewer is not None and viewer.is_authenticated else None


@functools.cache
def _relations_sql(vendor: str) -> str:
    """One statement: does the viewer follow the author, does either block the other. Built
    once per database vendor from the models' table and column names."""
    from bridgenote.engage.models import Block, Follow

    quote = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    # Only table and column names from the models go into the text; values are parameters.
    follow, block = quote(Follow._meta.db_table), quote(Block._meta.db_table)
    follower, followee = column(Follow, "follower"), column(Follow, "followee")
    blocker, blocked = column(Block, "blocker"), column(Block, "blocked")
    follows = f"SELECT 1 FROM {follow} WHERE {follower} = %s AND {followee} = %s"  # noqa: S608
    blocks = (
        f"SELECT 1 FROM {block} WHERE ({blocker} = %s AND {blocked} = %s)"  # noqa: S608
        f" OR ({blocker} = %s AND {blocked} = %s)"
    )
    return f"SELECT EXISTS({follows}), EXISTS({blocks})"


def viewer_relations(viewer_id: int, author_id: int) -> tuple[bool, bool]:
    """(viewer follows author, either blocks the other), in one small query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _relations_sql(connection.vendor),
            [viewer_id, author_id, viewer_id, author_id, author_id, viewer_id],
        )
        follows, blocked = cursor.fetchone()
    return bool(follows), bool(blocked)


def note_visible_to(note_id: int, viewer: Viewer) -> bool:
    """Whether ``viewer`` may open note ``note_id``: the answer of ``Note.objects.visible_to``
    for one note (same rules, ``models.admits``), without building that query. Costs one
    query reading the note's few visibility columns, plus one (``viewer_relations``) when the
    answer depends on follows and blocks."""
    if not valid_id(note_id):
        return False
    values = Note.objects.filter(pk=note_id).values(*RULE_FIELDS).first()
    return values is not None and admits(values, _viewer_id(viewer), viewer_relations)


_NOTE_COLUMNS = tuple(f.attname for f in Note._meta.concrete_fields)
_NOTE_ROW = Precompiled(lambda note: Note.objects.filter(pk=note).values_list(*_NOTE_COLUMNS))


def note_from_row(row: tuple[Any, ...]) -> Note:
    """A Note with all its columns from a row of ``_NOTE_COLUMNS`` (relations load lazily)."""
    note = Note(**dict(zip(_NOTE_COLUMNS, row, strict=True)))
    note._state.adding, note._state.db = False, "default"
    return note


def note_row(note_id: int) -> Note | None:
    """Note ``note_id`` (its own columns), whoever may see it: for callers that have just
    checked (one precompiled query)."""
    rows = _NOTE_ROW.rows(note=note_id) if valid_id(note_id) else []
    return note_from_row(rows[0]) if rows else None


def visible_note(note_id: int, viewer: Viewer) -> Note | None:
    """Note ``note_id`` (its own columns, no relations loaded) if ``viewer`` may open it, else
    None: ``note_visible_to`` for callers that need the note too. One precompiled query for
    the note, plus ``viewer_relations`` when the answer depends on follows and blocks."""
    if not valid_id(note_id):
        return None
    rows = _NOTE_ROW.rows(note=note_id)
    if not rows:
        return None
    note = note_from_row(rows[0])
    values = {field: getattr(note, field) for field in RULE_FIELDS}
    return note if admits(values, _viewer_id(viewer), viewer_relations) else None


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
