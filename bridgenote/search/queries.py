"""Reads: searching notes, people and topics, suggestions, history, topic alias groups.

Every note search starts from ``searchable_notes(viewer)``, so nothing the viewer may not see
is ever returned, whichever backend or sort is used.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from bridgenote.accounts.models import User
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note, Topic
from bridgenote.search.analysis import MAX_QUERY_CHARS, Query, parse_query, prefix_key
from bridgenote.search.backends import backend
from bridgenote.search.models import SearchHistory, SearchQueryLog, SuggestPrefix, TopicAlias

Viewer = User | AnonymousUser | None

SORTS = ("relevance", "latest", "likes", "comments", "collects")
MEDIA = ("image", "video")
LANGUAGES = ("zh", "en", "ja", "ko", "mixed")


def _viewer_id(viewer: Viewer) -> int | None:
    return viewer.pk if viewer is not None and viewer.is_authenticated else None


def searchable_notes(viewer: Viewer) -> QuerySet[Note]:
    """Notes ``viewer`` may find by search: what they may open (``visible_to``: audience,
    blocks), and of others' notes only published, ready, not limited / under review /
    removed. Their own published notes are always found."""
    notes = Note.objects.visible_to(viewer).filter(status=Note.Status.PUBLISHED)
    others = Q(media_ready=True, moderation=Note.Moderation.PUBLISHED)
    viewer_id = _viewer_id(viewer)
    return notes.filter(others | Q(author_id=viewer_id)) if viewer_id else notes.filter(others)


def _hidden_users(viewer: Viewer) -> set[int]:
    """Users hidden from ``viewer`` in people results: either blocked the other."""
    from bridgenote.engage.models import Block

    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return set()
    blocked = Block.objects.filter(blocker_id=viewer_id).values_list("blocked_id", flat=True)
    blockers = Block.objects.filter(blocked_id=viewer_id).values_list("blocker_id", flat=True)
    return set(blocked) | set(blockers)


@dataclass
class SearchRequest:
    """A validated search: the parsed query and the user's choices, plus what to tell them."""

    raw: str
    query: Query
    sort: str = "relevance"
    language: str = ""
    media: str = ""
    page: int = 1
    notices: list[str] = field(default_factory=list)


def search_request(
    raw: str | None, *, sort: str = "", language: str = "", media: str = "", page: Any = 1
) -> SearchRequest:
    """Parse what the user sent; never raises: unknown choices fall back to defaults and a
    too-long query is cut, with a notice to show."""
    raw = raw or ""
    query = parse_query(raw)
    request = SearchRequest(
        raw=raw[:MAX_QUERY_CHARS],
        query=query,
        sort=sort if sort in SORTS else "relevance",
        language=language if language in LANGUAGES else "",
        media=media if media in MEDIA else "",
    )
    try:
        request.page = max(1, min(int(page), settings.SEARCH_MAX_PAGES))
    except (TypeError, ValueError):
        request.page = 1
    if query.truncated:
        request.notices.append(
            _("Your search was cut to its first %(count)d characters.") % {"count": MAX_QUERY_CHARS}
        )
    if query.is_empty and raw.strip():
        request.notices.append(_("Type words, names or topics to search for."))
    return request


@dataclass
class NoteResults:
    notes: list[Note]
    has_next: bool


_WHERE_PREFIX = re.compile(r'^SELECT "notes_note"\."id"(?: AS "id")? FROM "notes_note" WHERE ')


def _where(notes: QuerySet[Note]) -> tuple[str, list[Any]]:
    """The WHERE clause (SQL over ``notes_note`` alone, and its params) of a notes QuerySet,
    so the backends can put it under their own full-text join; the ORM stays the one place
    where visibility rules are written."""
    sql, params = notes.order_by().values_list("id").query.sql_with_params()
    prefix = _WHERE_PREFIX.match(sql)
    if prefix is None:
        raise ValueError(f"search needs conditions over notes_note alone, got: {sql[:200]}")
    return sql[prefix.end() :], list(params)


