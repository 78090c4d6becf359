from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polib
from django.core.management import call_command
from django.core.management.base import BaseCommand

from bridgenote.core.i18n import CATALOGUE_LANGUAGES, PACKAGE_DIR, compile_catalogues


def untranslated(po_path: Path) -> list[polib.POEntry]:
    """Entries of a catalogue with no translation, or only a fuzzy one."""
    catalogue = polib.pofile(str(po_path))
    return [e for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]


def extract(app_dir: Path) -> None:
    """Run makemessages for one app, writing ``app_dir/locale/*/LC_MESSAGES/django.po``."""
    (app_dir / "locale").mkdir(exist_ok=True)
    cwd = Path.cwd()
    os.chdir(app_dir)
    try:
        call_command(
            "makemessages",
            locale=list(CATALOGUE_LANGUAGES),
            no_obsolete=True,
            no_location=True,
            verbosity=0,
        )
    finally:
        os.chdir(cwd)


def normalise_header(po_path: Path) -> None:
    """A stable header: no dates or template boilerplate, so catalogues diff only on strings."""
    catalogue = polib.pofile(str(po_path), wrapwidth=100)
    language = po_path.parent.parent.name
    catalogue.header = (
        "Bridgenote message catalogue. This file is distributed under the AGPL-3.0-or-later."
    )
    catalogue.metadata = {
        "Project-Id-Version": "Bridgenote",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=1; plural=0;"
        if language.startswith("zh")
        else "nplurals=2; plural=(n != 1);",
    }
    catalogue.metadata_is_fuzzy = False
    catalogue.save()


def fill_english(po_path: Path) -> int:
    """The source strings are English: an empty English entry takes its msgid."""
    catalogue = polib.pofile(str(po_path), wrapwidth=100)
    filled = 0
    for entry in catalogue:
        if entry.translated() and not entry.fuzzy:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if entry.fuzzy:
            entry.flags.remove("fuzzy")
        filled += 1
    if filled:
        catalogue.save()
    return filled


class Command(BaseCommand):
    help = (
        "Extract translatable strings into every app's catalogues, fill the English ones, "
        "compile, and list what still needs a Chinese translation."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = 0
        for app_dir in sorted(p for p in PACKAGE_DIR.iterdir() if (p / "apps.py").exists()):
            extract(app_dir)
            for po_path in sorted(app_dir.glob("locale/*/LC_MESSAGES/django.po")):
                normalise_header(po_path)
                if po_path.parent.parent.name == "en":
                    fill_english(po_path)
                    continue
                for entry in untranslated(po_path):
                    missing += 1
                    rel = po_path.relative_to(PACKAGE_DIR)
                    self.stdout.write(f"{rel}: untranslated: {entry.msgid!r}")
        compile_catalogues()
        self.stdout.write(f"{missing} string(s) need a translation.")
