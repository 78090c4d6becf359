"""Delete stored translations nobody has read for a while (run it daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bridgenote.translate.services import translation_cleanup


class Command(BaseCommand):
    help = "Delete stored translations not read for TRANSLATE_CACHE_DAYS (or --days) days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        if days is not None and days < 1:
            self.stderr.write("--days must be at least 1")
            return
        deleted = translation_cleanup(days=days)
        self.stdout.write(f"deleted {deleted} stored translations")
