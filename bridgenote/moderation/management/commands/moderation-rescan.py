from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.moderation import services


class Command(BaseCommand):
    help = "Queue a rescan of every published note against the current moderation rules."

    def handle(self, *args: Any, **options: Any) -> None:
        job = services.rescan_start()
        self.stdout.write(f"rescan {job.pk} queued: {job.total} notes")
