from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from bridgenote.search.backends.base import ORDER_SQL, POPULARITY_SQL

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bridgenote.notes.models import Note
    from bridgenote.search.analysis import Query, Term


# The triggers of migration 0002 that keep the FTS5 index in sync with its content table
# (dropped during a full rebuild, which builds the index in one pass instead).
TRIGGERS = {
    "search_notedocument_ai": """AFTER INSERT ON search_notedocument BEGIN
        INSERT INTO search_note_fts(rowid, title, body, topics, place)
        VALUES (new.note_id, new.title, new.body, new.topics, new.place);
    END""",
    "search_notedocument_ad": """AFTER DELETE ON search_notedocument BEGIN
        INSERT INTO search_note_fts(search_note_fts, rowid, title, body, topics, place)
        VALUES ('delete', old.note_id, old.title, old.body, old.topics, old.place);
    END""",
    "search_notedocument_au": """AFTER UPDATE ON search_notedocument BEGIN
        INSERT INTO search_note_fts(search_note_fts, rowid, title, body, topics, place)
        VALUES ('delete', old.note_id, old.title, old.body, old.topics, old.place);
        INSERT INTO search_note_fts(rowid, title, body, topics, place)
        VALUES (new.note_id, new.title, new.body, new.topics, new.place);
    END""",
}


# Relevance (see SqliteBackend.page): the weight of the field a query word is found in, title
# or topics, place, else body (as the bm25 column weights of the table's rank), saturated as
# bm25 does with k1 = 1.2, times the word's IDF.
STRONG_WEIGHT, PLACE_WEIGHT, BODY_WEIGHT = 4.0, 2.0, 1.0
BM25_K1 = 1.2
# Document frequencies of words found in at least DF_CACHE_MIN notes are kept per process for
# DF_CACHE_SECONDS: counting them reads their whole doclist (咖啡 in a third of a million notes:
# tens of milliseconds on a busy machine), and they hardly move in minutes. Rarer ones are
# counted again each time (cheap), so a small index (tests, a young community) is exact.
DF_CACHE_MIN = 1000
DF_CACHE_SECONDS = 600.0
_DF_CACHE_MAX = 50_000
_DF_CACHE: dict[tuple[str, str], tuple[float, int]] = {}


def forget_statistics() -> None:
    """Empty this process's document-frequency cache (after a rebuild)."""
    _DF_CACHE.clear()


def _indexed_rows(cursor: Any) -> int:
    """Rows in the FTS5 index, from its averages record (id 1 of its data table: SQLite
    varints, the row count first), as FTS5's own bm25 reads it: no count over the table."""
    cursor.execute("SELECT block FROM search_note_fts_data WHERE id = 1")
    row = cursor.fetchone()
    value = 0
    for i, byte in enumerate(bytes(row[0]) if row and row[0] else b""):
        if i == 8:  # the ninth byte of a varint holds eight bits
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value
    return 0


def _saturated(weight: float) -> float:
    return weight * (BM25_K1 + 1) / (weight + BM25_K1)


def _term(term: Term) -> str:
    # Tokens are letters, digits and Han characters only (analysis guarantees it), so quoting
    # them makes every token a plain FTS5 string, never an operator (NEAR, OR, AND, NOT, *).
    options = [f'"{word}"' for word in term.words] + [f'"{p}" *' for p in term.prefixes]
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def match_expression(query: Query) -> str:
    """The FTS5 MATCH expression of a parsed query: AND of the terms' alternatives."""
    return " AND ".join(_term(term) for term in query.terms)


