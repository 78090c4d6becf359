from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.search.services import topic_alias_propose_from_dictionary


class Command(BaseCommand):
    help = (
        "Propose topic aliases from CC-CEDICT (a Chinese topic and an English topic named by "
        "one of its glosses) for staff to accept at /search/aliases/."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        proposed = topic_alias_propose_from_dictionary(limit=options["limit"])
        for alias in proposed:
            self.stdout.write(f"#{alias.alias.name} = #{alias.canonical.name}  ({alias.evidence})")
        self.stdout.write(f"{len(proposed)} alias(es) proposed")
