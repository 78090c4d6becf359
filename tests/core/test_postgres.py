"""The PostgreSQL backend (``core/postgres``): a health check without a round trip that still
replaces a connection the server ended, and prepared statements. Skipped on SQLite."""

from __future__ import annotations

import select
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


@pytest.fixture(autouse=True)
def _fresh_connection() -> None:
    connection.close()  # a new one, well within CONN_MAX_AGE


def _pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _next_request() -> None:
    """What Django does between two requests (``request_finished``/``request_started``)."""
    connection.close_if_unusable_or_obsolete()


def _terminate(pid: int) -> None:
    with _other() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN | select.POLLHUP)
    assert poller.poll(5000), "the server did not end the connection"


def test_live_connection_is_reused_without_select_1():
    before = _pid()
    _next_request()
    with mock.patch.object(
        type(connections["default"]), "is_usable", side_effect=AssertionError("SELECT 1")
    ):
        assert _pid() == before


def test_connection_ended_by_the_server_is_replaced_before_the_next_query():
    ended = _pid()
    _terminate(ended)
    _next_request()
    assert _pid() != ended  # no OperationalError: the check saw it and reconnected


def test_repeated_statements_are_prepared_on_the_server():
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1 AS bridgenote_prepared_probe", [41])
            assert cursor.fetchone() == (42,)

    for _ in range(6):
        run()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement LIKE %s AND statement NOT LIKE %s",
            ["%bridgenote_prepared_probe%", "%pg_prepared_statements%"],
        )
        assert cursor.fetchone()[0] == 1


def _other() -> psycopg.Connection:
    """Another connection to the test database (a migration run by another process)."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    )


@pytest.mark.parametrize("in_transaction", [False, True])
def test_prepared_statements_recover_when_a_migration_changes_a_column_type(
    in_transaction: bool,
) -> None:
    from django.db import NotSupportedError, transaction

    with _other() as other:
        other.execute("CREATE TABLE bridgenote_prep_probe (id int PRIMARY KEY, v int)")
        other.execute("INSERT INTO bridgenote_prep_probe VALUES (1, 7)")
    try:

        def read() -> object:
            with connection.cursor() as cursor:
                cursor.execute("SELECT v FROM bridgenote_prep_probe WHERE id = %s", [1])
                return cursor.fetchone()[0]

        for _ in range(6):  # prepared on the server
            assert read() == 7
        pid = _pid()
        with _other() as other:  # a migration, while this server keeps its connection
            other.execute("ALTER TABLE bridgenote_prep_probe ALTER COLUMN v TYPE bigint")
        with pytest.raises(NotSupportedError, match="cached plan"):
            if in_transaction:
                with transaction.atomic():
                    read()
            else:
                read()
        _next_request()
        assert read() == 7  # the same connection, statements prepared again
        assert _pid() == pid
    finally:
        with _other() as other:
            other.execute("DROP TABLE IF EXISTS bridgenote_prep_probe")


# --- indexes built CONCURRENTLY by migrations ---------------------------------------------------
def _valid(name: str) -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


@pytest.mark.parametrize(
    ("migration", "index"),
    [
        ("bridgenote.engage.migrations.0004_like_collect_user_newest", "like_user_newest"),
        ("bridgenote.search.migrations.0005_postgres_counter_indexes", "search_note_likes"),
    ],
)
def test_an_invalid_index_left_by_a_failed_concurrent_build_is_built_again(
    migration: str, index: str
) -> None:
    import importlib

    from django.apps import apps

    module = importlib.import_module(migration)
    assert _valid(index) is True
    with connection.cursor() as cursor:  # what a failed CREATE INDEX CONCURRENTLY leaves
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s)", [index]
        )
    assert _valid(index) is False
    with connection.schema_editor(atomic=False) as editor:
        module._forward(apps, editor)
    assert _valid(index) is True
    with connection.schema_editor(atomic=False) as editor:  # and again: nothing to do
        module._forward(apps, editor)
    assert _valid(index) is True
