"""Phone numbers from any country: the country picker and parsing to E.164 (phonenumbers)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bridgenote.accounts.regions import region_name


@lru_cache(maxsize=4)
def _choices(lang: str) -> tuple[tuple[str, str], ...]:
    rows = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        code = phonenumbers.country_code_for_region(region)
        rows.append((region, f"{region_name(region, lang)} +{code}"))
    # Chinese names sort by code point, which is not pinyin order; good enough for a picker
    # whose most common choices are shown first.
    rows.sort(key=lambda row: row[1].casefold())
    first = [row for region in ("US", "CN") for row in rows if row[0] == region]
    return tuple(first + [row for row in rows if row not in first])


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(region, "Name +code") for every region phonenumbers knows, US and China first."""
    lang = "zh-hans" if (language or get_language() or "en").lower().startswith("zh") else "en"
    return list(_choices(lang))


def parse_phone(region: str, number: str) -> str:
    """The E.164 form of ``number`` dialled from ``region``; ValidationError when impossible.

    A number written with its own "+<code>" prefix is read as such whatever the region says.
    """
    number = (number or "").strip()
    if not number:
        raise ValidationError(_("Enter your phone number."), code="required")
    if region not in phonenumbers.SUPPORTED_REGIONS and not number.startswith("+"):
        raise ValidationError(_("Choose your country or region."), code="region")
    try:
        parsed = phonenumbers.parse(number, region if not number.startswith("+") else None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("This does not look like a phone number."), code="invalid"
        ) from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            _("This number has the wrong length for its country."), code="impossible"
        )
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("This phone number does not exist."), code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def dialling_code(e164: str) -> int:
    """The country calling code of an E.164 number (1 for +1 202..., 86 for +86 138...)."""
    return int(phonenumbers.parse(e164, None).country_code or 0)


def display_phone(e164: str) -> str:
    """A number written the international way, for showing to its owner."""
    return phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
