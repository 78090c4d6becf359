"""The Discover feed: per-viewer ranking of the precomputed candidate pool.

A request never sorts the notes table. The ``discover_refresh`` job keeps a pool of a few
thousand recent notes with a global score (engagement with freshness decay) in
``DiscoverCandidate``; each process keeps the pool in memory, with its viewer-independent
arrays (``PoolIndex``), until its version changes. What ranking knows about a viewer
(languages, mix, followed authors, affinities from likes, collects, own notes and chosen
interests, hidden accounts) is stored in ``DiscoverViewer`` and recomputed lazily when its
version was bumped by a change. For a viewer, the pool is re-weighted by affinity (a note
asking for help with a language the viewer speaks is lifted), split into their own language
community and the other one, interleaved to the viewer's language mix, and arranged so that
no author has more than two cards in a row. The arranged list is cached per viewer state,
channel and pool version; the cursor is a signed (list token, offset) pair, so pages never
repeat a note. If the cached list is lost, it is recomputed (same pool: the same list).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import IntegerField, Value

from bridgenote.accounts.models import User
from bridgenote.core.fastsql import Precompiled
from bridgenote.engage.models import Block, Collect, Follow, Like, Mute
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
    pool_changes,
    viewer_state_save,
)
from bridgenote.feeds.visibility import discoverable, hidden_author_ids
from bridgenote.notes.models import Note, NoteTopic

logger = logging.getLogger(__name__)

COMMUNITIES = ("zh", "en")
RANKED_MAX = 600  # cards per arranged list (30 pages of 20)
# A new list is arranged this far at first (three pages of 20), and to RANKED_MAX when a page
# reads past it: most visits see one or two pages, and arranging is greedy, so the first
# cards of a longer arrangement are these same cards.
FIRST_ARRANGED = 60
LOOKAHEAD = 50  # how far down a queue interleaving looks for a card by another author
RECENT_SIGNALS = 200  # the newest likes (and collects) that make a viewer's affinities
OWN_NOTES = 50  # the viewer's own newest notes whose topics count
SESSION_SECONDS = 3600
POOL_RELOAD_SECONDS = 30  # without a version in the cache, reload the pool this often
# The pool version is read from the cache at most this often per process (a database query on
# the embedded default, a Redis round trip otherwise, on every Discover request before); a
# refresh or withdrawal made by this process is seen at once, another process's within this.
VERSION_SECONDS = 1.0
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
_LANGUAGE_CODES = {language: code for code, language in enumerate(COMMUNITIES)}
_ANY_COMMUNITY = len(COMMUNITIES)  # mixed and undetected notes: home for everyone


class PoolIndex:
    """The viewer-independent part of ranking, built once per pool (and process) as numpy
    arrays: each candidate's score, author, community and help language, and its topics as
    (candidate, topic) pairs. Weighing a viewer is then a few array operations over the pool
    instead of a Python loop over 3,000 candidates."""

    __slots__ = (
        "author_codes",
        "authors",
        "candidates",
        "community",
        "help_codes",
        "helps",
        "pair_candidate",
        "pair_topic",
        "scores",
        "topics",
    )

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.authors: dict[int, int] = {}  # author id -> code
        self.topics: dict[int, int] = {}  # topic id -> code
        self.helps: dict[str, int] = {}  # help language -> code (from 1; 0: none)
        pair_candidate: list[int] = []
        pair_topic: list[int] = []
        author_codes: list[int] = []
        help_codes: list[int] = []
        for position, c in enumerate(self.candidates):
            author_codes.append(self.authors.setdefault(c.author_id, len(self.authors)))
            for topic_id in c.topic_ids:
                pair_candidate.append(position)
                pair_topic.append(self.topics.setdefault(topic_id, len(self.topics)))
            help_codes.append(
                self.helps.setdefault(c.help_language, len(self.helps) + 1)
                if c.help_language
                else 0
            )
        self.scores = np.array([c.score for c in self.candidates], dtype=np.float64)
        self.author_codes = np.array(author_codes, dtype=np.intp)
        self.help_codes = np.array(help_codes, dtype=np.intp)
        self.community = np.array(
            [_LANGUAGE_CODES.get(c.language, _ANY_COMMUNITY) for c in self.candidates],
            dtype=np.intp,
        )
        self.pair_candidate = np.array(pair_candidate, dtype=np.intp)
        self.pair_topic = np.array(pair_topic, dtype=np.intp)


_pool_lock = threading.Lock()
_pool: tuple[Any, float, list[Candidate], PoolIndex] | None = None
_asked_refresh = -1e9
_version_read: tuple[float, int, Any] | None = None  # (when, pool_changes(), version)


@localcache.on_clear
def _forget_refresh_ask() -> None:
    global _asked_refresh, _version_read
    _asked_refresh = -1e9
    _version_read = None


def _pool_version(now: float) -> Any:
    global _version_read
    read, changes = _version_read, pool_changes()
    if read is not None and now - read[0] < VERSION_SECONDS and read[1] == changes:
        return read[2]
    version = cache.get(POOL_VERSION_KEY)
    _version_read = (now, changes, version)
    return version


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
    now = time.monotonic()
    version = _pool_version(now)
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
def forget_parsed_states() -> None:
    """Forget the states this process has parsed (they are read again from their rows)."""
    with _states_lock:
        _STATES.clear()


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
    return viewer_state_of(user.pk)


def viewer_state_of(user_id: int) -> dict[str, Any]:
    """``viewer_state`` by user id (what the sign-in hook calls)."""
    rows = _STATE.rows(user=user_id)
    version, data_version, data = rows[0] if rows else (0, -1, "")
    known = _STATES.get(user_id)
    if known is not None and known[0] == version:
        return known[1]
    if data_version == version and data:
        state = json.loads(data)
    else:
        state = _build_state(user_id)
        try:
            with transaction.atomic():
                viewer_state_save(user_id=user_id, version=version, data=_dumps(state))
        except DatabaseError:
            # Storing is only a saving (a busy SQLite writer, a read-only replica): the state
            # just computed still serves this request, and the next one tries again.
            logger.warning("could not store the Discover state of user %s", user_id, exc_info=True)
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


def _recent(model: Any, user: int, n: int) -> Any:
    return model.objects.filter(user_id=user).order_by("-pk").values("note_id")[:n]


def _own(user: int) -> Any:
    return Note.objects.filter(author_id=user).order_by("-id").values("id")[:OWN_NOTES]


# The signals of ``_build_state`` are two queries, each compiled once per process: the
# profile's languages with the chosen mix, and every id-list signal as one UNION ALL of tagged
# rows (the likes and collects as subqueries joined to their notes' authors and topics). One
# round trip each on PostgreSQL instead of ten; no id lists are sent.
_FOLLOWEE, _INTEREST, _OWN_TOPIC, _LIKED, _COLLECTED, _HIDDEN = range(6)


def _tag(kind: int) -> Value:
    return Value(kind, output_field=IntegerField())


def _ids(queryset: Any, kind: int, field_name: str) -> Any:
    return queryset.values_list(_tag(kind), field_name, _tag(0), _tag(0))


def _tasted(model: Any, user: int, kind: int) -> Any:
    """(kind, note, author, topic or NULL) for the notes of ``user``'s newest likes or
    collects: one row per (note, topic), one with a NULL topic for a note without topics."""
    notes = Note.objects.filter(id__in=_recent(model, user, RECENT_SIGNALS))
    return notes.values_list(_tag(kind), "id", "author_id", "notetopic__topic_id")


_PROFILE_SIGNALS = Precompiled(
    lambda user: User.objects.filter(pk=user).values_list(
        "profile__languages_spoken", "profile__languages_learning", "feed_preferences__language_mix"
    )
)
_ID_SIGNALS = Precompiled(
    lambda user: _ids(Follow.objects.filter(follower_id=user), _FOLLOWEE, "followee_id").union(
        _ids(
            FeedPreferences.interests.through.objects.filter(feedpreferences_id=user),
            _INTEREST,
            "topic_id",
        ),
        _ids(NoteTopic.objects.filter(note_id__in=_own(user)), _OWN_TOPIC, "topic_id"),
        _tasted(Like, user, _LIKED),
        _tasted(Collect, user, _COLLECTED),
        _ids(Block.objects.filter(blocker_id=user), _HIDDEN, "blocked_id"),
        _ids(Block.objects.filter(blocked_id=user), _HIDDEN, "blocker_id"),
        _ids(Mute.objects.filter(muter_id=user), _HIDDEN, "muted_id"),
        all=True,
    )
)


def _build_state(user_id: int) -> dict[str, Any]:
    """Compute ``user``'s state from their signals (two indexed queries): languages, chosen
    mix and interests, followed authors, topics of their own recent notes, authors and topics
    of their recent likes and collects, and the accounts hidden from them (blocks either way,
    mutes)."""
    profile = _PROFILE_SIGNALS.rows(user=user_id)
    spoken, learning, mix = profile[0] if profile else (None, None, None)
    followed: set[int] = set()
    interests: list[int] = []
    own_topics: list[int] = []
    hidden: set[int] = set()
    # (note -> author, topics) of the liked and of the collected notes
    tasted: dict[int, tuple[dict[int, int], list[int]]] = {_LIKED: ({}, []), _COLLECTED: ({}, [])}
    for kind, first, author_id, topic_id in _ID_SIGNALS.rows(user=user_id):
        if kind == _FOLLOWEE:
            followed.add(first)
        elif kind == _INTEREST:
            interests.append(first)
        elif kind == _OWN_TOPIC:
            own_topics.append(first)
        elif kind == _HIDDEN:
            hidden.add(first)
        else:
            note_authors, note_topics = tasted[kind]
            note_authors[first] = author_id
            if topic_id is not None:
                note_topics.append(topic_id)
    authors: dict[int, float] = {}
    topics: dict[int, float] = dict.fromkeys(interests, 1.0)
    _add(topics, own_topics, 0.3, 2.0)
    for kind, weight in ((_LIKED, 0.2), (_COLLECTED, 0.4)):
        note_authors, note_topics = tasted[kind]
        _add(topics, note_topics, weight, 2.0)
        _add(authors, list(note_authors.values()), weight, 1.0)
    return {
        "s": list(spoken or []),
        "l": list(learning or []),
        "m": mix,
        "f": sorted(followed),
        # Followed authors weigh 1.0 (the maximum) whatever else they earned.
        "a": sorted([a, round(w, 4)] for a, w in authors.items() if a not in followed),
        "t": sorted([t, round(w, 4)] for t, w in topics.items()),
        "x": sorted(hidden),
    }


def _add(weights: dict[int, float], ids: list[int], weight: float, cap: float) -> None:
    for key, n in Counter(ids).items():
        weights[key] = min(cap, weights.get(key, 0) + weight * n)


# --- arranging --------------------------------------------------------------------------------
def is_home(viewer: Viewer, language: str) -> bool:
    """Mixed-language and undetected notes bridge both communities: home for everyone."""
    return language not in COMMUNITIES or language in viewer.home


def can_help(viewer: Viewer, c: Candidate) -> bool:
    """Whether ``c`` asks for help with a language ``viewer`` speaks (Profile.languages_spoken)."""
    return bool(c.help_language) and c.help_language in viewer.spoken


def rank(viewer: Viewer, candidates: Iterable[Candidate] | PoolIndex, *,
         channel_topic: int | None = None, limit: int | None = None,
         ) -> list[tuple[int, str, str]]:  # fmt: skip
    """Arrange ``candidates`` (a pool in score order) for ``viewer``: a list of at most
    ``limit`` (default ``RANKED_MAX``) (note_id, why code, why argument). A shorter ``limit``
    gives the first cards of the longer list (interleaving is greedy and looks at most
    ``LOOKAHEAD`` cards down each queue).

    A candidate's weight is 1 + 2 × author affinity + topic affinity (the sum over its topics,
    at most 1.5), × 1.5 when it asks for help with a language the viewer speaks (it then
    counts as home); each community is ordered by score × weight (ties in pool order) and the
    two are interleaved to the viewer's mix. The weighing and ordering are array operations
    on the pool's ``PoolIndex``; only the first ``limit + LOOKAHEAD`` of each community, all
    that interleaving can reach, become Python objects."""
    limit = RANKED_MAX if limit is None else min(limit, RANKED_MAX)
    index = candidates if isinstance(candidates, PoolIndex) else PoolIndex(list(candidates))
    size = len(index.candidates)
    if size == 0:
        return []
    author_affinity = np.zeros(len(index.authors) + 1)  # the last slot: nobody
    excluded_authors = np.zeros(len(index.authors) + 1, dtype=bool)
    codes = index.authors
    for author_id, affinity in viewer.authors.items():
        code = codes.get(author_id)
        if code is not None:
            author_affinity[code] = affinity
    for hidden_id in (*viewer.hidden, viewer.user_id):
        hidden_code = codes.get(hidden_id) if hidden_id is not None else None
        if hidden_code is not None:
            excluded_authors[hidden_code] = True
    topic_weights = np.zeros(len(index.topics) + 1)
    for topic_id, affinity in viewer.topics.items():
        topic_code = index.topics.get(topic_id)
        if topic_code is not None:
            topic_weights[topic_code] = affinity
    # Summed in each candidate's topic order, as a Python sum would (the same floats).
    topic_affinity = np.minimum(
        1.5,
        np.bincount(index.pair_candidate, weights=topic_weights[index.pair_topic], minlength=size),
    )
    weight = 1.0 + 2.0 * author_affinity[index.author_codes] + topic_affinity
    # Membership by lookup tables indexed by code (cheaper than np.isin on a few values).
    answerable = np.zeros(len(index.helps) + 1, dtype=bool)  # code 0: asks for no help
    for language in viewer.spoken:
        if language in index.helps:
            answerable[index.helps[language]] = True
    helps = answerable[index.help_codes]
    weight[helps] *= HELP_BOOST
    weighted = -(index.scores * weight)
    home_table = np.zeros(_ANY_COMMUNITY + 1, dtype=bool)
    home_table[_ANY_COMMUNITY] = True
    for community in viewer.home:
        if community in _LANGUAGE_CODES:
            home_table[_LANGUAGE_CODES[community]] = True
    home = helps | home_table[index.community]
    shown = ~excluded_authors[index.author_codes]
    need = limit + LOOKAHEAD
    pool = index.candidates
    queues: list[list[Candidate]] = []
    for members in (home & shown, ~home & shown):
        positions = np.flatnonzero(members)
        order = positions[np.argsort(weighted[positions], kind="stable")[:need]]
        queues.append([pool[p] for p in order.tolist()])
    arranged = interleave(queues[0], queues[1], viewer.mix, limit=limit)
    return whys(viewer, arranged, channel_topic)


def interleave(home: list[Candidate], other: list[Candidate], mix: float, *, limit: int
               ) -> list[Candidate]:  # fmt: skip
    """Merge two ranked queues so that about ``mix`` of every prefix comes from ``other``, and
    no author has more than two cards in a row (a card that would be the third is deferred,
    looking at most ``LOOKAHEAD`` cards down; if none is found, the list ends there)."""
    out: list[Candidate] = []
    taken_other = 0
    count = 0
    last: int | None = None  # the author of the last card
    run = 0  # how many cards in a row are by ``last``
    floor = math.floor
    while (home or other) and count < limit:
        target = floor(mix * (count + 1) + 0.5)
        if (taken_other < target and other) or not home:
            first, second = other, home
        else:
            first, second = home, other
        blocked = last if run >= 2 else None
        picked = None
        for queue in (first, second):
            if not queue:
                continue
            if queue[0].author_id != blocked:
                picked = queue.pop(0)
            else:
                for index in range(1, min(LOOKAHEAD, len(queue))):
                    if queue[index].author_id != blocked:
                        picked = queue.pop(index)
                        break
            if picked is not None:
                if queue is other:
                    taken_other += 1
                break
        if picked is None:
            break  # only the same author is left: stop rather than break the rule
        if picked.author_id == last:
            run += 1
        else:
            last, run = picked.author_id, 1
        out.append(picked)
        count += 1
    return out


def whys(viewer: Viewer, arranged: list[Candidate], channel_topic: int | None
         ) -> list[tuple[int, str, str]]:  # fmt: skip
    """``(note_id, *why(viewer, c, channel_topic))`` for each of ``arranged`` (the same
    rules, with the viewer's sets looked up once)."""
    followees, spoken, home = viewer.followees, viewer.spoken, viewer.home
    liked = {t for t, weight in viewer.topics.items() if weight >= 0.3}
    out: list[tuple[int, str, str]] = []
    for c in arranged:
        if c.author_id in followees:
            out.append((c.note_id, WHY_FOLLOW, str(c.author_id)))
        elif c.help_language and c.help_language in spoken:
            out.append((c.note_id, WHY_HELP, c.help_language))
        else:
            topic = None
            if liked:
                for t in c.topic_ids:
                    if t in liked:
                        topic = t
                        break
            if topic is not None:
                out.append((c.note_id, WHY_TOPIC, str(topic)))
            elif c.language in COMMUNITIES and c.language not in home:
                out.append((c.note_id, WHY_COMMUNITY, c.language))
            elif channel_topic is not None:
                out.append((c.note_id, WHY_POPULAR_TOPIC, str(channel_topic)))
            elif c.topic_ids:
                out.append((c.note_id, WHY_POPULAR_TOPIC, str(c.topic_ids[0])))
            else:
                out.append((c.note_id, WHY_POPULAR, ""))
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
            session = _new_session(viewer, channel, offset + limit)
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
    else:
        # One arranged list per viewer state, channel and pool version: reloading the first
        # page reads it back instead of ranking again; a new pool version or a change of the
        # viewer's signals (a like, a follow, the mix) gives a fresh list.
        version, index = pool_index()
        state = f"{viewer.version}|{sorted(viewer.home)}|{viewer.mix}"
        digest = hashlib.blake2b(
            f"{viewer.key}|{state}|{channel}|{version}".encode(), digest_size=9, key=_TOKEN_KEY
        )
        token, offset = base64.urlsafe_b64encode(digest.digest()).decode(), 0
        session = localcache.get(_session_key(token))
        if session is None:
            session = _new_session(viewer, channel, limit, index)
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
    items: list[tuple[int, str, str]] = session["i"]
    shown: list[Any] = []
    reasons: dict[int, tuple[str, str]] = {}
    # Blocks and mutes are read fresh: a block hides its author from the very next page.
    while len(shown) < limit:
        end = offset + (limit - len(shown)) + 4
        if end > len(items) and not session.get("all", True):
            # Read past the part arranged so far: arrange the whole list and append what the
            # arranged part lacks. With the same state and pool the rest is the same list; if a
            # like or a pool refresh came in between, the cards already arranged (some already
            # shown) keep their places and offsets, and nothing repeats.
            whole = _new_session(viewer, channel, RANKED_MAX)
            arranged = {i[0] for i in items}
            items = items + [i for i in whole["i"] if i[0] not in arranged]
            session = {**session, "i": items, "all": True}
            localcache.set(_session_key(token), session, timeout=SESSION_SECONDS)
        if offset >= len(items):
            break
        chunk = items[offset:end]
        found = fetch(viewer.user_id, [i[0] for i in chunk])
        for note_id, code, arg in chunk:
            offset += 1
            if note_id in found:
                shown.append(found[note_id])
                reasons[note_id] = (code, arg)
                if len(shown) >= limit:
                    break
    more = offset < len(items) or not session.get("all", True)
    next_cursor = _signer.sign(f"{token}:{offset}") if more else None
    return FeedPage(notes=shown, next_cursor=next_cursor, reasons=reasons)


def _new_session(viewer: Viewer, channel: int | None, upto: int, index: PoolIndex | None = None,
                 ) -> dict[str, Any]:  # fmt: skip
    """The arranged list of ``viewer`` and ``channel``: its first ``FIRST_ARRANGED`` cards (or
    enough for a page ending at ``upto`` with room to skip a few), or all of it. ``all`` says
    whether nothing is left to arrange. ``index``: the current pool's, if the caller has it."""
    candidates: PoolIndex | list[Candidate]
    if channel is not None:
        candidates = channel_candidates(channel)
    else:
        candidates = index if index is not None else pool_index()[1]
    arrange = max(FIRST_ARRANGED, 2 * upto + 8)
    if arrange * 2 > RANKED_MAX:
        arrange = RANKED_MAX  # most of the list anyway: arrange it once
    ranked = rank(viewer, candidates, channel_topic=channel, limit=arrange)
    complete = arrange >= RANKED_MAX or len(ranked) < arrange
    return {"v": viewer.key, "c": channel, "i": ranked, "all": complete}
