"""PostgreSQL only: the GIN index without a pending list, finer statistics on the tsvector.

* ``fastupdate = off``: with the default, new entries wait in a pending list (up to
  ``gin_pending_list_limit``, 4 MB) that every search reads sequentially, and the insert that
  fills it merges it into the index (a stall for that writer). Searches far outnumber note
  writes, so each write updates the index directly (a few dozen entries per note).
* ``STATISTICS 1000`` on ``tsv``: ANALYZE keeps 10,000 most common lexemes instead of 1,000;
  the search backend sizes its id slice and chooses its plan from the planner's estimate of a
  query's matches (``backends/postgres.py``), and a word outside that list is estimated at half
  the rarest kept one's frequency.

Nothing on SQLite (FTS5 has neither).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE search_notedocument ALTER COLUMN tsv SET STATISTICS 1000",
    # The index is missing while an interrupted bulk rebuild waits to be restored (the next
    # search-reindex builds it, with the same option: PostgresBackend.bulk_end).
    """DO $$ BEGIN
        IF to_regclass('search_notedocument_tsv') IS NOT NULL THEN
            ALTER INDEX search_notedocument_tsv SET (fastupdate = off);
            PERFORM gin_clean_pending_list('search_notedocument_tsv'::regclass);
        END IF;
    END $$""",
    "ANALYZE search_notedocument",
]
BACKWARD = [
    "ALTER TABLE search_notedocument ALTER COLUMN tsv SET STATISTICS -1",
    """DO $$ BEGIN
        IF to_regclass('search_notedocument_tsv') IS NOT NULL THEN
            ALTER INDEX search_notedocument_tsv RESET (fastupdate);
        END IF;
    END $$""",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_bulk_rebuild_marker")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
