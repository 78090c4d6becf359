"""PostgreSQL only: indexes on notes_note in each popularity sort's order, for search.

The most liked / commented / collected notes matching a query are found by walking
``(counter DESC, id DESC)`` from the top and testing each note's tsvector, which stops after
about page / (share of notes matching) notes: exact over every match, where GIN alone would
read every match first (``backends/postgres.py``). Built CONCURRENTLY (no write lock on
notes_note), hence a non-atomic migration. The price: a change of a counter is no longer a
HOT update (each like also writes index entries). SQLite keeps its window of newest matches.
An invalid index left by a failed build is dropped and built again (``core/postgres/indexes``).
"""

from django.db import migrations

from bridgenote.core.postgres.indexes import create_index_concurrently, drop_index_concurrently

INDEXES = {
    "search_note_likes": "like_count",
    "search_note_comments": "comment_count",
    "search_note_collects": "collect_count",
}


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        create_index_concurrently(schema_editor, name, "notes_note", f"{column} DESC, id DESC")


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        drop_index_concurrently(schema_editor, name)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("search", "0004_postgres_gin_tuning"), ("notes", "0001_initial")]

    operations = [migrations.RunPython(_forward, _backward)]
