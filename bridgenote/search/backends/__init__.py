"""Full-text backends behind one interface: SQLite FTS5 (embedded) and PostgreSQL (at scale).

Both index the same pre-analysed token strings (``analysis.document_text``) and receive the
same parsed ``analysis.Query``; each only translates it into its own match syntax. Tokens hold
nothing but letters, digits and Han characters, so no user input ever reaches either
database's query syntax.
"""

from __future__ import annotations

from django.db import connections

from bridgenote.search.backends.base import SearchBackend
from bridgenote.search.backends.postgres import PostgresBackend
from bridgenote.search.backends.sqlite import SqliteBackend

__all__ = ["PostgresBackend", "SearchBackend", "SqliteBackend", "backend"]


def backend(using: str = "default") -> SearchBackend:
    """The backend for the database ``using`` points at."""
    vendor = connections[using].vendor
    if vendor == "postgresql":
        return PostgresBackend()
    if vendor == "sqlite":
        return SqliteBackend()
    raise NotImplementedError(f"search has no backend for the {vendor} database")
