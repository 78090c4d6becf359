"""Region names without phonenumbers' locale table (``accounts/regions.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.utils import translation

from bridgenote.accounts import regions
from bridgenote.accounts.territory import territory_name


def test_the_table_is_what_the_installed_phonenumbers_says() -> None:
    """After a phonenumbers upgrade this fails: print a new table with
    ``python -m bridgenote.accounts.regions``."""
    assert regions.names_from_phonenumbers() == regions.NAMES


def test_region_names_in_both_languages_and_unknown_codes() -> None:
    assert regions.region_name("fr", "en") == "France"
    assert regions.region_name("FR", "zh-hans") == "法国"
    assert regions.region_name("XK", "zh-hans") == "科索沃"  # not in phonenumbers' table
    assert regions.region_name("WS", "zh-hans") == "Samoa"  # no Chinese name: English
    assert regions.region_name("ZZ", "en") == "ZZ"
    with translation.override("zh-hans"):
        assert territory_name("US") == "美国"
        assert territory_name("CN-51") == "四川"


def test_showing_a_territory_loads_no_phonenumbers_table() -> None:
    """The note page shows territories on every note and comment: in a fresh process that
    must not load phonenumbers' locale table (about 90 MB, over half a second)."""
    code = (
        "import sys, django; django.setup()\n"
        "from django.template import Context, Template\n"
        "html = Template('{% load accounts_tags %}{{ a|ip_territory }} {{ b|territory }}')"
        ".render(Context({'a': 'US', 'b': 'FR'}))\n"
        "assert 'United States' in html and 'France' in html, html\n"
        "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.geodata')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert done.stdout.strip() == "[]"
