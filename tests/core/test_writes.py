"""``core.writes``: an atomic block, and writers queue one after another.

The queue is SQLite's, and SQLite serialises writers anyway: a second ``BEGIN IMMEDIATE``
waits in the busy handler until the first commits. What the queue changes is that nobody
waits there. So these tests run on a database *file* (the suite's in-memory database has no
file to lock) with a busy timeout of 0: a writer that reached ``BEGIN IMMEDIATE`` while
another holds the lock fails at once with "database is locked", and only the queue keeps
that from happening.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from bridgenote.core.writes import (
    counters_add,
    insert_if_absent,
    insert_rows,
    write_statement,
    write_transaction,
)
from bridgenote.engage.models import Mute
from tests.factories import UserFactory

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the queue is SQLite's (atomic() elsewhere)"
)


@pytest.mark.django_db(transaction=True)
def test_commits_and_rolls_back_like_atomic() -> None:
    a, b, c = UserFactory(handle="wa"), UserFactory(handle="wb"), UserFactory(handle="wc")
    with write_transaction():
        Mute.objects.create(muter=a, muted=b)
    with pytest.raises(RuntimeError), write_transaction():
        Mute.objects.create(muter=a, muted=c)
        raise RuntimeError("refused")
    assert list(Mute.objects.values_list("muted__handle", flat=True)) == ["wb"]


@pytest.mark.django_db
def test_insert_if_absent_inserts_once() -> None:
    ava, liwei = UserFactory(handle="ava"), UserFactory(handle="liwei")
    assert insert_if_absent(Mute, muter=ava, muted=liwei) is True
    assert insert_if_absent(Mute, muter=ava, muted=liwei) is False
    assert insert_if_absent(Mute, muter=liwei, muted=ava) is True
    assert Mute.objects.filter(muter=ava, muted=liwei).count() == 1
    assert Mute.objects.get(muter=ava, muted=liwei).created_at is not None


@pytest.mark.django_db
def test_counters_add_and_insert_rows_write_what_the_orm_would() -> None:
    from bridgenote.accounts.models import Profile
    from bridgenote.notify.models import Notification

    ava, liwei = UserFactory(handle="ava"), UserFactory(handle="liwei")
    assert counters_add(Profile, ava.pk, follower_count=2, following_count=1) == 1
    assert counters_add(Profile, 1, follower_count=1) == 0  # no such row
    row = Profile.objects.get(user=ava)
    assert (row.follower_count, row.following_count) == (2, 1)
    made = [
        Notification(recipient=ava, actor=liwei, verb="follow", tab="follows"),
        Notification(recipient=liwei, actor=ava, verb="follow", tab="follows", detail={"x": "李"}),
    ]
    insert_rows(made)
    stored = {n.pk: n for n in Notification.objects.all()}
    assert set(stored) == {n.pk for n in made}
    assert stored[made[1].pk].detail == {"x": "李"} and not stored[made[0].pk].is_read
    assert not made[0]._state.adding


@pytest.fixture
def database_file(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A SQLite database file with one table, for connections made by ``_connect``; the
    test's own connection is put back afterwards."""
    if connection.vendor != "sqlite":
        pytest.skip("the queue is SQLite's")
    path = str(tmp_path / "queue.sqlite3")
    own = connections["default"]
    with django_db_blocker.unblock():
        _connect(path)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE spans (name TEXT, started REAL, ended REAL)")
        connection.close()
        try:
            yield path
        finally:
            connections["default"] = own


def _connect(path: str) -> None:
    """Point this thread's default connection at ``path`` and open it, then drop the busy
    timeout (opening runs PRAGMAs that may wait; the writes after it must not)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    connections["default"] = DatabaseWrapper({**connection.settings_dict, "NAME": path}, "default")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")


def _write(
    path: str, name: str, hold: float, entered: Any = None, go: Any = None, connect: bool = True
) -> None:
    """One queued write transaction that holds SQLite's write lock for ``hold`` seconds,
    started when ``go`` is set (after this connection is open)."""
    if connect:
        _connect(path)
    try:
        if go is not None:
            assert go.wait(10)
        with write_transaction():
            started = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO spans VALUES (%s, %s, 0)", [name, started])
            if entered is not None:
                entered.set()
            time.sleep(hold)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE spans SET ended = %s WHERE name = %s", [time.monotonic(), name]
                )
    finally:
        connection.close()


def _spans(path: str) -> dict[str, tuple[float, float]]:
    _connect(path)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, started, ended FROM spans")
            return {name: (started, ended) for name, started, ended in cursor.fetchall()}
    finally:
        connection.close()


@sqlite_only
def test_writers_queue_instead_of_overlapping(database_file: str) -> None:
    # Threads of one process: without the queue the second BEGIN IMMEDIATE is "locked".
    errors: list[BaseException] = []
    entered, go = threading.Event(), threading.Event()

    def writer(name: str, hold: float, wait: Any) -> None:
        try:
            _write(database_file, name, hold, entered, wait)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    second = threading.Thread(target=writer, args=("second", 0.0, go))
    second.start()
    first = threading.Thread(target=writer, args=("first", 0.3, None))
    first.start()
    assert entered.wait(5)
    go.set()
    first.join(10)
    second.join(10)
    assert errors == []
    spans = _spans(database_file)
    assert spans["second"][0] >= spans["first"][1]  # started after the first committed


def _child_write(path: str, ready: Any) -> None:
    try:
        _write(path, "child", 0.5, entered=ready)
    finally:
        os._exit(0)


@sqlite_only
def test_processes_queue_on_the_lock_file(database_file: str) -> None:
    # Another process holds the write lock (the web server's other worker): this one waits on
    # the file lock, not in SQLite's busy handler (which, with no timeout, would fail).
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    child = context.Process(target=_child_write, args=(database_file, ready))
    _connect(database_file)
    child.start()
    try:
        assert ready.wait(10)
        _write(database_file, "parent", 0.0, connect=False)
    finally:
        child.join(10)
    spans = _spans(database_file)
    assert spans["parent"][0] >= spans["child"][1]


@sqlite_only
def test_write_statement_queues_a_single_statement(database_file: str) -> None:
    entered = threading.Event()
    _connect(database_file)
    holder = threading.Thread(target=_write, args=(database_file, "holder", 0.3, entered))
    holder.start()
    assert entered.wait(5)
    try:
        with write_statement(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO spans VALUES ('single', %s, 0)", [time.monotonic()])
    finally:
        connection.close()
        holder.join(10)
    spans = _spans(database_file)
    assert spans["single"][0] >= spans["holder"][1]


@sqlite_only
def test_a_write_in_an_on_commit_hook_of_a_queued_transaction_proceeds(
    database_file: str,
) -> None:
    # on_commit hooks run while the queue is still held: a hook that writes again (a queued
    # statement, a rate counter, another transaction) must not wait on its own thread.
    from django.db import transaction

    errors: list[BaseException] = []

    def nested(name: str) -> None:
        with write_statement(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO spans VALUES (%s, 0, 0)", [f"{name} statement"])
        with write_transaction(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO spans VALUES (%s, 0, 0)", [f"{name} transaction"])

    def writer() -> None:
        _connect(database_file)
        try:
            with write_transaction():
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO spans VALUES ('outer', 0, 0)")
                transaction.on_commit(lambda: nested("hook"))
            nested("after")  # the queue was left as it was found
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the nested write deadlocked on the writers' queue"
    assert errors == []
    assert set(_spans(database_file)) == {
        "outer", "hook statement", "hook transaction", "after statement", "after transaction",
    }  # fmt: skip
