from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.notes.services import notes_media_sweep


class Command(BaseCommand):
    help = "Let others see published notes whose photos and videos have all finished processing."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"notes settled: {notes_media_sweep()}")
