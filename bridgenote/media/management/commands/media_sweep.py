from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from bridgenote.media.services import (
    attachments_purge_orphans,
    attachments_reclaim_stuck,
    attachments_retry_due,
)


class Command(BaseCommand):
    help = (
        "Re-queue attachments stuck in processing (a worker died) or due for a storage retry, "
        "and delete uploads never "
        "attached to a note, with their files. Run it from cron, e.g. hourly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--orphan-hours", type=int, default=settings.MEDIA_ORPHAN_HOURS,
            help="delete unattached uploads older than this (default MEDIA_ORPHAN_HOURS)",
        )  # fmt: skip
        parser.add_argument(
            "--stuck-minutes", type=int, default=settings.MEDIA_PROCESSING_TIMEOUT_MINUTES,
            help="re-queue rows processing for longer than this",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        reclaimed = attachments_reclaim_stuck(
            older_than=timedelta(minutes=options["stuck_minutes"])
        )
        retried = attachments_retry_due()
        purged = attachments_purge_orphans(older_than=timedelta(hours=options["orphan_hours"]))
        self.stdout.write(f"reclaimed={reclaimed} retried={retried} purged={purged}")