def search_notes(request: SearchRequest, *, viewer: Viewer) -> NoteResults:
    """One page of the notes matching the query that ``viewer`` may see, in the chosen order."""
    if request.query.is_empty:
        return NoteResults(notes=[], has_next=False)
    notes = searchable_notes(viewer)
    if request.language:
        notes = notes.filter(language=request.language)
    if request.media:
        # A correlated EXISTS, not a join: the page query must stay over notes_note alone.
        covers = Attachment.objects.filter(id=OuterRef("cover_id"), kind=request.media)
        notes = notes.filter(Exists(covers))
    size = settings.SEARCH_PAGE_SIZE
    start = (request.page - 1) * size
    search = backend(notes.db)
    where = _where(notes)
    # How many of the newest matches to rank: relevance and the popularity sorts get the
    # configured window (each ranked note costs a join to its counters, and on PostgreSQL the
    # window sizes the id slice searched), relevance of several terms a smaller one; latest
    # needs just enough for the page once invisible notes are skipped.
    multi = len(request.query.terms) > 1
    window = {
        "relevance": settings.SEARCH_WINDOW_MULTI if multi else settings.SEARCH_WINDOW,
        "latest": max(200, (start + size + 1) * 4),
    }.get(request.sort, settings.SEARCH_WINDOW)

    def page(window: int | None) -> list[int]:
        return search.page(where, request.query, order=request.sort, offset=start,
                           limit=size + 1, window=window)  # fmt: skip

    ids = page(window)
    if len(ids) <= size:
        # The window may have held too few notes this viewer may see, or the page may lie
        # past it: rank every match (slower, only for deep pages or sparse results).
        ids = page(None)
    cards = Note.objects.filter(id__in=ids[:size]).select_related(
        "cover", "author", "author__profile"
    )
    by_id = {card.id: card for card in cards}
    found = [by_id[i] for i in ids if i in by_id]
    return NoteResults(notes=found[:size], has_next=len(ids) > size)


def _prefix_lookup(
    key: str, kind: str, *, limit: int, exclude: set[int] | None = None
) -> list[int]:
    """Object ids whose keys start with ``key``, heaviest first: one index range read."""
    exclude = exclude or set()
    if not key:
        return []
    rows = SuggestPrefix.objects.filter(kind=kind, prefix=key[: SuggestPrefix.PREFIX_MAX])
    if len(key) > SuggestPrefix.PREFIX_MAX:
        rows = rows.filter(key__startswith=key)
    ids: list[int] = []
    # A thing has a row per key sharing a prefix (zipai, zp), so read a few more than needed.
    for object_id in rows.order_by("-weight").values_list("object_id", flat=True)[
        : (limit + len(exclude)) * 3
    ]:
        if object_id not in ids and object_id not in exclude:
            ids.append(object_id)
            if len(ids) == limit:
                break
    return ids


def search_people(raw: str, *, viewer: Viewer, limit: int = 20) -> list[User]:
    """People whose handle or display name (or its pinyin) starts with the query, most
    followed first; never someone who blocked the viewer or whom the viewer blocked."""
    ids = _prefix_lookup(prefix_key(raw), SuggestPrefix.Kind.USER, limit=limit,
                         exclude=_hidden_users(viewer))  # fmt: skip
    users = User.objects.filter(id__in=ids, is_active=True).select_related("profile")
    by_id = {user.id: user for user in users}
    return [by_id[i] for i in ids if i in by_id]


def search_topics(raw: str, *, limit: int = 20) -> list[Topic]:
    """Canonical topics whose name, an alias or its pinyin starts with the query."""
    ids = _prefix_lookup(prefix_key(raw), SuggestPrefix.Kind.TOPIC, limit=limit)
    by_id = Topic.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class Suggestions:
    topics: list[Topic]
    people: list[User]
    queries: list[str]

    @property
    def is_empty(self) -> bool:
        return not (self.topics or self.people or self.queries)