class SqliteBackend:
    """FTS5 over ``search_note_fts`` (external content: the NoteDocument table). Pages ranked
    by relevance use ``_score_sql`` (field weights title/topics 4, place 2, body 1, times each
    word's IDF); ``match`` keeps FTS5's bm25 with the same column weights (the table's rank)."""

    vendor = "sqlite"

    def match(self, notes: QuerySet[Note], query: Query) -> QuerySet[Note]:
        return notes.extra(  # noqa: S610 - no user text: the expression is built from tokens
            tables=["search_note_fts"],
            where=["search_note_fts.rowid = notes_note.id", "search_note_fts MATCH %s"],
            params=[match_expression(query)],
            select={"search_score": f"search_note_fts.rank * {POPULARITY_SQL}"},
        )

    def bulk_begin(self, using: str = "default") -> None:
        # Without the triggers, writing a document no longer tokenises it into the index (nor
        # tokenises the old one again to delete it). Searches keep using the old index,
        # which is consistent enough: matches are joined to notes_note and filtered there.
        with transaction.atomic(using), connections[using].cursor() as cursor:
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def bulk_end(self, using: str = "default") -> None:
        # One transaction: the triggers are back before the rebuild reads the documents, so no
        # write is missed, and searches see the old index until the new one is committed.
        with transaction.atomic(using), connections[using].cursor() as cursor:
            for name, body in TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute("INSERT INTO search_note_fts(search_note_fts) VALUES ('rebuild')")
            # 'rebuild' leaves the index in many segments; merged into one, a word's doclist
            # is read in one run (1M notes: a few seconds more).
            cursor.execute("INSERT INTO search_note_fts(search_note_fts) VALUES ('optimize')")
        forget_statistics()

    def newest_matches(
        self, query: Query, *, limit: int, using: str = "default"
    ) -> list[tuple[int, float]]:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT rowid, rank FROM search_note_fts WHERE search_note_fts MATCH %s"
                " ORDER BY rowid DESC LIMIT %s",
                [match_expression(query), limit],
            )
            return [(int(row[0]), float(row[1])) for row in cursor.fetchall()]

    def _document_frequency(self, cursor: Any, database: str, term: Term) -> int:
        """Notes matching one AND group of a query (any of its alternatives)."""
        expression = _term(term)
        key = (database, expression)
        now = time.monotonic()
        cached = _DF_CACHE.get(key)
        if cached is not None and now - cached[0] < DF_CACHE_SECONDS:
            return cached[1]
        cursor.execute(
            "SELECT count(*) FROM search_note_fts WHERE search_note_fts MATCH %s", [expression]
        )
        found = int(cursor.fetchone()[0])
        if found >= DF_CACHE_MIN:
            if len(_DF_CACHE) >= _DF_CACHE_MAX:
                _DF_CACHE.clear()
            _DF_CACHE[key] = (now, found)
        return found

    def _score_sql(self, cursor: Any, query: Query, database: str) -> tuple[str, list[Any]]:
        """The text score of a row of ``doc`` (search_notedocument), lower is better: for each
        AND group of the query, its IDF times the saturated weight of the best field holding
        it (title or topics 4, place 2, else the body: 1).

        Not FTS5's ``bm25()``: that one first counts the rows of every phrase of the query by
        reading the phrase's whole doclist, on every query, which for a word in a third of all
        notes cost most of the query (20-40 ms at 1M notes on a busy machine) however few rows
        are ranked. Here the counts are kept per process (``_DF_CACHE``) and a field is tested
        with instr() on the short title, topics and place token strings of the ranked rows;
        the body is what is left, so its term frequency and the notes' lengths are not used."""
        found_by_term = [self._document_frequency(cursor, database, t) for t in query.terms]
        rows = _indexed_rows(cursor)
        if rows < max(found_by_term, default=0):
            # The averages record is written when a transaction commits: inside one that
            # wrote documents (tests) it lags, so count them.
            cursor.execute("SELECT count(*) FROM search_notedocument")
            rows = int(cursor.fetchone()[0])
        parts: list[str] = []
        params: list[Any] = []
        strong_text = "(' ' || doc.title || ' ' || doc.topics || ' ')"
        place_text = "(' ' || doc.place || ' ')"
        for term, cached_hits in zip(query.terms, found_by_term, strict=True):
            # A count cached by another process before a reindex dropped documents may exceed
            # the rows: clamped, the IDF is the floor instead of a log of a negative number.
            hits = min(cached_hits, rows)
            idf = max(1e-6, math.log((rows - hits + 0.5) / (hits + 0.5)))
            needles = [f" {w} " for w in term.words] + [f" {p}" for p in term.prefixes]

            def found(text: str, needles: list[str] = needles) -> str:
                params.extend(needles)
                return "(" + " OR ".join(f"instr({text}, %s) > 0" for _ in needles) + ")"

            strong, place = found(strong_text), found(place_text)
            parts.append(
                f"{idf!r} * (CASE WHEN {strong} THEN {_saturated(STRONG_WEIGHT)!r}"
                f" WHEN {place} THEN {_saturated(PLACE_WEIGHT)!r}"
                f" ELSE {_saturated(BODY_WEIGHT)!r} END)"
            )
        return "-(" + " + ".join(parts) + ")", params

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
        connection = connections[using]
        with connection.cursor() as cursor:
            score, documents = "0", ""
            score_params: list[Any] = []
            if order == "relevance":
                score, score_params = self._score_sql(
                    cursor, query, str(connection.settings_dict["NAME"])
                )
                documents = " CROSS JOIN search_notedocument AS doc ON doc.note_id = hits.id"
            # CROSS JOIN keeps SQLite from reordering: the (windowed) FTS matches drive the
            # join. Only constant SQL fragments and numbers computed here are concatenated;
            # every value from the query is a parameter.
            where_sql, where_params = where
            sql = (
                "SELECT notes_note.id FROM (SELECT id, "  # noqa: S608
                + score
                + " AS score FROM (SELECT rowid AS id FROM search_note_fts"
                " WHERE search_note_fts MATCH %s ORDER BY rowid DESC"
                + limit_sql
                + ") AS hits"
                + documents
                + ") AS hits CROSS JOIN notes_note ON notes_note.id = hits.id"
                f" WHERE {where_sql} ORDER BY {ORDER_SQL[order]} LIMIT %s OFFSET %s"
            )
            params = [*score_params, match_expression(query), *limit_params, *where_params]
            cursor.execute(sql, [*params, limit, offset])
            return [int(row[0]) for row in cursor.fetchall()]
