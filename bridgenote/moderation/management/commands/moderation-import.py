from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridgenote.moderation import rulesets


class Command(BaseCommand):
    help = (
        "Import moderation rules from a JSON-lines or CSV file (or - for standard input), or "
        "the starter list with --starter. Nothing is imported if any line is invalid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="a .jsonl or .csv rule file, or -")
        parser.add_argument("--starter", action="store_true", help="import the starter list")
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["starter"] == bool(options["file"]):
            raise CommandError("give either a file or --starter")
        if options["starter"]:
            source, text = "starter", rulesets.STARTER.read_text(encoding="utf-8")
        elif options["file"] == "-":
            source, text = "stdin", sys.stdin.read()
        else:
            path = Path(options["file"])
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"cannot read {path}: {error}") from error
            source = str(path)
        report = rulesets.parse(text)
        for line, message in report.errors:
            self.stderr.write(f"{source}:{line}: {message}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} invalid line(s); nothing imported")
        if options["dry_run"]:
            self.stdout.write(f"{len(report.rules)} valid rows; nothing written (--dry-run)")
            return
        rulesets.rules_import(report=report)
        self.stdout.write(
            f"imported from {source}: {report.created} new rules, {report.updated} updated, "
            f"{report.allow_phrases} allow-phrases"
        )
