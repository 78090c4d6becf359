"""``bridgenote worker``: the database job worker, plus the periodic job scheduler.

It is django-tasks-db's ``db_worker`` with two differences:
- no system checks at start: they import the whole URLconf (every app's views, the API
  schemas), memory a worker never uses; the jobs import what they need when they run;
- a scheduler thread (``core.scheduler``) enqueues the periodic jobs when they are due, unless
  ``--no-scheduler`` or ``BRIDGENOTE_SCHEDULER=false``.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker


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

    def handle(self, *args: Any, scheduler: bool = True, **options: Any) -> None:  # type: ignore[override]
        # With --reload a watcher process restarts a child that runs the jobs; only the child
        # (the one that processes jobs) schedules.
        if scheduler and (not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV)):
            from bridgenote.core.scheduler import start_thread

            start_thread()
        super().handle(*args, **options)
