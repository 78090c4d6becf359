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
import json
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from bridgenote.accounts.models import Profile
from bridgenote.core.fastsql import Precompiled
from bridgenote.engage.models import Collect, Follow, Like
from bridgenote.feeds import localcache
from bridgenote.feeds.models import DiscoverCandidate, DiscoverViewer, FeedPreferences
from bridgenote.feeds.queries import BadCursor, FeedPage
from bridgenote.feeds.services import (
    COLLECT_WEIGHT,
    COMMENT_WEIGHT,
    LIKE_WEIGHT,
    POOL_VERSION_KEY,
    discover_refresh,
    discover_refresh_soon,
    global_score,
    viewer_state_save,
)
from bridgenote.feeds.visibility import discoverable, hidden_author_ids
from bridgenote.notes.models import Note, NoteTopic

COMMUNITIES = ("zh", "en")
RANKED_MAX = 600  # cards per arranged list (30 pages of 20)
LOOKAHEAD = 50  # how far down a queue interleaving looks for a card by another author
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
    version: int = 0  # of the stored state (DiscoverViewer.version) this was built from


# --- the candidate pool -----------------------------------------------------------------------
class PoolIndex:
    """The viewer-independent part of ranking, built once per pool (and process): candidates
    in score order per home community, and which candidates each author, topic and help
    language touches. Ranking a viewer then only weighs the candidates their affinities touch
    and merges them with the top of the untouched ones, which are already in order."""

    __slots__ = ("_orders", "by_author", "by_help", "by_topic", "candidates", "neg")

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.neg = [-c.score for c in self.candidates]
        self.by_author: dict[int, list[int]] = {}
        self.by_topic: dict[int, list[int]] = {}
        self.by_help: dict[str, list[int]] = {}
        for position, c in enumerate(self.candidates):
            self.by_author.setdefault(c.author_id, []).append(position)
            for topic_id in c.topic_ids:
                self.by_topic.setdefault(topic_id, []).append(position)
            if c.help_language:
                self.by_help.setdefault(c.help_language, []).append(position)
        self._orders: dict[frozenset[str], tuple[list[int], list[int]]] = {}

    def orders(self, home: frozenset[str]) -> tuple[list[int], list[int]]:
        """Positions of the home and the other community's candidates for viewers whose home
        is ``home``, each by score (ties in pool order, as a stable sort leaves them)."""
        found = self._orders.get(home)
        if found is None:
            neg = self.neg
            ranked = sorted(range(len(self.candidates)), key=lambda p: (neg[p], p))
            pool = self.candidates
            found = (
                [p for p in ranked
                 if pool[p].language not in COMMUNITIES or pool[p].language in home],
                [p for p in ranked
                 if pool[p].language in COMMUNITIES and pool[p].language not in home],
            )  # fmt: skip
            self._orders[home] = found
        return found


_pool_lock = threading.Lock()
_pool: tuple[Any, float, list[Candidate], PoolIndex] | None = None
_asked_refresh = -1e9


@localcache.on_clear
def _forget_refresh_ask() -> None:
    global _asked_refresh
    _asked_refresh = -1e9


def candidate_pool() -> list[Candidate]:
    """The current pool, from process memory while its version is unchanged."""
    return _current()[1]


def current_pool() -> tuple[str, list[Candidate]]:
    """(version, candidates) of the pool, from process memory while its version holds."""
    version, candidates, _index = _current()
    return version, candidates


def pool_index() -> tuple[str, PoolIndex]:
    """(version, index) of the current pool: what ``rank`` needs, built once per version."""
    version, _candidates, index = _current()
    return version, index


def _current() -> tuple[str, list[Candidate], PoolIndex]:
    global _pool, _asked_refresh
    version = cache.get(POOL_VERSION_KEY)
    now = time.monotonic()
    stale = (
        version is None or time.time() - float(version) > settings.FEEDS_DISCOVER_REFRESH_SECONDS
    )
    if stale and now - _asked_refresh > POOL_RELOAD_SECONDS:
        # At most once per process and half-minute: asking is a cache.add, which on the
        # embedded default takes SQLite's write lock, on every Discover request otherwise.
        _asked_refresh = now
        discover_refresh_soon()
    current = _pool
    if (
        current is not None
        and current[0] == version
        and (version is not None or now - current[1] < POOL_RELOAD_SECONDS)
    ):
        return str(current[0]), current[2], current[3]
    with _pool_lock:
        pool = _load_pool()
        if not pool and version is None:
            discover_refresh()  # an empty instance: build the first pool now
            version = cache.get(POOL_VERSION_KEY)
            pool = _load_pool()
        index = PoolIndex(pool)
        _pool = (version, now, pool, index)
    return str(version), pool, index


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
# A viewer's state (what ranking knows about them) is computed from their signals once per
# version of ``DiscoverViewer`` and stored there as compact JSON, so every process and every
# restart reads it back with one primary-key query instead of recomputing it. The process
# keeps the parsed state for the version it saw; a bump (``services.viewer_changed``) makes
# every process recompute or reload it on the viewer's next read.
_STATE = Precompiled(
    lambda user: DiscoverViewer.objects.filter(user_id=user).values_list(
        "version", "data_version", "data"
    )
)
_STATES: OrderedDict[int, tuple[int, dict[str, Any]]] = OrderedDict()
_STATES_MAX = 20_000
_states_lock = threading.Lock()


