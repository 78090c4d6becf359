"""The server configuration `bridgenote serve` runs: web processes and threads, the embedded
worker's lower CPU priority, and the garbage collector freeze of the WSGI application."""

from __future__ import annotations

import gc
import os
import subprocess
from typing import Any

import pytest

from bridgenote import cli, wsgi


class _Child:
    """A child process that has already exited."""

    returncode = 0

    def __init__(self, command: list[str], *args: Any, **kwargs: Any) -> None:
        self.command = command

    def poll(self) -> int:
        return 0

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def terminate(self) -> None:
        pass

    def kill(self) -> None:
        pass


@pytest.fixture
def repairs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calls of the search index repair that serve and worker run first (no database here)."""
    from bridgenote.search import services

    calls: list[str] = []
    monkeypatch.setattr(services, "repair_at_start", lambda: calls.append("repair"))
    return calls


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, repairs: list[str]) -> list[list[str]]:
    commands: list[list[str]] = []

    def popen(command: list[str], *args: Any, **kwargs: Any) -> _Child:
        commands.append(command)
        return _Child(command)

    monkeypatch.setattr(subprocess, "Popen", popen)
    return commands


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_serve_runs_a_process_per_core_with_two_threads_and_a_nice_worker(
    started: list[list[str]], repairs: list[str], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.delenv("BRIDGENOTE_WORKERS", raising=False)
    monkeypatch.delenv("BRIDGENOTE_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    settings.EMBEDDED_WORKER = True
    settings.EMBEDDED_WORKER_NICE = 10
    assert cli.serve(["--port", "8999"]) == 0
    web, worker = started
    assert _option(web, "--workers") == "2"
    assert _option(web, "--blocking-threads") == "2"
    assert worker[-3:] == ["worker", "--nice", "10"]
    assert repairs == ["repair"]  # a search rebuild killed half-way is repaired first


def test_serve_caps_default_workers_and_takes_explicit_values(
    started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)))
    assert cli.default_workers() == 4
    assert cli.serve(["--workers", "3", "--threads", "1", "--no-worker"]) == 0
    assert cli.serve(["--no-worker", "--app", "bench.cpu_wsgi:application"]) == 0
    web, metered = started
    assert _option(web, "--workers") == "3"
    assert _option(web, "--blocking-threads") == "1"
    assert web[-1] == "bridgenote.wsgi:application"
    assert metered[-1] == "bench.cpu_wsgi:application"


def test_worker_nice_lowers_its_priority(
    monkeypatch: pytest.MonkeyPatch, repairs: list[str]
) -> None:
    from django.core.management import CommandError
    from django_tasks_db.management.commands import db_worker

    from bridgenote.core.management.commands import worker

    niced: list[int] = []
    monkeypatch.setattr(os, "nice", niced.append)
    monkeypatch.setattr(db_worker.Command, "handle", lambda self, *a, **k: None)
    worker.Command().handle(scheduler=False, nice=7)
    worker.Command().handle(scheduler=False, nice=0)
    assert niced == [7]
    assert repairs == ["repair", "repair"]
    parser = worker.Command().create_parser("bridgenote", "worker")
    with pytest.raises(CommandError, match="--nice"):
        parser.parse_args(["--nice", "20"])  # 0-19 only


def test_wsgi_application_freezes_long_lived_objects_again_after_its_first_requests() -> None:
    calls: list[str] = []

    def handler(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        return [b"ok"]

    gc.unfreeze()
    try:
        app = wsgi.FreezingApplication(handler, after=3)
        for i in range(2):
            assert app({"PATH_INFO": f"/{i}"}, None) == [b"ok"]
        assert gc.get_freeze_count() == 0
        app({"PATH_INFO": "/2"}, None)
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        alive = [[i] for i in range(1000)]  # would be frozen by a second freeze
        app({"PATH_INFO": "/3"}, None)  # only once
        assert calls == ["/0", "/1", "/2", "/3"]
        # Not more, although 1,000 new lists are alive (a frozen object freed by reference
        # counting meanwhile makes it one less).
        assert gc.get_freeze_count() <= frozen
        del alive  # alive until after the check
    finally:
        gc.unfreeze()


def test_the_module_application_serves_and_the_freeze_can_be_turned_off(
    settings: Any, client: Any
) -> None:
    gc.unfreeze()
    try:
        settings.GC_FREEZE = False
        assert not isinstance(wsgi.build(), wsgi.FreezingApplication)
        assert gc.get_freeze_count() == 0
        settings.GC_FREEZE = True
        app = wsgi.build()
        assert isinstance(app, wsgi.FreezingApplication)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert client.get("/api/ping").json() == {"pong": "ok"}
