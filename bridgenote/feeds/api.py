"""The feeds part of the native JSON API, mounted at /api/feeds."""

from __future__ import annotations

from typing import Any, cast

import orjson
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import django_auth

from bridgenote.feeds import ranking
from bridgenote.feeds.cards import Card, discover_cards, following_cards
from bridgenote.feeds.models import FeedPreferences
from bridgenote.feeds.presenters import why_lines
from bridgenote.feeds.queries import (
    BadCursor,
    FeedPage,
    following_page,
    parse_note_cursor,
    trending_topics,
)
from bridgenote.feeds.services import feed_preferences_update
from bridgenote.notes.models import Topic

router = Router(tags=["feeds"])


class Error(Schema):
    error: str
    message: str


class Cover(Schema):
    url: str | None
    width: int | None
    height: int | None
    blurhash: str


class Author(Schema):
    id: str
    handle: str
    display_name: str


class Why(Schema):
    code: str
    text: str


class FeedNote(Schema):
    id: str
    title: str
    language: str
    author: Author
    cover: Cover | None
    like_count: int
    collect_count: int
    comment_count: int
    published_at: str | None
    why: Why | None = None


class Page(Schema):
    notes: list[FeedNote]
    next_cursor: str | None


class TrendingTopic(Schema):
    id: str
    name: str
    count: int


class Preferences(Schema):
    language_mix: int
    interests: list[str]


class PreferencesIn(Schema):
    language_mix: int
    interests: list[str] | None = None


def _error(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def _note(note: Card, why: tuple[str, str] | None) -> dict[str, Any]:
    rendition = (note.cover_renditions or {}).get("card")
    return {
        "id": str(note.id),
        "title": note.title,
        "language": note.language,
        "author": {
            "id": str(note.author_id),
            "handle": note.author_handle,
            "display_name": note.display_name or note.author_handle,
        },
        "cover": None
        if note.cover_id is None
        else {
            "url": default_storage.url(rendition["name"]) if rendition else None,
            "width": note.cover_width,
            "height": note.cover_height,
            "blurhash": note.cover_blurhash or "",
        },
        "like_count": note.like_count,
        "collect_count": note.collect_count,
        "comment_count": note.comment_count,
        "published_at": note.published_at.isoformat() if note.published_at else None,
        "why": None if why is None else {"code": why[0], "text": why[1]},
    }


def _page(page: FeedPage, *, with_why: bool) -> HttpResponse:
    """The ``Page`` schema's JSON, serialised directly: the generic response path validated
    the 20 cards through pydantic again, a third of the request's CPU (performance.md).
    tests/feeds/test_api.py checks the body against the schema."""
    lines = why_lines(page) if with_why else {}
    body = {
        "notes": [
            _note(
                n, (page.reasons.get(n.pk, ("popular", ""))[0], lines[n.pk]) if with_why else None
            )
            for n in page.notes
        ],
        "next_cursor": page.next_cursor,
    }
    return HttpResponse(orjson.dumps(body), content_type="application/json; charset=utf-8")


@router.get("/following", response={200: Page, 400: Error}, auth=django_auth)
def following(request: HttpRequest, cursor: str | None = None) -> Any:
    """The signed-in user's Following feed, newest first; pass ``next_cursor`` as ``cursor``."""
    try:
        parsed = parse_note_cursor(cursor)
    except BadCursor:
        return Status(
            400, _error("bad_cursor", _("This cursor is not valid; start again without one."))
        )
    page = following_page(request.user, cursor=parsed, fetch=following_cards)
    return _page(page, with_why=False)


@router.get("/discover", response={200: Page, 400: Error}, auth=None)
def discover(request: HttpRequest, channel: str | None = None, cursor: str | None = None) -> Any:
    """The Discover feed (``channel``: ``recommended`` or a topic id from /trending)."""
    try:
        topic = ranking.parse_channel(channel)
    except ValueError:
        return Status(400, _error("bad_channel", _("channel must be 'recommended' or a topic id.")))
    viewer = ranking.viewer_for(request.user, ui_language=get_language() or "en")
    try:
        page = ranking.discover_page(viewer, channel=topic, cursor=cursor, fetch=discover_cards)
    except BadCursor:
        return Status(
            400,
            _error(
                "bad_cursor", _("This cursor is not valid for this feed; start again without one.")
            ),
        )
    return _page(page, with_why=True)


@router.get("/trending", response=list[TrendingTopic], auth=None)
def trending(request: HttpRequest, limit: int = 10) -> Any:
    """Topics with the most new notes in the last hours."""
    return trending_topics(max(1, min(limit, 30)))


@router.get("/preferences", response=Preferences, auth=django_auth)
def preferences(request: HttpRequest) -> Any:
    prefs = FeedPreferences.objects.filter(user_id=cast(int, request.user.pk)).first()
    viewer = ranking.viewer_for(request.user, ui_language=get_language() or "en")
    return {
        "language_mix": prefs.language_mix if prefs else round(viewer.mix * 100),
        "interests": [t.name for t in prefs.interests.all()] if prefs else [],
    }


@router.put("/preferences", response={200: Preferences, 400: Error}, auth=django_auth)
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> Any:
    if not 0 <= payload.language_mix <= 100:
        return Status(400, _error("bad_language_mix", _("language_mix must be between 0 and 100.")))
    interest_ids = None
    if payload.interests is not None:
        from bridgenote.core.text import fold

        names = [n.strip().lstrip("#") for n in payload.interests if n.strip()]
        if len(names) > 20:
            return Status(400, _error("too_many_interests", _("Choose at most 20 interests.")))
        topics = {fold(n): n for n in names}
        found = dict(Topic.objects.filter(folded__in=topics).values_list("folded", "id"))
        unknown = [name for folded, name in topics.items() if folded not in found]
        if unknown:
            return Status(
                400,
                _error(
                    "unknown_topic",
                    _("No notes use these topics yet: %(topics)s") % {"topics": ", ".join(unknown)},
                ),
            )
        interest_ids = list(found.values())
    prefs = feed_preferences_update(
        user=request.user, language_mix=payload.language_mix, interest_ids=interest_ids
    )
    return Status(
        200,
        {
            "language_mix": prefs.language_mix,
            "interests": [t.name for t in prefs.interests.all()],
        },
    )