@localcache.on_clear
def _forget_states() -> None:
    with _states_lock:
        _STATES.clear()


def forget_viewer(user_id: int) -> None:
    """Drop this process's copy of ``user_id``'s state (the stored row is the truth)."""
    with _states_lock:
        _STATES.pop(user_id, None)


def viewer_for(user: Any, *, ui_language: str) -> Viewer:
    """What ranking needs to know about ``user``: one indexed query when the stored state is
    current (and this process has parsed it before, no JSON either)."""
    fallback = frozenset({"zh" if ui_language.startswith("zh") else "en"})
    if user is None or not user.is_authenticated:
        return Viewer(key=f"anon-{sorted(fallback)[0]}", user_id=None, home=fallback,
                      mix=DEFAULT_MIX / 100)  # fmt: skip
    return _viewer_from_state(user.pk, viewer_state(user), fallback)


def viewer_state(user: Any) -> dict[str, Any]:
    """``user``'s stored Discover state, recomputed and stored when its version moved on."""
    user_id = user.pk
    rows = _STATE.rows(user=user_id)
    version, data_version, data = rows[0] if rows else (0, -1, "")
    known = _STATES.get(user_id)
    if known is not None and known[0] == version:
        return known[1]
    if data_version == version and data:
        state = json.loads(data)
    else:
        state = _build_state(user)
        viewer_state_save(user_id=user_id, version=version, data=_dumps(state))
    state["v"] = version
    with _states_lock:
        _STATES[user_id] = (version, state)
        _STATES.move_to_end(user_id)
        while len(_STATES) > _STATES_MAX:
            _STATES.popitem(last=False)
    return state


def _dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))


def _viewer_from_state(user_id: int, state: dict[str, Any], fallback: frozenset[str]) -> Viewer:
    spoken = frozenset(state["s"])
    home = frozenset(spoken & set(COMMUNITIES)) or fallback
    mix = state["m"]
    if mix is None:
        # A newcomer learning the other community's language sees a little more of it.
        mix = DEFAULT_MIX + (10 if set(state["l"]) & (set(COMMUNITIES) - home) else 0)
    followees = frozenset(state["f"])
    authors = dict.fromkeys(followees, 1.0)
    authors.update((a, w) for a, w in state["a"])
    return Viewer(
        key=str(user_id),
        user_id=user_id,
        home=home,
        mix=mix / 100,
        followees=followees,
        authors=authors,
        topics=dict(state["t"]),
        hidden=frozenset(state["x"]),
        spoken=spoken,
        version=state.get("v", 0),
    )


def _build_state(user: Any) -> dict[str, Any]:
    """Compute ``user``'s state from their signals (a handful of indexed queries): languages,
    chosen mix and interests, followed authors, authors and topics of their likes and
    collects and of their own notes, and the accounts hidden from them (blocks, mutes)."""
    languages = (
        Profile.objects.filter(user_id=user.pk)
        .values_list("languages_spoken", "languages_learning")
        .first()
    )
    spoken, learning = languages or ([], [])
    prefs = FeedPreferences.objects.filter(user_id=user.pk).values_list("language_mix").first()
    mix = prefs[0] if prefs is not None else None
    interests = (
        list(FeedPreferences.interests.through.objects.filter(feedpreferences_id=user.pk)
             .values_list("topic_id", flat=True))
        if prefs is not None
        else []
    )  # fmt: skip
    followees = sorted(
        Follow.objects.filter(follower_id=user.pk).values_list("followee_id", flat=True)
    )
    followed = set(followees)
    authors: dict[int, float] = {}
    topics: dict[int, float] = dict.fromkeys(interests, 1.0)
    own = list(
        Note.objects.filter(author_id=user.pk).order_by("-id").values_list("id", flat=True)[:50]
    )
    _add_topics(topics, own, 0.3)
    for model, weight in ((Like, 0.2), (Collect, 0.4)):
        recent = list(
            model.objects.filter(user_id=user.pk)
            .order_by("-pk")
            .values_list("note_id", flat=True)[:200]
        )
        _add_topics(topics, recent, weight)
        counts = Counter(Note.objects.filter(id__in=recent).values_list("author_id", flat=True))
        for author_id, n in counts.items():
            authors[author_id] = min(1.0, authors.get(author_id, 0) + weight * n)
    return {
        "s": list(spoken),
        "l": list(learning),
        "m": mix,
        "f": followees,
        # Followed authors weigh 1.0 (the maximum) whatever else they earned.
        "a": sorted([a, round(w, 4)] for a, w in authors.items() if a not in followed),
        "t": sorted([t, round(w, 4)] for t, w in topics.items()),
        "x": sorted(hidden_author_ids(user.pk)),
    }


