from pathlib import Path

import polib

import bridgenote.accounts

LOCALE = Path(bridgenote.accounts.__file__).parent / "locale"


def test_accounts_chinese_catalogue_is_complete():
    catalogue = polib.pofile(str(LOCALE / "zh_Hans/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == []
    assert len(catalogue) > 80
