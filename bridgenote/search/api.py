"""Search in the native JSON API, mounted at /api/search. Same queries and rules as the web.

Errors have one shape: ``{"error": code, "message": text}``.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from bridgenote.notes.models import Note
from bridgenote.search import queries, services
from bridgenote.search.limits import search_allowed

router = Router(tags=["search"])


class ErrorOut(Schema):
    error: str
    message: str


class AuthorOut(Schema):
    id: str
    handle: str
    display_name: str


class NoteHit(Schema):
    id: str
    url: str
    title: str
    excerpt: str
    language: str
    author: AuthorOut
    cover_kind: str | None
    like_count: int
    collect_count: int
    comment_count: int
    created_at: datetime


class PersonHit(Schema):
    id: str
    handle: str
    display_name: str
    follower_count: int


class TopicHit(Schema):
    id: str
    name: str
    url: str
    note_count: int


class SearchOut(Schema):
    query: str
    type: str
    sort: str
    page: int
    notices: list[str]
    notes: list[NoteHit]
    people: list[PersonHit]
    topics: list[TopicHit]
    has_next: bool


class SuggestOut(Schema):
    topics: list[TopicHit]
    people: list[PersonHit]
    queries: list[str]


class HistoryEntryOut(Schema):
    id: str
    query: str
    searched_at: datetime


class ClearedOut(Schema):
    deleted: int


def _author(note: Note) -> AuthorOut:
    profile = getattr(note.author, "profile", None)
    return AuthorOut(
        id=str(note.author_id), handle=note.author.handle,
        display_name=(profile.display_name if profile else "") or note.author.handle,
    )  # fmt: skip


def _note(note: Note) -> NoteHit:
    return NoteHit(
        id=str(note.id), url=reverse("notes:detail", args=[note.id]), title=note.title,
        excerpt=note.body[:140], language=note.language, author=_author(note),
        cover_kind=note.cover.kind if note.cover_id and note.cover else None,
        like_count=note.like_count, collect_count=note.collect_count,
        comment_count=note.comment_count, created_at=note.created_at,
    )  # fmt: skip


def _person(user: object) -> PersonHit:
    profile = getattr(user, "profile", None)
    return PersonHit(
        id=str(user.pk), handle=user.handle,  # type: ignore[attr-defined]
        display_name=(profile.display_name if profile else "") or user.handle,  # type: ignore[attr-defined]
        follower_count=profile.follower_count if profile else 0,
    )  # fmt: skip


def _topic(topic: object) -> TopicHit:
    return TopicHit(
        id=str(topic.pk), name=topic.name,  # type: ignore[attr-defined]
        url=reverse("topics:detail", args=[topic.name]),  # type: ignore[attr-defined]
        note_count=topic.note_count,  # type: ignore[attr-defined]
    )  # fmt: skip


@router.get("/", response={200: SearchOut, 400: ErrorOut, 429: ErrorOut}, auth=None)
def search(
    request: HttpRequest,
    q: str = "",
    type: str = "notes",
    sort: str = "relevance",
    language: str = "",
    media: str = "",
    page: str = "1",
) -> Status[SearchOut | ErrorOut]:
    """Search notes (sort: relevance, latest, likes, comments, collects; language; media:
    image or video), people or topics. Only what the caller may see is returned."""
    found = queries.search_request(q, sort=sort, language=language, media=media, page=page)
    type = type if type in ("notes", "people", "topics") else "notes"
    if found.query.is_empty:
        return Status(
            400,
            ErrorOut(error="empty_query", message=_("Type words, names or topics to search for.")),
        )
    if not search_allowed(request):
        message = _("You are searching too fast. Wait a minute and try again.")
        return Status(429, ErrorOut(error="rate_limited", message=message))
    out = SearchOut(
        query=found.raw, type=type, sort=found.sort, page=found.page, notices=found.notices,
        notes=[], people=[], topics=[], has_next=False,
    )  # fmt: skip
    if type == "notes":
        results = queries.search_notes(found, viewer=request.user)
        out.notes, out.has_next = [_note(n) for n in results.notes], results.has_next
        if results.notes and found.page == 1:
            services.search_record(user=request.user, query=found.query)  # type: ignore[arg-type]
    elif type == "people":
        out.people = [_person(u) for u in queries.search_people(found.raw, viewer=request.user)]
    else:
        out.topics = [_topic(t) for t in queries.search_topics(found.raw)]
    return Status(200, out)


@router.get("/suggest", response=SuggestOut, auth=None)
def suggest(request: HttpRequest, q: str = "") -> SuggestOut:
    """Suggestions as you type: topics, people and popular queries starting with ``q``."""
    found = queries.suggest(q, viewer=request.user)
    return SuggestOut(
        topics=[_topic(t) for t in found.topics],
        people=[_person(u) for u in found.people],
        queries=found.queries,
    )


@router.get("/history", response=list[HistoryEntryOut], auth=django_auth)
def history(request: HttpRequest) -> list[HistoryEntryOut]:
    """The caller's own recent searches, latest first."""
    return [
        HistoryEntryOut(id=str(e.id), query=e.query, searched_at=e.searched_at)
        for e in queries.history_of(request.user)
    ]


@router.delete("/history", response=ClearedOut, auth=django_auth)
def history_clear(request: HttpRequest) -> ClearedOut:
    """Clear the caller's search history."""
    return ClearedOut(deleted=services.search_history_clear(user=request.user))  # type: ignore[arg-type]


@router.delete("/history/{entry_id}", response={200: ClearedOut, 404: ErrorOut}, auth=django_auth)
def history_delete(request: HttpRequest, entry_id: int) -> Status[ClearedOut | ErrorOut]:
    """Delete one entry of the caller's search history."""
    deleted = services.search_history_clear(user=request.user, entry_id=entry_id)  # type: ignore[arg-type]
    if not deleted:
        message = _("That search is not in your history.")
        return Status(404, ErrorOut(error="not_found", message=message))
    return Status(200, ClearedOut(deleted=deleted))
