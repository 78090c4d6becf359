from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridgenote.accounts import services
from bridgenote.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create invitation codes for BRIDGENOTE_REGISTRATIONS=invite. Each code is printed once; "
        "only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=1, help="how many codes (default 1)")
        parser.add_argument("--uses", type=int, default=1, help="sign-ups per code (default 1)")
        parser.add_argument("--days", type=int, default=None, help="valid for N days")
        parser.add_argument("--by", default="", help="handle of the staff member creating them")
        parser.add_argument("--note", default="", help="who the codes are for")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1 or options["uses"] < 1:
            raise CommandError("--count and --uses must be at least 1")
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be at least 1")
        creator = None
        if options["by"]:
            creator = User.objects.filter(handle__iexact=options["by"], is_staff=True).first()
            if creator is None:
                raise CommandError(f"no staff account @{options['by']}")
        for _i in range(options["count"]):
            _invite, code = services.invite_create(
                created_by=creator, max_uses=options["uses"], days=options["days"],
                note=options["note"],
            )  # fmt: skip
            self.stdout.write(code)
