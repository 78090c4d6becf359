"""Periodic jobs: sweeps and clean-ups enqueued on a timer by the job workers themselves.

``settings.PERIODIC_JOBS`` names each job, the dotted path of its ``@task`` and its interval in
minutes (``BRIDGENOTE_PERIODIC_<NAME>_MINUTES``; 0 turns it off). Every ``bridgenote worker``
(and the worker ``bridgenote serve`` embeds) runs :func:`run_forever` in a thread, which calls
:func:`tick` every ``SCHEDULER_TICK_SECONDS``.

Several workers may tick at the same moment: a :class:`~bridgenote.core.models.PeriodicJob` row
per job holds the time it is next due, and a worker enqueues a run only when its conditional
``UPDATE ... WHERE next_run_at <= now`` moves that time forward. The database decides which
worker wins, so each due run is enqueued once whatever the number of workers, and a restart
does not run everything again. A run is skipped while the previous one is still queued or
running, so a slow job never piles up behind itself. The job itself runs on whichever worker
picks it from the queue, like any other job.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from bridgenote.core.models import PeriodicJob

logger = logging.getLogger(__name__)

UNFINISHED = {"READY", "RUNNING"}


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every: timedelta


def schedules() -> list[Schedule]:
    """The enabled periodic jobs from ``settings.PERIODIC_JOBS``."""
    jobs: dict[str, dict[str, Any]] = getattr(settings, "PERIODIC_JOBS", {})
    return [
        Schedule(name, spec["task"], timedelta(minutes=int(spec["minutes"])))
        for name, spec in jobs.items()
        if int(spec.get("minutes") or 0) > 0
    ]


def _still_running(task: Any, result_id: str) -> bool:
    """Whether the run enqueued as ``result_id`` is still queued or running."""
    if not result_id:
        return False
    try:
        status = task.get_result(result_id).status
    except Exception:
        return False
    return str(getattr(status, "value", status)) in UNFINISHED


def _claim(schedule: Schedule, now: datetime) -> bool:
    """Take the due run of ``schedule`` for this worker; False if not due or taken by another."""
    try:
        with transaction.atomic():
            PeriodicJob.objects.get_or_create(name=schedule.name, defaults={"next_run_at": now})
    except IntegrityError:
        pass  # another worker created it at the same moment
    due = Q(next_run_at__lte=now) | Q(next_run_at__gt=now + schedule.every)  # interval shortened
    return bool(
        PeriodicJob.objects.filter(due, name=schedule.name).update(next_run_at=now + schedule.every)
    )


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns the names this call enqueued."""
    now = now or timezone.now()
    enqueued = []
    for schedule in schedules():
        if not _claim(schedule, now):
            continue
        try:
            task = import_string(schedule.task)
        except ImportError:
            logger.error("periodic job %s: no task %s", schedule.name, schedule.task)
            continue
        previous = PeriodicJob.objects.filter(name=schedule.name).values_list(
            "last_result_id", flat=True
        )
        if _still_running(task, previous.first() or ""):
            logger.info("periodic job %s: previous run not finished, skipped", schedule.name)
            continue
        result = task.enqueue()
        PeriodicJob.objects.filter(name=schedule.name).update(
            last_enqueued_at=now, last_result_id=str(result.id), runs=F("runs") + 1
        )
        enqueued.append(schedule.name)
        logger.info("periodic job %s enqueued (%s)", schedule.name, result.id)
    return enqueued


def run_forever(stop: threading.Event, tick_seconds: float | None = None) -> None:
    """Tick until ``stop`` is set (the body of the scheduler thread in each worker)."""
    interval = float(tick_seconds or settings.SCHEDULER_TICK_SECONDS)
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                tick()
            except Exception:  # a database hiccup must not end the thread
                logger.exception("periodic job scheduler: tick failed")
            stop.wait(interval)
    finally:
        connection.close()


def start_thread(tick_seconds: float | None = None) -> tuple[threading.Thread, threading.Event]:
    """Start :func:`run_forever` in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(stop, tick_seconds), name="bridgenote-scheduler", daemon=True
    )
    thread.start()
    return thread, stop


def task_results_prune(days: int | None = None) -> int:
    """Delete finished results of the database job queue older than ``days``; returns count."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=days or settings.TASK_RESULTS_KEEP_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()
    return deleted
