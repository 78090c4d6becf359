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
could wait on a writer that waits on us) it is ``transaction.atomic()``. ``write_statement()``
queues a single autocommit statement the same way (the rate limiter's counter UPSERT). The
queue is re-entrant per thread: a write inside an ``on_commit`` hook of a queued transaction
(which runs before the queue is released) proceeds on the turn it already holds.

Every write of the like and comment paths goes through the queue (the rate counter, the
notifications and the counters are in the one transaction): a write outside it would take
SQLite's lock through the busy handler and make the queued writers nap behind it.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.db import connection, models, transaction

_thread_lock = threading.Lock()
_held = threading.local()  # .depth: how many _queue() of this thread are open
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


def _queued() -> bool:
    return connection.vendor == "sqlite" and not connection.in_atomic_block


@contextmanager
def _queue() -> Iterator[None]:
    # Re-entrant per thread: ``transaction.on_commit`` hooks run while the queue is still held,
    # and one that writes (a queued statement, a rate counter) holds its turn already. Taking
    # the thread lock again would deadlock this thread and every writer behind it, and an
    # inner flock(LOCK_UN) would let the next process in while the outer holder still writes.
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with _thread_lock:
        handle = _lock_file()
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            if handle is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def write_transaction() -> Iterator[None]:
    """``transaction.atomic()``, queued behind the other writers on SQLite."""
    if not _queued():
        with transaction.atomic():
            yield
        return
    with _queue(), transaction.atomic():
        yield


@contextmanager
def write_statement() -> Iterator[None]:
    """Around one write statement that needs no transaction of its own (an UPSERT): on
    SQLite outside a transaction, queued behind the other writers (the statement is its own
    transaction); anywhere else, nothing (on PostgreSQL no BEGIN and COMMIT round trips)."""
    if not _queued():
        yield
        return
    with _queue():
        yield


def insert_if_absent(model: type[models.Model], **values: Any) -> bool:
    """INSERT one row of ``model`` unless it would break the model's unique constraint (a
    like that exists): one ``INSERT ... ON CONFLICT DO NOTHING`` statement, instead of a
    savepoint, an INSERT that may fail and a rollback to the savepoint (round trips count on
    PostgreSQL). Fields not given take their defaults. Returns whether the row was inserted.
    SQLite >= 3.24 and PostgreSQL both speak it."""
    fields = _insert_fields(model, tuple(sorted(values)))
    row = []
    for field in fields:
        value = values[field.name] if field.name in values else field.get_default()
        if isinstance(value, models.Model):
            value = value.pk
        row.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, tuple(sorted(values)), connection.vendor), row)
        return cursor.rowcount == 1


def _insert_fields(model: type[models.Model], given: tuple[str, ...]) -> list[Any]:
    return [
        field
        for field in model._meta.concrete_fields
        if field.name in given or not isinstance(field, models.AutoField)
    ]


@functools.cache
def _insert_sql(model: type[models.Model], given: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    unique = [
        constraint
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None
    ]
    if len(unique) != 1:
        raise ValueError(f"{model.__name__} needs exactly one unique constraint")
    fields = _insert_fields(model, given)
    column_of = {field.name: field.column for field in model._meta.concrete_fields}
    conflict = ", ".join(quote(column_of[name]) for name in unique[0].fields)
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - from the model
        f" ON CONFLICT ({conflict}) DO NOTHING"
    )


def counters_add(model: type[models.Model], key: int, /, **deltas: int) -> int:
    """``UPDATE <table> SET n = n + delta, ... WHERE <primary key> = key`` as one statement
    compiled once per process (building the same ``filter().update(F() + 1)`` queryset on
    every like cost more Python than running it). Returns the rows updated."""
    names = tuple(sorted(deltas))
    with connection.cursor() as cursor:
        cursor.execute(
            _counters_sql(model, names, connection.vendor), [*(deltas[n] for n in names), key]
        )
        return cursor.rowcount


@functools.cache
def _counters_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    column_of = {field.name: field.column for field in model._meta.concrete_fields}
    columns = [quote(column_of[name]) for name in names]
    assignments = ", ".join(f"{column} = {column} + %s" for column in columns)
    return (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments}"  # noqa: S608 - from the model
        f" WHERE {quote(model._meta.pk.column)} = %s"
    )


def insert_rows(rows: list[Any]) -> None:
    """INSERT model instances of one model (every concrete field, as ``save(force_insert)``
    would write it) in one statement whose SQL is built once per process and row count."""
    if not rows:
        return
    model: type[models.Model] = type(rows[0])
    fields = [
        field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)
    ]
    values = [
        field.get_db_prep_save(field.pre_save(row, add=True), connection)
        for row in rows
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql(model, len(rows), connection.vendor), values)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


@functools.cache
def _rows_sql(model: type[models.Model], count: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = [
        field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)
    ]
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([row] * count)}"  # noqa: S608
    )
