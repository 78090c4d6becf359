"""Message catalogues: each app keeps ``locale/<lang>/LC_MESSAGES/django.po`` beside its code.

The ``.mo`` files are built from the ``.po`` files with polib, so neither development nor
deployment needs GNU gettext; only ``makemessages`` (extracting new strings) does.
"""

from __future__ import annotations

from pathlib import Path

import polib

PACKAGE_DIR = Path(__file__).resolve().parent.parent
CATALOGUE_LANGUAGES = ("zh_Hans", "en")


def catalogues() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*/locale/*/LC_MESSAGES/django.po"))


def compile_catalogues() -> list[Path]:
    """Write a ``.mo`` beside every ``.po`` that is newer than it; return those written."""
    written = []
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written
