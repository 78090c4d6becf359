from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

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
