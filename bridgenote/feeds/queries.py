"""Reads of the feeds app: the Following feed and trending topics. Discover lives in
``ranking.py``. Views and the API call these; they never touch the ORM themselves."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count

from bridgenote.core.fastsql import Precompiled, padded
from bridgenote.core.ids import id_at, id_time
from bridgenote.engage.models import Follow
from bridgenote.feeds import inbox_cache, localcache
from bridgenote.feeds.models import HybridAuthor, InboxEntry
from bridgenote.feeds.services import inbox_boundary, trending_since
from bridgenote.feeds.visibility import discoverable, following_visible
from bridgenote.notes.models import Note, NoteTopic, Topic

MAX_ID = (1 << 63) - 1
_ROUNDS = 6  # how many times a page refills after dropping notes hidden since fan-out


class BadCursor(ValueError):
    """A cursor that this server did not issue (or that no longer parses)."""


@dataclass
class FeedPage:
    notes: list[Any]  # Note instances, or cards.Card rows
    next_cursor: str | None
    reasons: dict[int, tuple[str, str]] = field(default_factory=dict)


def parse_note_cursor(raw: str | None) -> int | None:
    """A Following cursor is the id of the last note shown; anything else is a BadCursor."""
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise BadCursor(raw)
    value = int(raw)
    if not 0 < value <= MAX_ID:
        raise BadCursor(raw)
    return value


def _cards(notes: Any) -> Any:
    """Notes with what a card shows, in one query."""
    return notes.select_related("author", "author__profile", "cover")


def _note_instances(viewer_id: int, ids: Sequence[int]) -> dict[int, Any]:
    return {n.pk: n for n in _cards(following_visible(viewer_id).filter(pk__in=ids))}


# The hot reads, compiled once per process (see core/fastsql.py).
_INBOX = Precompiled(
    lambda user, before, floor, limit: (
        InboxEntry.objects.filter(user_id=user, note_id__lt=before, note_id__gte=floor)
        .order_by("-note_id")
        .values_list("note_id", flat=True)[:limit]
    ),
    static=("limit",),
)
_FOLLOWED_HYBRIDS = Precompiled(
    lambda viewer: Follow.objects.filter(
        follower_id=viewer, followee_id__in=HybridAuthor.objects.values("user_id")
    ).values_list("followee_id")
)
_AUTHORS_SLICE = Precompiled(
    lambda authors, before, floor, limit: (
        Note.objects.filter(author_id__in=authors, id__lt=before, id__gte=floor)
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    ),
    static=("limit",),
)
_AUTHOR_SIZES = (8, 24, 44, 84, 124)


def following_page(
    viewer: Any,
    *,
    cursor: int | None,
    limit: int | None = None,
    fetch: Callable[[int, Sequence[int]], dict[int, Any]] | None = None,
) -> FeedPage:
    """Notes of the accounts ``viewer`` follows, and their own, newest first, strictly older
    than ``cursor``. New notes get larger ids, so scrolling never repeats or skips one.

    Sources: the inbox (fan-out on write) for the last ``FEEDS_INBOX_DAYS``, merged with the
    notes of followed hybrid authors; below the inbox window, a merge over all follows.
    Every candidate is re-checked for visibility before it is shown. ``fetch`` loads the
    visible ones among candidate ids (default: Note instances; ``cards.following_cards``
    gives plain rows).
    """
    limit = limit or settings.FEEDS_PAGE_SIZE
    fetch = fetch or _note_instances
    viewer_id = viewer.pk
    before = cursor or MAX_ID
    boundary = inbox_boundary()
    shown: list[Any] = []
    hybrids: list[int] | None = None  # the followed authors merged at read time
    for _round in range(_ROUNDS):
        want = (limit - len(shown)) + 4
        if before > boundary:
            ids = set(_inbox_ids(viewer_id, before=before, floor=boundary, limit=want))
            if hybrids is None:
                hybrids = [row[0] for row in _FOLLOWED_HYBRIDS.rows(viewer=viewer_id)]
            if hybrids:
                ids.update(_hybrid_notes(hybrids, before=before, floor=boundary, want=want))
            candidates = sorted(ids, reverse=True)[:want]
            window_done = len(candidates) < want
        else:
            candidates = _followed_notes(viewer_id, before=before, want=want)
            window_done = False
        if candidates:
            found = fetch(viewer_id, candidates)
            for note_id in candidates:
                if note_id in found and len(shown) < limit:
                    shown.append(found[note_id])
            before = candidates[-1] if len(shown) < limit else shown[-1].pk
        if len(shown) >= limit:
            break
        if window_done:
            before = min(before, boundary)  # continue below the inbox window
        elif not candidates:
            break
    next_cursor = str(shown[-1].pk) if len(shown) >= limit else None
    return FeedPage(notes=shown, next_cursor=next_cursor)


BELOW_WINDOW_FIRST_SLICE = 86400.0  # seconds of notes the first read below the window covers


_FOLLOWED_SLICE = Precompiled(
    lambda viewer, before, floor, limit: (
        Note.objects.filter(
            author_id__in=Follow.objects.filter(follower_id=viewer).values("followee_id"),
            id__lt=before,
            id__gte=floor,
        )
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    ),
    static=("limit",),
)
_OWN_SLICE = Precompiled(
    lambda viewer, before, floor, limit: (
        Note.objects.filter(author_id=viewer, id__lt=before, id__gte=floor)
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    ),
    static=("limit",),
)


def _hybrid_notes(authors: list[int], *, before: int, floor: int, want: int) -> list[int]:
    """The newest ``want`` notes of ``authors`` (followed hybrid authors) in
    ``[floor, before)``, read in doubling time slices from the newest possible id down: such
    an author can have thousands of notes in the inbox window, and reading all of them to keep
    the newest few cost ~10-45 ms on PostgreSQL (index scan plus heap fetches, then a sort)."""
    found: list[int] = []
    top = before
    upper = min(id_time(before), time.time() + 60)  # no note id is newer than the clock
    span = BELOW_WINDOW_FIRST_SLICE
    authors = padded(authors, _AUTHOR_SIZES)
    while len(found) < want and top > floor:
        low = max(floor, id_at(upper - span))
        rows = _AUTHORS_SLICE.rows(authors=authors, before=top, floor=low, limit=want - len(found))
        found.extend(row[0] for row in rows)
        top, upper, span = low, upper - span, span * 2
    return found


def _followed_notes(viewer_id: int, *, before: int, want: int) -> list[int]:
    """The newest ``want`` notes by the accounts ``viewer_id`` follows, and their own, older
    than ``before``, read in time slices of one day, then two, four, ... (note ids are
    time-ordered): each author's index is read over the slice only, so a page reads about as
    many notes as it shows instead of every note the followed accounts ever wrote below the
    cursor (then sorted)."""
    found: list[int] = []
    top = before
    span = BELOW_WINDOW_FIRST_SLICE
    while len(found) < want and top > 0:
        floor = max(0, id_at(id_time(top) - span))
        args = {"viewer": viewer_id, "before": top, "floor": floor, "limit": want - len(found)}
        ids = {row[0] for row in _FOLLOWED_SLICE.rows(**args)}
        ids.update(row[0] for row in _OWN_SLICE.rows(**args))
        found.extend(sorted(ids, reverse=True)[: want - len(found)])
        top, span = floor, span * 2
    return found


def _inbox_ids(user_id: int, *, before: int, floor: int, limit: int) -> list[int]:
    cached = inbox_cache.read(user_id, before=before, floor=floor, limit=limit)
    if cached is not None:
        ids, complete = cached
        if complete:
            return ids
        below = ids[-1] if ids else before
        return ids + _inbox_db(user_id, before=below, floor=floor, limit=limit - len(ids))
    return _inbox_db(user_id, before=before, floor=floor, limit=limit)


def _inbox_db(user_id: int, *, before: int, floor: int, limit: int) -> list[int]:
    if limit <= 0:
        return []
    return [row[0] for row in _INBOX.rows(user=user_id, before=before, floor=floor, limit=limit)]


# --- trending ---------------------------------------------------------------------------------
TRENDING_KEY = "feeds:trending:v1"
TRENDING_MEMO_SECONDS = 10.0
_trending_memo: list[Any] = []
localcache.on_clear(_trending_memo.clear)


def trending_topics(limit: int = 10) -> list[dict[str, Any]]:
    """Topics with the most discoverable notes in the last ``FEEDS_TRENDING_HOURS`` (cached
    for a minute; a list of {"id", "name", "count"})."""
    now = time.monotonic()
    if _trending_memo and _trending_memo[0] > now:
        return list(_trending_memo[1][:limit])
    cached = cache.get(TRENDING_KEY)
    if cached is None:
        since = trending_since()
        # Both sides bounded by the id range: the subquery must not list every note.
        rows = (
            NoteTopic.objects.filter(
                note_id__gte=since,
                note_id__in=discoverable().filter(id__gte=since).values("id"),
            )
            .values("topic_id")
            .annotate(n=Count("id"))
            .order_by("-n", "topic_id")[:30]
        )
        counts = {r["topic_id"]: r["n"] for r in rows}
        names = dict(Topic.objects.filter(pk__in=counts).values_list("id", "name"))
        cached = [
            {"id": str(t), "name": names[t], "count": n} for t, n in counts.items() if t in names
        ]
        cache.set(TRENDING_KEY, cached, timeout=60)
    # Also kept in process memory for a few seconds: on the embedded default the shared cache
    # is a database table, one more query on every Discover page.
    _trending_memo[:] = [now + TRENDING_MEMO_SECONDS, cached]
    return list(cached[:limit])
