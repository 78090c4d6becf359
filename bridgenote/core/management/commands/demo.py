from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that contributes to the demo has a ``demo.populate(community)`` function; they run
# in this order, each adding to the shared ``community`` dict (e.g. users by handle).
DEMO_MODULES = ["accounts", "notes", "engage", "feeds", "search"]


class Command(BaseCommand):
    help = "Load the demo community: bilingual users from the US and China, their notes and talk."

    def handle(self, *args: Any, **options: Any) -> None:
        community: dict[str, Any] = {}
        for app in DEMO_MODULES:
            name = f"bridgenote.{app}.demo"
            if importlib.util.find_spec(name) is None:
                continue
            with transaction.atomic():
                importlib.import_module(name).populate(community)
            self.stdout.write(f"demo: {app} loaded")
