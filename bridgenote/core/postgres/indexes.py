"""Indexes built ``CONCURRENTLY`` on PostgreSQL by migrations (no lock that blocks writes).

A ``CREATE INDEX CONCURRENTLY`` that fails (a deadlock, a cancelled migration, a unique
violation, a lost connection) leaves an INVALID index behind: never used by queries, still
maintained by every write, and ``IF NOT EXISTS`` would skip it on the next run. So an invalid
index of that name is dropped (``DROP INDEX CONCURRENTLY``) before it is built again. The
migrations calling these must be non-atomic (``CONCURRENTLY`` cannot run in a transaction).
"""

from __future__ import annotations

from typing import Any


def index_is_invalid(schema_editor: Any, name: str) -> bool:
    """Whether an index called ``name`` (in the search path) exists and is INVALID."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        row = cursor.fetchone()
    return row is not None and not row[0]


def create_index_concurrently(schema_editor: Any, name: str, table: str, columns: str) -> None:
    """``CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON table (columns)``, after dropping an
    invalid index ``name`` a failed build left. ``name``, ``table`` and ``columns`` are SQL
    written in the migration, never user input."""
    quote = schema_editor.quote_name
    if index_is_invalid(schema_editor, name):
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(name)} ON {quote(table)} ({columns})"
    )


def drop_index_concurrently(schema_editor: Any, name: str) -> None:
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")
