from __future__ import annotations

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bridgenote.search.services import RebuildRunning, reindex_everything


class Command(BaseCommand):
    help = "Rebuild the search index of every note and the topic/people suggestions, in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1,
            help="processes analysing text (default: one per CPU)",
        )  # fmt: skip
        parser.add_argument(
            "--online", action="store_true",
            help="maintain the full-text index row by row (slower; searches stay fast on "
            "PostgreSQL meanwhile) instead of building it in one pass at the end",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        interactive = sys.stderr.isatty()
        last: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            # A bar redrawn in place on a terminal; a line every few seconds in a log.
            if not interactive and now - last.get(stage, 0) < 5 and done < total:
                return
            last[stage] = now
            share = done / total if total else 1.0
            bar = "#" * int(share * 30)
            rate = done / max(now - started, 1e-6)
            line = f"{stage:<11} [{bar:<30}] {done}/{total} {share:6.1%} {rate:,.0f}/s"
            self.stderr.write(
                ("\r" if interactive else "") + line, ending="" if interactive else "\n"
            )
            if interactive and done >= total:
                self.stderr.write("")

        try:
            result = reindex_everything(
                progress, workers=max(1, options["workers"]), bulk=not options["online"]
            )
        except RebuildRunning as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"indexed {result['notes']} notes and {result['suggestion_rows']} suggestion rows "
            f"in {time.monotonic() - started:.1f}s"
        )
