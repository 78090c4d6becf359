from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.moderation import rulesets


class Command(BaseCommand):
    help = "Write every enabled moderation rule and allow-phrase as JSON lines to stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        for line in rulesets.export_lines():
            self.stdout.write(line)