def _add_topics(topics: dict[int, float], note_ids: list[int], weight: float) -> None:
    if not note_ids:
        return
    counts = Counter(
        NoteTopic.objects.filter(note_id__in=note_ids).values_list("topic_id", flat=True)
    )
    for topic_id, n in counts.items():
        topics[topic_id] = min(2.0, topics.get(topic_id, 0) + weight * n)


# --- arranging --------------------------------------------------------------------------------
def is_home(viewer: Viewer, language: str) -> bool:
    """Mixed-language and undetected notes bridge both communities: home for everyone."""
    return language not in COMMUNITIES or language in viewer.home


def can_help(viewer: Viewer, c: Candidate) -> bool:
    """Whether ``c`` asks for help with a language ``viewer`` speaks (Profile.languages_spoken)."""
    return bool(c.help_language) and c.help_language in viewer.spoken


def rank(viewer: Viewer, candidates: Iterable[Candidate] | PoolIndex, *,
         channel_topic: int | None = None) -> list[tuple[int, str, str]]:  # fmt: skip
    """Arrange ``candidates`` (in score order) for ``viewer``: a list of (note_id, why code,
    why argument).

    A candidate's weight is 1 + 2 × author affinity + topic affinity (at most 1.5), × 1.5 when
    it asks for help with a language the viewer speaks; each community is ranked by score ×
    weight and the two are interleaved to the viewer's mix. Only the candidates the viewer's
    affinities touch get a weight other than 1, so only they are weighed; they are merged with
    the first ``RANKED_MAX + LOOKAHEAD`` untouched candidates of each community (already in
    score order), which is all interleaving can reach. The result is that of weighing and
    sorting the whole pool, ties in pool order."""
    index = candidates if isinstance(candidates, PoolIndex) else PoolIndex(list(candidates))
    pool = index.candidates
    excluded: set[int] = set()
    for author_id in viewer.hidden:
        excluded.update(index.by_author.get(author_id, ()))
    if viewer.user_id is not None:
        excluded.update(index.by_author.get(viewer.user_id, ()))
    touched: set[int] = set()
    by_author, by_topic = index.by_author, index.by_topic
    for author_id in viewer.authors:
        touched.update(by_author.get(author_id, ()))
    for topic_id in viewer.topics:
        touched.update(by_topic.get(topic_id, ()))
    for language in viewer.spoken:
        touched.update(index.by_help.get(language, ()))
    touched -= excluded
    keys: tuple[list[tuple[float, int]], list[tuple[float, int]]] = ([], [])
    topics, authors = viewer.topics, viewer.authors
    for position in touched:
        c = pool[position]
        topic_affinity = min(1.5, sum(topics.get(t, 0.0) for t in c.topic_ids))
        weight = 1.0 + 2.0 * authors.get(c.author_id, 0.0) + topic_affinity
        helps = can_help(viewer, c)
        if helps:
            weight *= HELP_BOOST
        queue = 0 if helps or is_home(viewer, c.language) else 1
        keys[queue].append((-(c.score * weight), position))
    need = RANKED_MAX + LOOKAHEAD
    skip = touched | excluded
    neg = index.neg
    queues: list[list[Candidate]] = []
    for order, queue_keys in zip(index.orders(viewer.home), keys, strict=True):
        taken = 0
        for position in order:
            if position not in skip:
                queue_keys.append((neg[position], position))
                taken += 1
                if taken >= need:
                    break
        queue_keys.sort()
        queues.append([pool[position] for _, position in queue_keys[:need]])
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
            for index, candidate in enumerate(queue[:LOOKAHEAD]):
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
        # One arranged list per viewer state, channel and pool version: reloading the first
        # page reads it back instead of ranking again; a new pool version or a change of the
        # viewer's signals (a like, a follow, the mix) gives a fresh list.
        version, _candidates = current_pool()
        state = f"{viewer.version}|{sorted(viewer.home)}|{viewer.mix}"
        digest = hashlib.blake2b(
            f"{viewer.key}|{state}|{channel}|{version}".encode(), digest_size=9, key=_TOKEN_KEY
        )
        token, offset = base64.urlsafe_b64encode(digest.digest()).decode(), 0
        session = localcache.get(_session_key(token))
        if session is None:
            session = _new_session(viewer, channel)
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
    items: list[tuple[int, str, str]] = session["i"]
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
    candidates = pool_index()[1] if channel is None else channel_candidates(channel)
    ranked = rank(viewer, candidates, channel_topic=channel)
    return {"v": viewer.key, "c": channel, "i": ranked}
