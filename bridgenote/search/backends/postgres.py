from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from bridgenote.search.backends.base import ORDER_SQL, POPULARITY_SQL

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bridgenote.notes.models import Note
    from bridgenote.search.analysis import Query, Term


# How the window of newest matches is found (``PostgresBackend._plan``), from the estimate of a
# query's matches (``_estimates``):
# * "all": at most ALL_MATCHES_WINDOWS windows of matches: read every match from the GIN index
#   and keep the newest. Exact.
# * otherwise the newest slice of ids expected to hold SLICE_MATCHES windows is searched, the
#   cheaper way by the costs below (microseconds, measured on the 1M feeds dataset):
#   - "walk": the primary key backwards from the newest note, testing each row's tsvector,
#     until the window is full or the slice ends (common words: a short walk);
#   - "slice": the AND of the GIN bitmap (every posting of every group is read) and the
#     slice's id range, then only the slice's matches are fetched (mid-frequency words).
# Both read a bounded number of rows whatever the estimate's error; a slice holding too few
# visible matches makes the caller rank every match.
SLICE_MATCHES = 1.5
ALL_MATCHES_WINDOWS = 3.0
WALK_US_PER_ROW = 1.0
GIN_US_PER_POSTING = 0.1
RANGE_US_PER_ROW = 0.06
FETCH_US_PER_MATCH = 10.0
# Popularity sorts (most liked, commented, collected) are exact: over every match, not a window.
# Either every match is read and ranked (few matches), or the counter's index on notes_note
# (migration 0005: (counter DESC, id DESC)) is walked from the most popular note down, each
# visible note's tsvector tested by a primary-key probe, until the page is full: about
# page / (share of notes matching) probes; the costs below decide. The walk stops after
# COUNTER_WALK_SLACK times that many (the estimate was too high), and the caller then ranks
# every match.
COUNTER_SORTS = {"likes": "like_count", "comments": "comment_count", "collects": "collect_count"}
COUNTER_WALK_SLACK = 10.0
COUNTER_WALK_MIN = 1000
PROBE_US = 10.0  # one note of the walk: its index entry, its row, its document's probe
RANK_US_PER_MATCH = 20.0  # one match read and ranked: its document's row, its note's probe
# Above this many matches, ranking every match may hash notes_note rather than probe it.
EVERY_PROBES_MAX = 50_000
# The columns of notes_note the sorts read (ORDER_SQL).
NOTE_COLUMNS = "id, like_count, comment_count, collect_count"
# An AND of several groups is estimated from the newest SAMPLE_ROWS documents (about a
# microsecond each) when they hold at least SAMPLE_HITS matches (``_sampled``).
SAMPLE_ROWS = 4000
SAMPLE_HITS = 5
# The planner's estimates and the id range are reused this long (per process): asking costs a
# planning round trip, and both change slowly. New notes past a cached maximum id are still
# searched (the slice has no upper bound).
ESTIMATE_SECONDS = 300.0
_ESTIMATES: dict[tuple[str, str], tuple[float, float, float]] = {}
_ID_RANGE: dict[str, tuple[float, Any]] = {}
# The GIN index of migration 0002 (dropped during a full rebuild and built again after it).
GIN_INDEX = "search_notedocument_tsv"


def _term(term: Term) -> str:
    # Tokens are letters, digits and Han characters only, so single-quoting them yields plain
    # lexemes; no tsquery operator (& | ! <-> :) can come from user input.
    options = [f"'{word}'" for word in term.words] + [f"'{p}':*" for p in term.prefixes]
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery(query: Query) -> str:
    """The to_tsquery('simple', ...) text of a parsed query: AND of the terms' alternatives."""
    return " & ".join(_term(term) for term in query.terms)


