from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.engage.counters import recount


class Command(BaseCommand):
    help = (
        "Recount the denormalised engagement counters (likes, collects, comments, comment "
        "likes and replies, board sizes, followers, following, likes and collects) from the "
        "rows they count, and write only those that drifted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        fixed = recount()
        for label, count in fixed.items():
            self.stdout.write(f"{label}: {count} repaired")
        self.stdout.write(f"recount: {sum(fixed.values())} counters repaired in total")
