from __future__ import annotations

from typing import TYPE_CHECKING

from bridgenote.search.backends.base import POPULARITY_SQL

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
