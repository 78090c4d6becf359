from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections

from bridgenote.search.backends.base import ORDER_SQL, POPULARITY_SQL

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bridgenote.notes.models import Note
    from bridgenote.search.analysis import Query, Term


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
        # ts_rank reads every tsvector, so it is only computed to sort by it.
        score = (
            "-ts_rank(tsv, to_tsquery('simple'::regconfig, %s))" if order == "relevance" else "0"
        )
        # Only constant SQL fragments are concatenated; every value is a parameter.
        sql = (
            "SELECT notes_note.id FROM (SELECT note_id AS id, " + score + " AS score"  # noqa: S608
            " FROM search_notedocument WHERE tsv @@ to_tsquery('simple'::regconfig, %s)"
            " ORDER BY note_id DESC" + limit_sql + ") AS hits"
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
