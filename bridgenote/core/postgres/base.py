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
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper

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


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
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
