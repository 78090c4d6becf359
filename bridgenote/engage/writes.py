"""Short write transactions that queue instead of polling for SQLite's write lock.

SQLite has one writer. Every write transaction starts with ``BEGIN IMMEDIATE`` (settings),
and a connection that finds the lock taken sleeps in SQLite's busy handler (1, 2, 5 ... 100 ms
naps) and tries again: under load the lock is often free while every waiter is asleep, and
the unlucky ones nap for seconds (the like and comment p99 of 2.8-2.9 s in docs/performance.md).
``write_transaction()`` makes the engagement writes queue instead: the threads of a process
take a lock in turn, and one thread per process holds an exclusive ``flock`` on a file next to
the database while its transaction runs, so the next writer is woken the moment the previous
one commits. Callers do their reads and checks before, so the lock is held for the INSERTs and
counter UPDATEs only.

On PostgreSQL (and inside a transaction that is already open, where taking the file lock
could wait on a writer that waits on us) it is ``transaction.atomic()``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.db import connection, transaction

_thread_lock = threading.Lock()
_files: dict[tuple[int, str], IO[Any]] = {}


def _lock_file() -> IO[Any] | None:
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or not os.path.isabs(name):
        return None
    # Per process: a descriptor inherited across fork() would share its lock with the parent.
    key = (os.getpid(), name)
    handle = _files.get(key)
    if handle is None:
        handle = open(f"{name}.writelock", "a+b")  # noqa: SIM115 - kept open by the process
        _files[key] = handle
    return handle


@contextmanager
def write_transaction() -> Iterator[None]:
    """``transaction.atomic()``, queued behind the other writers on SQLite."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _thread_lock:
        handle = _lock_file()
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            with transaction.atomic():
                yield
        finally:
            if handle is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
