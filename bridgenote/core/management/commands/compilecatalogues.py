from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bridgenote.core.i18n import compile_catalogues


class Command(BaseCommand):
    help = "Build the .mo message catalogues from the .po files (no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = compile_catalogues()
        self.stdout.write(f"{len(written)} catalogue(s) compiled.")
