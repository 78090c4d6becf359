"""Periodic jobs: due runs enqueued once across workers, skipped while the last one runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks import task

from bridgenote.core import scheduler
from bridgenote.core.models import PeriodicJob

CALLS: list[str] = []
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def ping_job() -> int:
    CALLS.append("ping")
    return len(CALLS)


@task()
def pong_job() -> int:
    CALLS.append("pong")
    return len(CALLS)


def jobs(ping: int = 60, pong: int = 5) -> dict[str, dict[str, object]]:
    return {
        "ping": {"task": f"{__name__}.ping_job", "minutes": ping},
        "pong": {"task": f"{__name__}.pong_job", "minutes": pong},
    }


@pytest.fixture(autouse=True)
def _calls() -> None:
    CALLS.clear()


@pytest.mark.django_db
def test_due_jobs_run_once_per_interval() -> None:
    now = timezone.now()
    with override_settings(PERIODIC_JOBS=jobs()):
        assert sorted(scheduler.tick(now)) == ["ping", "pong"]  # first start: everything due
        assert sorted(CALLS) == ["ping", "pong"]
        assert scheduler.tick(now + timedelta(minutes=1)) == []  # a second worker, same minute
        assert scheduler.tick(now + timedelta(minutes=5)) == ["pong"]
        assert scheduler.tick(now + timedelta(minutes=59)) == ["pong"]  # next due at 64
        assert scheduler.tick(now + timedelta(minutes=60)) == ["ping"]
    assert CALLS.count("ping") == 2 and CALLS.count("pong") == 3
    row = PeriodicJob.objects.get(name="ping")
    assert row.runs == 2 and row.next_run_at == now + timedelta(minutes=120)
    assert row.last_result_id


@pytest.mark.django_db
def test_zero_minutes_turns_a_job_off_and_a_shorter_interval_applies_at_once() -> None:
    now = timezone.now()
    with override_settings(PERIODIC_JOBS=jobs(ping=24 * 60, pong=0)):
        assert scheduler.tick(now) == ["ping"]
        assert scheduler.tick(now + timedelta(hours=1)) == []
    # The operator shortens the interval: the job is not left waiting for the old day.
    with override_settings(PERIODIC_JOBS=jobs(ping=30, pong=0)):
        assert scheduler.tick(now + timedelta(hours=1)) == ["ping"]
        assert scheduler.tick(now + timedelta(hours=1, minutes=10)) == []
    assert "pong" not in CALLS


@pytest.mark.django_db
def test_a_run_is_skipped_while_the_previous_one_is_still_queued() -> None:
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    with override_settings(PERIODIC_JOBS=jobs(pong=0), TASKS=DB_TASKS):
        assert scheduler.tick(now) == ["ping"]
        queued = DBTaskResult.objects.get(task_path=f"{__name__}.ping_job")
        assert queued.status == "READY"  # no worker has taken it yet
        assert scheduler.tick(now + timedelta(minutes=61)) == []
        assert DBTaskResult.objects.filter(task_path=f"{__name__}.ping_job").count() == 1
        DBTaskResult.objects.filter(pk=queued.pk).update(
            status="SUCCESSFUL", finished_at=timezone.now()
        )
        assert scheduler.tick(now + timedelta(minutes=122)) == ["ping"]
        assert DBTaskResult.objects.filter(task_path=f"{__name__}.ping_job").count() == 2


@pytest.mark.django_db
def test_an_unknown_task_path_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    broken = {"gone": {"task": "bridgenote.nowhere.tasks.job", "minutes": 5}, **jobs(pong=0)}
    with override_settings(PERIODIC_JOBS=broken):
        assert scheduler.tick() == ["ping"]
    assert "bridgenote.nowhere.tasks.job" in caplog.text


@pytest.mark.django_db
def test_the_registered_jobs_exist_and_run() -> None:
    """Every job in the real settings imports and runs (inline backend) without error."""
    from django.conf import settings

    names = set(settings.PERIODIC_JOBS)
    assert {
        "media_sweep",
        "notes_media_sweep",
        "trim_inboxes",
        "translate_cleanup",
        "task_results_prune",
    } <= names
    assert sorted(scheduler.tick()) == sorted(names)


@pytest.mark.django_db
def test_old_finished_job_results_are_pruned() -> None:
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=DB_TASKS, PERIODIC_JOBS={}):
        for _ in range(3):
            ping_job.enqueue()
    old = timezone.now() - timedelta(days=20)
    results = list(DBTaskResult.objects.order_by("enqueued_at"))
    DBTaskResult.objects.filter(pk=results[0].pk).update(status="SUCCESSFUL", finished_at=old)
    DBTaskResult.objects.filter(pk=results[1].pk).update(status="FAILED", finished_at=old)
    # results[2] is still queued: never pruned.
    assert scheduler.task_results_prune(days=14) == 2
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [results[2].pk]


@pytest.mark.skipif(
    not os.environ.get("BRIDGENOTE_TEST_DATABASE_URL"), reason="needs PostgreSQL for real races"
)
@pytest.mark.django_db(transaction=True)
def test_workers_ticking_at_the_same_moment_enqueue_each_run_once() -> None:
    now = timezone.now()
    won: list[list[str]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            won.append(scheduler.tick(now))
        finally:
            connection.close()

    with override_settings(PERIODIC_JOBS=jobs()):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(name for names in won for name in names) == ["ping", "pong"]
    assert sorted(CALLS) == ["ping", "pong"]


def test_bridgenote_worker_runs_the_periodic_jobs(tmp_path: Path) -> None:
    """The real command on a fresh SQLite database: the scheduler thread enqueues every job,
    the same process runs them from the queue."""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "BRIDGENOTE_DEBUG": "1",
        "BRIDGENOTE_DATA_DIR": str(tmp_path),
        "BRIDGENOTE_LOG_LEVEL": "INFO",
        "BRIDGENOTE_SCHEDULER_TICK_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "bridgenote.conf.settings",
        "PYTHONPATH": str(root),
    }
    env.pop("BRIDGENOTE_DATABASE_URL", None)
    env.pop("BRIDGENOTE_CACHE_URL", None)
    cli = [sys.executable, "-m", "bridgenote.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, cwd=root, check=True, timeout=300)
    worker = subprocess.Popen(
        [*cli, "worker", "--no-reload", "--interval", "0.2", "-v2"],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    query = (
        "from django_tasks_db.models import DBTaskResult as R;"
        "print(sorted(R.objects.filter(status='SUCCESSFUL').values_list('task_path', flat=True)))"
    )
    done = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = subprocess.run(
                [*cli, "shell", "-c", query], env=env, cwd=root, capture_output=True, text=True
            ).stdout
            if done.count("bridgenote.") >= 5:
                break
            time.sleep(1)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    for path in (
        "bridgenote.media.tasks.attachments_sweep",
        "bridgenote.notes.tasks.notes_media_sweep",
        "bridgenote.feeds.tasks.trim_inboxes",
        "bridgenote.translate.tasks.translation_cleanup",
        "bridgenote.core.tasks.task_results_prune",
    ):
        assert path in done, output