# Suggestions per prefix key, kept in each process for SEARCH_SUGGEST_CACHE_SECONDS: people
# type the same few prefixes (z, zi, zip...) all day, and a suggestion is three index reads
# and three object fetches. Writes to the suggestion index in this process empty it
# (``forget_suggestions``); other processes see them when their entry expires.
_SUGGEST_PEOPLE_KEPT = 12  # people kept per prefix, so blocks can be filtered per viewer
_SUGGEST_CACHE_MAX = 20_000
_SUGGEST_CACHE: dict[str, tuple[float, Suggestions]] = {}


def forget_suggestions() -> None:
    """Empty this process's suggestion cache now and again when the writing transaction
    commits (a search in between could keep the rows it is replacing)."""
    _SUGGEST_CACHE.clear()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_SUGGEST_CACHE.clear)


def _suggestions_for(key: str, raw: str) -> Suggestions:
    """Everyone's suggestions for ``key`` (people unfiltered, up to _SUGGEST_PEOPLE_KEPT)."""
    seconds = settings.SEARCH_SUGGEST_CACHE_SECONDS
    now = time.monotonic()
    cached = _SUGGEST_CACHE.get(key)
    if cached is not None and now - cached[0] < seconds:
        return cached[1]
    query_ids = _prefix_lookup(key, SuggestPrefix.Kind.QUERY, limit=3)
    logs = SearchQueryLog.objects.in_bulk(query_ids)
    people_ids = _prefix_lookup(key, SuggestPrefix.Kind.USER, limit=_SUGGEST_PEOPLE_KEPT)
    users = User.objects.filter(id__in=people_ids, is_active=True).select_related("profile")
    people = {user.id: user for user in users}
    found = Suggestions(
        topics=search_topics(raw, limit=5),
        people=[people[i] for i in people_ids if i in people],
        queries=[logs[i].display for i in query_ids if i in logs],
    )
    if seconds > 0:
        if len(_SUGGEST_CACHE) >= _SUGGEST_CACHE_MAX:
            _SUGGEST_CACHE.clear()
        _SUGGEST_CACHE[key] = (now, found)
    return found


def suggest(raw: str, *, viewer: Viewer) -> Suggestions:
    """Suggestions as you type: topics, people and popular queries starting with the text;
    never a person who blocked the viewer or whom the viewer blocked."""
    key = prefix_key(raw)
    if not key:
        return Suggestions(topics=[], people=[], queries=[])
    shared = _suggestions_for(key, raw)
    hidden = _hidden_users(viewer)
    people = [user for user in shared.people if user.id not in hidden][:3]
    if len(people) < 3 and len(shared.people) == _SUGGEST_PEOPLE_KEPT:
        people = search_people(raw, viewer=viewer, limit=3)  # blocks hid most of them
    return Suggestions(topics=list(shared.topics), people=people, queries=list(shared.queries))


def history_of(user: Viewer, *, limit: int = 20) -> list[SearchHistory]:
    """The viewer's own recent searches, latest first (none for visitors)."""
    viewer_id = _viewer_id(user)
    if viewer_id is None:
        return []
    return list(SearchHistory.objects.filter(user_id=viewer_id).order_by("-searched_at")[:limit])


def canonical_topic_id(topic_id: int) -> int:
    """The topic that ``topic_id`` is an accepted alias of, or itself."""
    canonical = (
        TopicAlias.objects.filter(alias_id=topic_id, status=TopicAlias.Status.ACCEPTED)
        .values_list("canonical_id", flat=True)
        .first()
    )
    return canonical or topic_id


def topic_group_ids(topic_id: int) -> list[int]:
    """The topic, its canonical topic and every accepted alias of that canonical topic: what a
    topic page and search treat as one topic (#自拍 = #selfie)."""
    root = canonical_topic_id(topic_id)
    aliases = TopicAlias.objects.filter(canonical_id=root, status=TopicAlias.Status.ACCEPTED)
    return [root, *aliases.values_list("alias_id", flat=True)]


def alias_proposals(status: str = TopicAlias.Status.PROPOSED) -> QuerySet[TopicAlias]:
    return (
        TopicAlias.objects.filter(status=status)
        .select_related("alias", "canonical")
        .order_by("-created_at")
    )
