"""The PostgreSQL database backend (``ENGINE = "bridgenote.core.postgres"``): Django's, with a
connection health check that costs no round trip.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every request that
reuses a persistent connection: one more round trip per page to a server that may share the
machine's cores (docs/performance.md, "Round trips to PostgreSQL"). Here the connection's socket
is polled first, without waiting. Between queries PostgreSQL sends nothing on an idle
connection unless it is ending it (a restart or shutdown, ``pg_terminate_backend``, an idle
timeout, a proxy closing it: an error message, then end of file) or reporting something
asynchronously (a changed server parameter, a notice). So a socket with nothing to read is a
live connection as far as any check could tell without a round trip, and the check is done;
anything else (something to read, a hang-up, an error, a connection psycopg already knows is
closed or broken, a platform without ``poll``) runs Django's own check, which replaces the
connection if ``SELECT 1`` fails. What neither check sees is a peer that vanished without
closing the TCP connection: ``SELECT 1`` would then wait as long as the request's query does.

Prepared statements (``server_side_binding``, docs/operations.md): a migration that changes the
type of a column a prepared statement returns makes PostgreSQL refuse to run it again
(SQLSTATE 0A000, "cached plan must not change result type"), on every connection that
prepared it, until the statement is deallocated. psycopg deallocates its statements on a
rollback (a failed ``atomic`` block) but not after a failed statement in autocommit, so such
a connection would fail the same query until ``CONN_MAX_AGE``. Here that error deallocates
every statement of the connection (``DEALLOCATE ALL`` through psycopg, which forgets them
too): the failing query still raises, the next one is prepared again.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from django.db.utils import DatabaseErrorWrapper
from django.utils.functional import cached_property

_EVENTS = (
    getattr(select, "POLLIN", 0)
    | getattr(select, "POLLPRI", 0)
    | getattr(select, "POLLERR", 0)
    | getattr(select, "POLLHUP", 0)
    | getattr(select, "POLLRDHUP", 0)
)


def quiet(connection: Any) -> bool:
    """Whether a psycopg connection is open and its socket has nothing to read (no wait)."""
    if connection.closed or connection.broken or not hasattr(select, "poll"):
        return False
    try:
        poller = select.poll()
        poller.register(connection.fileno(), _EVENTS)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


def stale_plan(error: BaseException | None) -> bool:
    """Whether ``error`` is PostgreSQL refusing a prepared statement whose result type changed."""
    return isinstance(error, psycopg.errors.FeatureNotSupported) and "cached plan" in str(error)


class _ErrorWrapper(DatabaseErrorWrapper):
    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if stale_plan(exc_value):
            _forget_prepared(getattr(self, "wrapper"))  # noqa: B009 - not in the stubs
        super().__exit__(exc_type, exc_value, traceback)


def _forget_prepared(wrapper: Any) -> None:
    """Deallocate the prepared statements of ``wrapper``'s connection, now if it is idle
    (autocommit); in a failed transaction the rollback that must follow does it."""
    conn = wrapper.connection
    if conn is None or conn.closed:
        return
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return  # psycopg deallocates everything on ROLLBACK
    try:
        conn.execute("DEALLOCATE ALL")  # psycopg forgets its names on this command's success
    except psycopg.Error:
        wrapper.errors_occurred = True  # Django checks the connection after the request


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    @cached_property
    def wrap_database_errors(self) -> DatabaseErrorWrapper:
        return _ErrorWrapper(self)

    def close_if_health_check_failed(self) -> None:
        state: Any = self  # attributes of Django 5.2 the stubs do not declare
        if (
            self.connection is not None
            and state.health_check_enabled
            and not state.health_check_done
            and not state.pool
            and quiet(self.connection)
        ):
            state.health_check_done = True
            return
        super().close_if_health_check_failed()
