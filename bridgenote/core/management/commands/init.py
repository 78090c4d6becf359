from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from bridgenote.accounts.models import User
from bridgenote.core.i18n import compile_catalogues


class Command(BaseCommand):
    help = (
        "Prepare this instance: migrate, build catalogues and the cache table, load the demo once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-demo", action="store_true", help="never load the demo community")

    def handle(self, *args: Any, **options: Any) -> None:
        compile_catalogues()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if not options["no_demo"] and not User.objects.exists():
            self.stdout.write("First run: loading the demo community.")
            call_command("demo")
        self.stdout.write("Ready.")
