"""``bridgenote worker``: the database job worker, plus the periodic job scheduler.

It is django-tasks-db's ``db_worker`` with two differences:
- no system checks at start: they import the whole URLconf (every app's views, the API
  schemas), memory a worker never uses; the jobs import what they need when they run;
- large buffers (decoded photos, video frames) are given back to the system when freed
  (glibc's mmap threshold is pinned at 1 MiB), so a long-running worker returns to its idle
  size after each job instead of keeping its largest job's memory;
- ``--nice N`` lowers its CPU priority (the worker ``bridgenote serve`` embeds runs at
  ``BRIDGENOTE_EMBEDDED_WORKER_NICE``, 10: jobs such as a fan-out take the CPU the web
  workers leave instead of slowing page requests);
- a scheduler thread (``core.scheduler``) enqueues the periodic jobs when they are due, unless
  ``--no-scheduler`` or ``BRIDGENOTE_SCHEDULER=false``.
"""

from __future__ import annotations

import ctypes
import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

M_MMAP_THRESHOLD = -3  # mallopt parameter (glibc malloc.h)


def pin_mmap_threshold(size: int = 1 << 20) -> bool:
    """Serve allocations of ``size`` bytes or more with mmap, returned to the system on free.

    glibc raises its mmap threshold after freeing a large block (up to 32 MiB), after which
    image-sized buffers come from the heap and stay resident. Pinning it keeps them mmapped.
    True if applied (glibc only; a no-op elsewhere).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, size))
    except (OSError, AttributeError):
        return False


class Command(db_worker.Command):
    help = "Run a background job worker and the periodic job scheduler."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            default=settings.SCHEDULER_ENABLED,
            help="do not enqueue periodic jobs from this worker",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=0,
            choices=range(20),
            metavar="0-19",
            help="lower this process's CPU priority by this much (bridgenote serve passes"
            " BRIDGENOTE_EMBEDDED_WORKER_NICE, so jobs yield the CPU to page requests)",
        )

    def handle(self, *args: Any, scheduler: bool = True, nice: int = 0, **options: Any) -> None:  # type: ignore[override]
        pin_mmap_threshold()
        from bridgenote.search.services import repair_at_start

        # A search reindex killed half-way left the full-text index without upkeep: restore it.
        repair_at_start()
        if nice:
            os.nice(nice)
        # With --reload a watcher process restarts a child that runs the jobs; only the child
        # (the one that processes jobs) schedules.
        if scheduler and (not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV)):
            from bridgenote.core.scheduler import start_thread

            start_thread()
        super().handle(*args, **options)
