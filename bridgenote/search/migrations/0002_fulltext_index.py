"""The full-text index over NoteDocument, in the form each database supports best.

SQLite: an FTS5 table with external content (the NoteDocument table), kept in sync by
triggers, tokenised by unicode61 on the pre-segmented, space-separated tokens.
PostgreSQL: a stored generated tsvector column ('simple' configuration, no stemming or
stop words: analysis happened in Python) with a GIN index.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_note_fts USING fts5(
        title, body, topics, place,
        content='search_notedocument', content_rowid='note_id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER search_notedocument_ai AFTER INSERT ON search_notedocument BEGIN
        INSERT INTO search_note_fts(rowid, title, body, topics, place)
        VALUES (new.note_id, new.title, new.body, new.topics, new.place);
    END""",
    """CREATE TRIGGER search_notedocument_ad AFTER DELETE ON search_notedocument BEGIN
        INSERT INTO search_note_fts(search_note_fts, rowid, title, body, topics, place)
        VALUES ('delete', old.note_id, old.title, old.body, old.topics, old.place);
    END""",
    """CREATE TRIGGER search_notedocument_au AFTER UPDATE ON search_notedocument BEGIN
        INSERT INTO search_note_fts(search_note_fts, rowid, title, body, topics, place)
        VALUES ('delete', old.note_id, old.title, old.body, old.topics, old.place);
        INSERT INTO search_note_fts(rowid, title, body, topics, place)
        VALUES (new.note_id, new.title, new.body, new.topics, new.place);
    END""",
    # bm25 weights of the columns: title, body, topics, place.
    "INSERT INTO search_note_fts(search_note_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0, 4.0, 2.0)')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_notedocument_au",
    "DROP TRIGGER IF EXISTS search_notedocument_ad",
    "DROP TRIGGER IF EXISTS search_notedocument_ai",
    "DROP TABLE IF EXISTS search_note_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE search_notedocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title), 'A')
        || setweight(to_tsvector('simple'::regconfig, topics), 'A')
        || setweight(to_tsvector('simple'::regconfig, place), 'B')
        || setweight(to_tsvector('simple'::regconfig, body), 'D')
    ) STORED""",
    "CREATE INDEX search_notedocument_tsv ON search_notedocument USING GIN (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_notedocument_tsv",
    "ALTER TABLE search_notedocument DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
