from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections

from bridgenote.search.backends.base import ORDER_SQL, POPULARITY_SQL

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bridgenote.notes.models import Note
    from bridgenote.search.analysis import Query, Term


def _term(term: Term) -> str:
    # Tokens are letters, digits and Han characters only (analysis guarantees it), so quoting
    # them makes every token a plain FTS5 string, never an operator (NEAR, OR, AND, NOT, *).
    options = [f'"{word}"' for word in term.words] + [f'"{p}" *' for p in term.prefixes]
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def match_expression(query: Query) -> str:
    """The FTS5 MATCH expression of a parsed query: AND of the terms' alternatives."""
    return " AND ".join(_term(term) for term in query.terms)


class SqliteBackend:
    """FTS5 over ``search_note_fts`` (external content: the NoteDocument table); bm25 with
    column weights title 4, body 1, topics 4, place 2 (set as the table's rank)."""

    vendor = "sqlite"

    def match(self, notes: QuerySet[Note], query: Query) -> QuerySet[Note]:
        return notes.extra(  # noqa: S610 - no user text: the expression is built from tokens
            tables=["search_note_fts"],
            where=["search_note_fts.rowid = notes_note.id", "search_note_fts MATCH %s"],
            params=[match_expression(query)],
            select={"search_score": f"search_note_fts.rank * {POPULARITY_SQL}"},
        )

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
        # bm25 reads every position list of a row, so it is only computed to sort by it.
        score = "rank" if order == "relevance" else "0"
        # CROSS JOIN keeps SQLite from reordering: the (windowed) FTS matches drive the join.
        # Only constant SQL fragments are concatenated; every value is a parameter.
        sql = (
            "SELECT notes_note.id FROM (SELECT rowid AS id, "  # noqa: S608
            + score
            + " AS score FROM search_note_fts"
            " WHERE search_note_fts MATCH %s ORDER BY rowid DESC" + limit_sql + ") AS hits"
            " CROSS JOIN notes_note ON notes_note.id = hits.id"
        )
        params: list[Any] = [match_expression(query), *limit_params]
        where_sql, where_params = where
        sql += f" WHERE {where_sql} ORDER BY {ORDER_SQL[order]} LIMIT %s OFFSET %s"
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [*params, *where_params, limit, offset])
            return [int(row[0]) for row in cursor.fetchall()]
