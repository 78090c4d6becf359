"""The Discover feed: per-viewer ranking of the precomputed candidate pool.

A request never sorts the notes table. The ``discover_refresh`` job keeps a pool of a few
thousand recent notes with a global score (engagement with freshness decay) in
``DiscoverCandidate``; each process keeps the pool in memory until its version changes. For a
viewer, the pool is re-weighted by affinity (followed authors, topics of their own notes,
likes and collects, chosen interests; a note asking for help with a language the viewer speaks
is lifted), split into their own language community and the other
one, interleaved to the viewer's language mix, and arranged so that no author has more than
two cards in a row. The arranged list is stored in the cache for an hour; the cursor is a
signed (list token, offset) pair, so pages never repeat a note. If the cached list is lost,
it is recomputed from the database (same pool: the same list).
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count

from bridgenote.engage.models import Follow
from bridgenote.feeds import localcache
from bridgenote.feeds.models import DiscoverCandidate, FeedPreferences
from bridgenote.feeds.queries import BadCursor, FeedPage
from bridgenote.feeds.services import (
    COLLECT_WEIGHT,
    COMMENT_WEIGHT,
    LIKE_WEIGHT,
    POOL_VERSION_KEY,
    discover_refresh,
    discover_refresh_soon,
    global_score,
)
from bridgenote.feeds.visibility import discoverable, hidden_author_ids
from bridgenote.notes.models import Note, NoteTopic

COMMUNITIES = ("zh", "en")
RANKED_MAX = 600  # cards per arranged list (30 pages of 20)
SESSION_SECONDS = 3600
VIEWER_SECONDS = 120
POOL_RELOAD_SECONDS = 30  # without a version in the cache, reload the pool this often
DEFAULT_MIX = 30
RECOMMENDED = "recommended"

# Reason codes for the "why am I seeing this" line (translated in the template).
WHY_FOLLOW = "follow"
WHY_TOPIC = "topic"
WHY_COMMUNITY = "community"
WHY_POPULAR_TOPIC = "popular_topic"
WHY_POPULAR = "popular"
WHY_HELP = "help"
# A note asking for help with a language the viewer speaks is weighted this much more, and
# counts as the viewer's own community (they are the people who can answer it).
HELP_BOOST = 1.5


@dataclass(frozen=True, slots=True)
class Candidate:
    note_id: int
    author_id: int
    language: str
    topic_ids: tuple[int, ...]
    score: float
    help_language: str = ""


@dataclass
class Viewer:
    key: str
    user_id: int | None
    home: frozenset[str]
    mix: float
    followees: frozenset[int] = frozenset()
    authors: dict[int, float] = field(default_factory=dict)
    topics: dict[int, float] = field(default_factory=dict)
    hidden: frozenset[int] = frozenset()
    spoken: frozenset[str] = frozenset()


# --- the candidate pool -----------------------------------------------------------------------
_pool_lock = threading.Lock()
_pool: tuple[Any, float, list[Candidate]] | None = None


def candidate_pool() -> list[Candidate]:
    """The current pool, from process memory while its version is unchanged."""
    return current_pool()[1]


def current_pool() -> tuple[str, list[Candidate]]:
    """(version, candidates) of the pool, from process memory while its version holds."""
    global _pool
    version = cache.get(POOL_VERSION_KEY)
    now = time.monotonic()
    if version is None or time.time() - float(version) > settings.FEEDS_DISCOVER_REFRESH_SECONDS:
        discover_refresh_soon()
    current = _pool
    if (
        current is not None
        and current[0] == version
        and (version is not None or now - current[1] < POOL_RELOAD_SECONDS)
    ):
        return str(current[0]), current[2]
    with _pool_lock:
        pool = _load_pool()
        if not pool and version is None:
            discover_refresh()  # an empty instance: build the first pool now
            version = cache.get(POOL_VERSION_KEY)
            pool = _load_pool()
        _pool = (version, now, pool)
    return str(version), pool


def _load_pool() -> list[Candidate]:
    rows = DiscoverCandidate.objects.order_by("-score").values_list(
        "note_id", "author_id", "language", "topic_ids", "score", "note__help_language"
    )
    return [Candidate(n, a, lang, tuple(t or ()), s, help or "") for n, a, lang, t, s, help in rows]


def channel_candidates(topic_id: int) -> list[Candidate]:
    """Pool candidates of one topic, topped up from the database when the pool has few."""
    found = [c for c in candidate_pool() if topic_id in c.topic_ids]
    if len(found) >= 200:
        return found
    have = {c.note_id for c in found}
    now = time.time()
    rows = (
        discoverable()
        .filter(id__in=NoteTopic.objects.filter(topic_id=topic_id).values("note_id"))
        .order_by("-id")
        .values_list(
            "id",
            "author_id",
            "language",
            "like_count",
            "collect_count",
            "comment_count",
            "help_language",
        )[:300]
    )
    extra = []
    for note_id, author_id, language, likes, collects, comments, help_language in rows:
        if note_id in have:
            continue
        raw = LIKE_WEIGHT * likes + COLLECT_WEIGHT * collects + COMMENT_WEIGHT * comments
        extra.append(
            Candidate(
                note_id,
                author_id,
                language,
                (topic_id,),
                global_score(raw, note_id, now),
                help_language or "",
            )
        )
    return sorted(found + extra, key=lambda c: -c.score)


# --- the viewer -------------------------------------------------------------------------------
def _viewer_key(user_id: int) -> str:
    return f"feeds:viewer:{user_id}"


def forget_viewer(user_id: int) -> None:
    localcache.delete(_viewer_key(user_id))


def viewer_for(user: Any, *, ui_language: str) -> Viewer:
    """What ranking needs to know about ``user`` (cached for two minutes)."""
    fallback = frozenset({"zh" if ui_language.startswith("zh") else "en"})
    if user is None or not user.is_authenticated:
        return Viewer(key=f"anon-{sorted(fallback)[0]}", user_id=None, home=fallback,
                      mix=DEFAULT_MIX / 100)  # fmt: skip
    cached = localcache.get(_viewer_key(user.pk))
    if cached is not None:
        return Viewer(**cached)
    viewer = _build_viewer(user, fallback)
    localcache.set(_viewer_key(user.pk), viewer.__dict__, timeout=VIEWER_SECONDS)
    return viewer


def _build_viewer(user: Any, fallback: frozenset[str]) -> Viewer:
    profile = getattr(user, "profile", None)
    spoken = set(getattr(profile, "languages_spoken", None) or [])
    learning = set(getattr(profile, "languages_learning", None) or [])
    home = frozenset(spoken & set(COMMUNITIES)) or fallback
    prefs = FeedPreferences.objects.filter(user=user).first()
    if prefs is not None:
        mix = prefs.language_mix
        interests = list(prefs.interests.values_list("id", flat=True))
    else:
        # A newcomer learning the other community's language sees a little more of it.
        mix = DEFAULT_MIX + (10 if learning & (set(COMMUNITIES) - home) else 0)
        interests = []
    followees = frozenset(
        Follow.objects.filter(follower=user).values_list("followee_id", flat=True)
    )
    authors: dict[int, float] = dict.fromkeys(followees, 1.0)
    topics: dict[int, float] = dict.fromkeys(interests, 1.0)
    own = Note.objects.filter(author=user).order_by("-id").values("id")[:50]
    _add_topics(topics, NoteTopic.objects.filter(note_id__in=own), 0.3)
    for model_name, weight in (("Like", 0.2), ("Collect", 0.4)):
        try:
            model = apps.get_model("engage", model_name)
        except LookupError:
            continue  # the engage app does not provide it (yet)
        recent = model.objects.filter(user=user).order_by("-pk").values("note_id")[:200]
        _add_topics(topics, NoteTopic.objects.filter(note_id__in=recent), weight)
        liked_authors = (
            Note.objects.filter(id__in=recent).values("author_id").annotate(n=Count("id"))
        )
        for row in liked_authors:
            authors[row["author_id"]] = min(
                1.0, authors.get(row["author_id"], 0) + weight * row["n"]
            )
    return Viewer(
        key=str(user.pk),
        user_id=user.pk,
        home=home,
        mix=mix / 100,
        followees=followees,
        authors=authors,
        topics=topics,
        hidden=frozenset(hidden_author_ids(user)),
        spoken=frozenset(spoken),
    )


def _add_topics(topics: dict[int, float], rows: Any, weight: float) -> None:
    for row in rows.values("topic_id").annotate(n=Count("id")):
        topics[row["topic_id"]] = min(2.0, topics.get(row["topic_id"], 0) + weight * row["n"])


# --- arranging --------------------------------------------------------------------------------
def is_home(viewer: Viewer, language: str) -> bool:
    """Mixed-language and undetected notes bridge both communities: home for everyone."""
    return language not in COMMUNITIES or language in viewer.home


def can_help(viewer: Viewer, c: Candidate) -> bool:
    """Whether ``c`` asks for help with a language ``viewer`` speaks (Profile.languages_spoken)."""
    return bool(c.help_language) and c.help_language in viewer.spoken


def rank(viewer: Viewer, candidates: Iterable[Candidate], *, channel_topic: int | None = None
         ) -> list[tuple[int, str, str]]:  # fmt: skip
    """Arrange ``candidates`` for ``viewer``: a list of (note_id, why code, why argument)."""
    home: list[tuple[float, Candidate]] = []
    other: list[tuple[float, Candidate]] = []
    for c in candidates:
        if c.author_id in viewer.hidden or c.author_id == viewer.user_id:
            continue
        topic_affinity = min(1.5, sum(viewer.topics.get(t, 0.0) for t in c.topic_ids))
        weight = 1.0 + 2.0 * viewer.authors.get(c.author_id, 0.0) + topic_affinity
        helps = can_help(viewer, c)
        if helps:
            weight *= HELP_BOOST
        queue = home if helps or is_home(viewer, c.language) else other
        queue.append((c.score * weight, c))
    home.sort(key=lambda pair: -pair[0])
    other.sort(key=lambda pair: -pair[0])
    queues = ([c for _, c in home], [c for _, c in other])
    arranged = interleave(queues[0], queues[1], viewer.mix, limit=RANKED_MAX)
    return [(c.note_id, *why(viewer, c, channel_topic)) for c in arranged]


def interleave(home: list[Candidate], other: list[Candidate], mix: float, *, limit: int
               ) -> list[Candidate]:  # fmt: skip
    """Merge two ranked queues so that about ``mix`` of every prefix comes from ``other``, and
    no author has more than two cards in a row (a card that would be the third is deferred)."""
    out: list[Candidate] = []
    taken_other = 0
    while (home or other) and len(out) < limit:
        target = math.floor(mix * (len(out) + 1) + 0.5)
        order = (other, home) if (taken_other < target and other) or not home else (home, other)
        blocked = (
            out[-1].author_id if len(out) >= 2 and out[-1].author_id == out[-2].author_id else None
        )
        picked = None
        for queue in order:
            for index, candidate in enumerate(queue[:50]):
                if candidate.author_id != blocked:
                    picked = queue.pop(index)
                    break
            if picked is not None:
                if queue is other:
                    taken_other += 1
                break
        if picked is None:
            break  # only the same author is left: stop rather than break the rule
        out.append(picked)
    return out


def why(viewer: Viewer, c: Candidate, channel_topic: int | None) -> tuple[str, str]:
    if c.author_id in viewer.followees:
        return WHY_FOLLOW, str(c.author_id)
    if can_help(viewer, c):
        return WHY_HELP, c.help_language
    liked = [t for t in c.topic_ids if viewer.topics.get(t, 0) >= 0.3]
    if liked:
        return WHY_TOPIC, str(liked[0])
    if not is_home(viewer, c.language):
        return WHY_COMMUNITY, c.language
    if channel_topic is not None:
        return WHY_POPULAR_TOPIC, str(channel_topic)
    if c.topic_ids:
        return WHY_POPULAR_TOPIC, str(c.topic_ids[0])
    return WHY_POPULAR, ""


# --- pages ------------------------------------------------------------------------------------
_signer = signing.Signer(salt="bridgenote.feeds.discover")
_TOKEN_KEY = hashlib.sha256(f"feeds.discover.{settings.SECRET_KEY}".encode()).digest()[:32]


def _session_key(token: str) -> str:
    return f"feeds:discover:{token}"


def parse_channel(raw: str | None) -> int | None:
    """``recommended`` (or nothing) is None; a topic channel is its id. Else ValueError."""
    if raw in (None, "", RECOMMENDED):
        return None
    assert raw is not None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise ValueError(raw)
    return int(raw)


def _note_instances(viewer_id: int | None, ids: Sequence[int]) -> dict[int, Any]:
    visible = discoverable().exclude(author_id__in=hidden_author_ids(viewer_id))
    return {
        n.pk: n
        for n in visible.filter(pk__in=ids).select_related("author", "author__profile", "cover")
    }


def discover_page(viewer: Viewer, *, channel: int | None, cursor: str | None,
                  limit: int | None = None,
                  fetch: Callable[[int | None, Sequence[int]], dict[int, Any]] | None = None,
                  ) -> FeedPage:  # fmt: skip
    """One page of ``viewer``'s Discover feed. A BadCursor for a cursor we did not issue to
    this viewer and channel. ``fetch`` loads the visible notes among ids (default: Note
    instances; ``cards.discover_cards`` gives plain rows)."""
    fetch = fetch or _note_instances
    limit = limit or settings.FEEDS_PAGE_SIZE
    if cursor:
        try:
            token, offset_text = _signer.unsign(cursor).split(":", 1)
            offset = int(offset_text)
        except (signing.BadSignature, ValueError):
            raise BadCursor(cursor) from None
        session = localcache.get(_session_key(token))
        if session is not None and (session["v"] != viewer.key or session["c"] != channel):
            raise BadCursor(cursor)
        if session is None:
            session = _new_session(viewer, channel)
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
    else:
        # One arranged list per viewer, channel and pool version: reloading the first page
        # reads it back instead of ranking again; a new pool version gives a fresh list.
        version, _candidates = current_pool()
        digest = hashlib.blake2b(
            f"{viewer.key}|{channel}|{version}".encode(), digest_size=9, key=_TOKEN_KEY
        )
        token, offset = base64.urlsafe_b64encode(digest.digest()).decode(), 0
        session = localcache.get(_session_key(token))
        if session is None:
            session = _new_session(viewer, channel)
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
    items: list[list[Any]] = session["i"]
    shown: list[Any] = []
    reasons: dict[int, tuple[str, str]] = {}
    # Blocks and mutes are read fresh: a block hides its author from the very next page.
    while len(shown) < limit and offset < len(items):
        chunk = items[offset : offset + (limit - len(shown)) + 4]
        found = fetch(viewer.user_id, [i[0] for i in chunk])
        for note_id, code, arg in chunk:
            offset += 1
            if note_id in found:
                shown.append(found[note_id])
                reasons[note_id] = (code, arg)
                if len(shown) >= limit:
                    break
    next_cursor = _signer.sign(f"{token}:{offset}") if offset < len(items) else None
    return FeedPage(notes=shown, next_cursor=next_cursor, reasons=reasons)


def _new_session(viewer: Viewer, channel: int | None) -> dict[str, Any]:
    candidates = candidate_pool() if channel is None else channel_candidates(channel)
    ranked = rank(viewer, candidates, channel_topic=channel)
    return {"v": viewer.key, "c": channel, "i": [list(item) for item in ranked]}
