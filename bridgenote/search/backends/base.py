from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from bridgenote.notes.models import Note
    from bridgenote.search.analysis import Query

# Relevance is the text score times (1 + POPULARITY_BOOST * p / (p + POPULARITY_HALF)), where p
# is likes + collects + comments: popular notes rise a little, never above a much better match.
POPULARITY_BOOST = 0.3
POPULARITY_HALF = 50.0
POPULARITY_SQL = (
    f"(1.0 + {POPULARITY_BOOST} * (notes_note.like_count + notes_note.collect_count"
    " + notes_note.comment_count) / (notes_note.like_count + notes_note.collect_count"
    f" + notes_note.comment_count + {POPULARITY_HALF}))"
)


class SearchBackend(Protocol):
    vendor: str

    def match(self, notes: QuerySet[Note], query: Query) -> QuerySet[Note]:
        """``notes`` restricted to those matching ``query``, annotated with ``search_score``
        (lower is more relevant, popularity included)."""
        ...

    def bulk_begin(self, using: str = "default") -> None:
        """Before a full rebuild: stop maintaining the full-text index row by row (its
        triggers or its GIN index), so the documents are written as plain rows."""
        ...

    def bulk_end(self, using: str = "default") -> None:
        """After a full rebuild (or its failure): build the full-text index from the documents
        in one pass and maintain it row by row again. Idempotent."""
        ...

    def page(
        self,
        where: tuple[str, list[Any]],
        query: Query,
        *,
        order: str,
        offset: int,
        limit: int,
        window: int | None,
    ) -> list[int]:
        """Ids of one page of the notes matching ``query`` that satisfy ``where`` (SQL over
        ``notes_note`` and its params), ordered by ``order`` (ORDER_SQL key). With ``window``,
        only the ``window`` newest matches are ranked: both indexes yield matches in id (= time)
        order and stop there, so a word found in a third of all notes costs what a rare one
        does."""
        ...


# ORDER BY clauses over the page query, which has ``notes_note`` and ``score`` (the text
# score, lower is better).
ORDER_SQL = {
    "relevance": f"score * {POPULARITY_SQL} ASC, notes_note.id DESC",
    "latest": "notes_note.id DESC",
    "likes": "notes_note.like_count DESC, notes_note.id DESC",
    "comments": "notes_note.comment_count DESC, notes_note.id DESC",
    "collects": "notes_note.collect_count DESC, notes_note.id DESC",
}
