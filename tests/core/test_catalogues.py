"""Both catalogues (zh-Hans, en) are complete: every user-facing string has a translation."""

import shutil
from pathlib import Path

import polib
import pytest

from bridgenote.core.i18n import CATALOGUE_LANGUAGES, PACKAGE_DIR, catalogues
from bridgenote.core.management.commands.messages import extract, untranslated

APP_DIRS = sorted(p for p in PACKAGE_DIR.iterdir() if (p / "apps.py").exists())


@pytest.mark.parametrize("po_path", catalogues(), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_catalogue_has_no_untranslated_or_fuzzy_entries(po_path):
    missing = [entry.msgid for entry in untranslated(po_path)]
    assert missing == [], f"{po_path}: untranslated {missing}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) not installed")
def test_every_translatable_string_in_the_code_is_in_both_catalogues(tmp_path):
    """Extract strings from a copy of the code and compare with the committed catalogues."""
    copy = tmp_path / "bridgenote"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    problems = []
    for app_dir in APP_DIRS:
        copied = copy / app_dir.name
        shutil.rmtree(copied / "locale", ignore_errors=True)
        extract(copied)
        for language in CATALOGUE_LANGUAGES:
            fresh = copied / "locale" / language / "LC_MESSAGES" / "django.po"
            if not fresh.exists():
                continue
            wanted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(fresh))}
            committed_path = app_dir / "locale" / language / "LC_MESSAGES" / "django.po"
            have = (
                {(e.msgctxt, e.msgid) for e in polib.pofile(str(committed_path)) if not e.obsolete}
                if committed_path.exists()
                else set()
            )
            for context, msgid in sorted(wanted - have, key=str):
                problems.append(f"{app_dir.name} [{language}]: {msgid!r} (context {context!r})")
    assert problems == [], "run `bridgenote messages` and translate:\n" + "\n".join(problems)


def test_catalogue_languages_match_the_settings(settings):
    codes = {code for code, _name in settings.LANGUAGES}
    assert codes == {"zh-hans", "en"}
    assert {Path(p).parent.parent.name for p in catalogues()} <= set(CATALOGUE_LANGUAGES)
