from __future__ import annotations

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
