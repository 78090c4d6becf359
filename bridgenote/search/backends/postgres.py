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


# The newest slice of ids searched first holds about this many windows of matches.
SLICE_MATCHES = 1.5
# The planner's estimate of a query's matches and the id range are reused this long (per
# process): asking costs a planning round trip, and both change slowly. New notes past a cached
# maximum id are still searched (the slice has no upper bound).
ESTIMATE_SECONDS = 300.0
_ESTIMATES: dict[tuple[str, str], tuple[float, float]] = {}
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
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON search_notedocument USING GIN (tsv)"
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

    def _window_floor(self, text: str, window: int, using: str) -> int | None:
        """A note id below which the ``window`` newest matches (probably) do not lie, or None
        when the matches are few enough to read them all.

        GIN cannot return matches in id order, so without a floor PostgreSQL either walks the
        primary key backwards testing each row's tsvector (good for a word in most notes,
        very slow for one in 3%) or reads every match (slow for common words). With the
        newest slice of ids expected to hold 1.5 windows of matches, it can AND the two
        indexes' bitmaps and read only the slice's matches, or walk a short stretch: the
        work is bounded by the window either way. The slice comes from the planner's own
        estimate of the matches and the id range (ids grow with time); if it holds too few
        matches the caller's fallback ranks every match. The estimate and the id range are
        cached for ``ESTIMATE_SECONDS``."""
        now = time.monotonic()
        cached = _ESTIMATES.get((using, text))
        if cached is None or now - cached[0] > ESTIMATE_SECONDS:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "EXPLAIN (FORMAT JSON) SELECT 1 FROM search_notedocument"
                    " WHERE tsv @@ to_tsquery('simple'::regconfig, %s)",
                    [text],
                )
                plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            if len(_ESTIMATES) > 10_000:
                _ESTIMATES.clear()
            cached = _ESTIMATES[(using, text)] = (now, float(plan[0]["Plan"]["Plan Rows"]))
        matches = cached[1]
        ids = _ID_RANGE.get(using)
        if ids is None or now - ids[0] > ESTIMATE_SECONDS:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples, (SELECT min(note_id) FROM search_notedocument),"
                    " (SELECT max(note_id) FROM search_notedocument)"
                    " FROM pg_class WHERE oid = 'search_notedocument'::regclass"
                )
                row = cursor.fetchone()
            ids = _ID_RANGE[using] = (now, row)
        row = ids[1]
        if row is None or row[1] is None or row[0] <= 0:
            return None
        share = SLICE_MATCHES * window / max(matches, 1.0)
        if share >= 0.5:
            return None
        low, high = int(row[1]), int(row[2])
        return high - int((high - low) * share)

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
        limit_sql, limit_params = (" LIMIT %s", [window]) if window else ("", [])
        text = tsquery(query)
        floor = self._window_floor(text, window, using) if window else None
        if floor is not None:
            limit_sql = " AND note_id >= %s" + limit_sql
            limit_params = [floor, *limit_params]
        # ts_rank reads every tsvector, so it is only computed to sort by it.
        score = (
            "-ts_rank(tsv, to_tsquery('simple'::regconfig, %s))" if order == "relevance" else "0"
        )
        # Only constant SQL fragments are concatenated; every value is a parameter.
        sql = (
            "SELECT notes_note.id FROM (SELECT note_id AS id, " + score + " AS score"  # noqa: S608
            " FROM search_notedocument WHERE tsv @@ to_tsquery('simple'::regconfig, %s)"
            + limit_sql.replace(" LIMIT", " ORDER BY note_id DESC LIMIT")
            + ") AS hits"
            " JOIN notes_note ON notes_note.id = hits.id"
        )
        params: list[Any] = (
            [text, text, *limit_params] if order == "relevance" else [text, *limit_params]
        )
        where_sql, where_params = where
        sql += f" WHERE {where_sql} ORDER BY {ORDER_SQL[order]} LIMIT %s OFFSET %s"
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [*params, *where_params, limit, offset])
            return [int(row[0]) for row in cursor.fetchall()]
