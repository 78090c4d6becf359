from __future__ import annotations

from typing import TYPE_CHECKING

from bridgenote.search.backends.base import POPULARITY_SQL

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