class PostgresBackend:
    """A stored tsvector (``search_notedocument.tsv``, weights A title/topics, B place, D
    body) with a GIN index; ts_rank for relevance."""

    vendor = "postgresql"

    def match(self, notes: QuerySet[Note], query: Query) -> QuerySet[Note]:
        text = tsquery(query)
        return notes.extra(  # noqa: S610 - no user text: the tsquery is built from tokens
            tables=["search_notedocument"],
            where=[
                "search_notedocument.note_id = notes_note.id",
                "search_notedocument.tsv @@ to_tsquery('simple'::regconfig, %s)",
            ],
            params=[text],
            select={
                "search_score": "-ts_rank(search_notedocument.tsv,"
                f" to_tsquery('simple'::regconfig, %s)) * {POPULARITY_SQL}"
            },
            select_params=[text],
        )

    def bulk_begin(self, using: str = "default") -> None:
        # Without the GIN index, COPY only computes the generated tsvector. Searches keep
        # working meanwhile, slowly (no index): a full rebuild is a maintenance operation.
        with connections[using].cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")

    def bulk_end(self, using: str = "default") -> None:
        # One sorted build is several times cheaper than inserting every row's lexemes.
        if connections[using].in_atomic_block:
            # Inside an outer transaction (tests), deferred foreign-key checks must have run
            # before an index can be created on the table.
            connections[using].check_constraints()
        with transaction.atomic(using), connections[using].cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # No pending list (as migration 0004 sets): searches never read unmerged entries.
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON search_notedocument"
                " USING GIN (tsv) WITH (fastupdate = off)"
            )
        with connections[using].cursor() as cursor:
            cursor.execute("ANALYZE search_notedocument")
        _ESTIMATES.clear()
        _ID_RANGE.clear()

    def newest_matches(
        self, query: Query, *, limit: int, using: str = "default"
    ) -> list[tuple[int, float]]:
        # Rank only the rows kept: ts_rank reads each tsvector, so it runs after the LIMIT.
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT hits.note_id, -ts_rank(hits.tsv, to_tsquery('simple'::regconfig, %s))"
                " FROM (SELECT note_id, tsv FROM search_notedocument"
                " WHERE tsv @@ to_tsquery('simple'::regconfig, %s)"
                " ORDER BY note_id DESC LIMIT %s) hits ORDER BY hits.note_id DESC",
                [tsquery(query), tsquery(query), limit],
            )
            return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

    def _estimates(self, query: Query, using: str) -> tuple[float, float]:
        """Estimates of the matches of ``query`` and of all its AND groups' postings (what
        the GIN index reads), cached for ``ESTIMATE_SECONDS``: the planner's (one planning
        round trip, the groups being the arms of one UNION ALL); for several groups, the
        matches are sampled (``_sampled``) and never more than the rarest group's."""
        text = tsquery(query)
        now = time.monotonic()
        cached = _ESTIMATES.get((using, text))
        if cached is not None and now - cached[0] <= ESTIMATE_SECONDS:
            return cached[1], cached[2]
        texts = [text]
        if len(query.terms) > 1:
            texts += [_term(term) for term in query.terms]
        arm = "SELECT 1 FROM search_notedocument WHERE tsv @@ to_tsquery('simple'::regconfig, %s)"
        with connections[using].cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join([arm] * len(texts)), texts)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        top = plan[0]["Plan"]
        rows = [float(p["Plan Rows"]) for p in top["Plans"]] if len(texts) > 1 else []
        matches = rows[0] if rows else float(top["Plan Rows"])
        rarest = min(rows[1:]) if rows else matches
        postings = sum(rows[1:]) if rows else matches
        ids = self._id_range(using)
        if len(texts) > 1 and ids is not None:
            matches = min(self._sampled(text, ids[0], matches, using), rarest)
        if len(_ESTIMATES) > 10_000:
            _ESTIMATES.clear()
        _ESTIMATES[(using, text)] = (now, matches, postings)
        return matches, postings

    def _sampled(self, text: str, rows: float, estimate: float, using: str) -> float:
        """The matches of an AND of several groups, from the share of the newest
        ``SAMPLE_ROWS`` documents it matches: the planner multiplies the groups' shares, off
        by 10x and more for words that go together or never do (咖啡 AND coffee: 63,000
        estimated, 5,400 found). Few hits only bound the estimate from above."""
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE tsv @@ to_tsquery('simple'::regconfig, %s)),"
                " count(*) FROM (SELECT tsv FROM search_notedocument"
                " ORDER BY note_id DESC LIMIT %s) AS newest",
                [text, SAMPLE_ROWS],
            )
            hits, seen = cursor.fetchone()
        if not seen:
            return estimate
        if hits >= SAMPLE_HITS:
            return hits / seen * rows
        return min(estimate, (hits + SAMPLE_HITS) / seen * rows)

    def _id_range(self, using: str) -> tuple[float, int, int] | None:
        """(rows, lowest id, highest id) of the documents, cached for ``ESTIMATE_SECONDS``."""
        now = time.monotonic()
        ids = _ID_RANGE.get(using)
        if ids is None or now - ids[0] > ESTIMATE_SECONDS:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples, (SELECT min(note_id) FROM search_notedocument),"
                    " (SELECT max(note_id) FROM search_notedocument)"
                    " FROM pg_class WHERE oid = 'search_notedocument'::regclass"
                )
                ids = _ID_RANGE[using] = (now, cursor.fetchone())
        row = ids[1]
        if row is None or row[1] is None or row[0] <= 0:
            return None
        return float(row[0]), int(row[1]), int(row[2])

    def _plan(
        self, query: Query, window: int, using: str, needed: int | None = None
    ) -> tuple[str, int | None]:
        """How to find the ``window`` newest matches (of which the page needs ``needed``,
        by default all): ("all", None), ("walk", floor) or ("slice", floor), the floor being
        a note id below which they (probably) do not lie.

        GIN cannot return matches in id order. Few matches are read whole; for more, the
        newest slice of ids expected to hold ``SLICE_MATCHES`` windows is searched, walked
        backwards through the primary key or through the AND of the GIN bitmap and the
        slice's id range, whichever the costs above make cheaper. The slice comes from the
        planner's estimate and the id range (ids grow with time); whatever the estimate's
        error, the rows read are bounded by the slice, and a slice holding too few visible
        matches makes the caller rank every match (``page`` without a window)."""
        matches, postings = self._estimates(query, using)
        ids = self._id_range(using)
        if ids is None or matches <= ALL_MATCHES_WINDOWS * window:
            return "all", None
        rows, low, high = ids
        share = SLICE_MATCHES * window / matches
        floor = high - int((high - low) * share)
        # A walk stops once it has the matches it needs: the window, or for latest the page
        # (the page query stops pulling rows when it is full).
        walk = WALK_US_PER_ROW * min(share, (needed or window) / matches) * rows
        bitmap = (
            GIN_US_PER_POSTING * postings
            + RANGE_US_PER_ROW * share * rows
            + FETCH_US_PER_MATCH * SLICE_MATCHES * window
        )
        return ("walk" if walk <= bitmap else "slice"), floor

    def page(
        self,
        where: tuple[str, list[Any]],
        query: Query,
        *,
        order: str,
        offset: int,
        limit: int,
        window: int | None,
        using: str = "default",
    ) -> list[int]:
        text = tsquery(query)
        if order in COUNTER_SORTS and window:
            walk = self._counter_walk(query, offset + limit, using)
            if walk is None:
                window = None  # few matches: rank them all (exact)
            else:
                return self._counter_page(where, text, order, offset, limit, walk, using)
        needed = offset + limit if order == "latest" else None
        kind, floor = self._plan(query, window, using, needed) if window else ("every", None)
        matching = "search_notedocument WHERE tsv @@ to_tsquery('simple'::regconfig, %s)"
        columns = "note_id, tsv" if order == "relevance" else "note_id"
        # Ranking every match: each is scored as it is read, rather than keeping its tsvector.
        scored = kind == "every" and order == "relevance"
        if scored:
            columns = "note_id, -ts_rank(tsv, to_tsquery('simple'::regconfig, %s)) AS rank"
        # Only constant SQL fragments are concatenated; every value is a parameter.
        sql = ""
        params: list[Any] = []
        if kind == "walk":
            newest = (
                f"SELECT {columns} FROM {matching} AND note_id >= %s"  # noqa: S608
                " ORDER BY note_id DESC LIMIT %s"
            )
            newest_params: list[Any] = [text, floor, window]
        else:
            # The matches are materialised first so that the planner reads them from the GIN
            # index (ANDed with the slice's id range) instead of walking the primary key in
            # the order asked for: that walk tests every row and, for rare or absent words,
            # crosses the whole table (a second for a word with no match).
            sql = f"WITH m AS MATERIALIZED (SELECT {columns} FROM {matching}"  # noqa: S608
            params = [text, text] if scored else [text]
            if floor is not None:
                sql += " AND note_id >= %s"
                params.append(floor)
            sql += ") "
            newest = "SELECT note_id, rank FROM m" if scored else f"SELECT {columns} FROM m"  # noqa: S608
            newest_params = []
            if window:
                newest += " ORDER BY note_id DESC LIMIT %s"
                newest_params = [window]
        # ts_rank reads each tsvector, so it runs on the kept rows only, and only to sort by it.
        if scored:
            score = "newest.rank"
        elif order == "relevance":
            score = "-ts_rank(newest.tsv, to_tsquery('simple'::regconfig, %s))"
            params.append(text)
        else:
            score = "0"
        # Latest is ordered by the matches' own ids, already in that order: the page stops
        # the walk (or the probes) as soon as it is full, instead of sorting the window.
        order_sql = "hits.id DESC" if order == "latest" else ORDER_SQL[order]
        # Each kept match is joined to its note by a primary-key probe: a LATERAL subquery that
        # cannot be flattened, so the planner never hashes all of notes_note instead (it would
        # when it expects many matches: a second for an AND it overestimates). Only when every
        # match of a query with very many is ranked (a filter the newest matches failed) is a
        # hash of notes_note the cheaper way, and the planner may choose it.
        where_sql, where_params = where
        hits = (
            f"SELECT notes_note.id FROM (SELECT newest.note_id AS id, {score} AS score"  # noqa: S608
            f" FROM ({newest}) AS newest) AS hits"
        )
        if kind == "every" and self._estimates(query, using)[0] > EVERY_PROBES_MAX:
            sql += f"{hits} JOIN notes_note ON notes_note.id = hits.id WHERE {where_sql}"
        else:
            sql += (
                f"{hits} CROSS JOIN LATERAL (SELECT {NOTE_COLUMNS} FROM notes_note"  # noqa: S608
                f" WHERE notes_note.id = hits.id AND ({where_sql}) OFFSET 0) AS notes_note"
            )
        sql += f" ORDER BY {order_sql} LIMIT %s OFFSET %s"
        params += newest_params
        params += [*where_params, limit, offset]
        if kind in ("walk", "all"):
            with connections[using].cursor() as cursor:
                cursor.execute(sql, params)
                return [int(row[0]) for row in cursor.fetchall()]
        # The planner costs the matches by its own estimate (an AND's can be 10x too high):
        # for every match, past jit_above_cost it would compile the query first (25-200 ms
        # here); for a slice it may read the whole id range testing every row (0.6 s for
        # 咖啡 coffee) rather than AND the two indexes' bitmaps, so plain index scans are off
        # for that statement (the probes of notes become bitmap scans of one row).
        switches = "set_config('jit', 'off', true)"
        if kind == "slice":
            switches += ", set_config('enable_indexscan', 'off', true)"
        with transaction.atomic(using), connections[using].cursor() as cursor:
            cursor.execute(f"SELECT {switches}")
            cursor.execute(sql, params)
            return [int(row[0]) for row in cursor.fetchall()]

    def _counter_walk(self, query: Query, needed: int, using: str) -> int | None:
        """How many notes to walk in a counter's order to find ``needed`` matches, or None
        when ranking every match is expected to cost less."""
        matches, postings = self._estimates(query, using)
        ids = self._id_range(using)
        if ids is None:
            return None
        rows = ids[0]
        expected = needed * rows / max(matches, 1.0)
        every = RANK_US_PER_MATCH * matches + GIN_US_PER_POSTING * postings
        if PROBE_US * expected > every:
            return None
        return int(min(rows, max(COUNTER_WALK_MIN, COUNTER_WALK_SLACK * expected)))

    def _counter_page(
        self,
        where: tuple[str, list[Any]],
        text: str,
        order: str,
        offset: int,
        limit: int,
        walk: int,
        using: str,
    ) -> list[int]:
        """One page of a popularity sort, walking at most ``walk`` visible notes in the
        counter's index order; each is tested by a primary-key probe of its document (a
        subquery per row, so the planner cannot turn it into a read of every match). A short
        page makes the caller rank every match."""
        counter = COUNTER_SORTS[order]
        where_sql, where_params = where
        # Only constant SQL fragments are concatenated; every value is a parameter.
        sql = (
            f"SELECT notes_note.id FROM (SELECT id, {counter} FROM notes_note"  # noqa: S608
            f" WHERE {where_sql} ORDER BY {ORDER_SQL[order]} LIMIT %s) AS notes_note"
            " WHERE (SELECT tsv @@ to_tsquery('simple'::regconfig, %s) FROM search_notedocument"
            " WHERE note_id = notes_note.id)"
            f" ORDER BY {ORDER_SQL[order]} LIMIT %s OFFSET %s"
        )
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [*where_params, walk, text, limit, offset])
            return [int(row[0]) for row in cursor.fetchall()]
