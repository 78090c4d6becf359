import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgenote.accounts.phone import country_choices, dialling_code, parse_phone, region_name


def test_country_choices_cover_every_region_with_codes_and_put_us_and_china_first():
    en = country_choices("en")
    assert en[0] == ("US", "United States +1")
    assert en[1] == ("CN", "China +86")
    assert len(en) > 240
    zh = dict(country_choices("zh-hans"))
    assert zh["CN"] == "中国 +86"
    assert zh["JP"] == "日本 +81"


def test_region_name_falls_back_for_regions_without_names():
    assert region_name("AC", "en") == "Ascension Island"
    assert region_name("WS", "zh-hans")  # no Chinese name in the data: English is used


@pytest.mark.parametrize(
    ("region", "number", "e164"),
    [
        ("US", "(202) 555-0143", "+12025550143"),
        ("CN", "138 0013 8000", "+8613800138000"),
        ("US", "+86 138 0013 8000", "+8613800138000"),  # own prefix wins
        ("GB", "07400 123456", "+447400123456"),
    ],
)
def test_parse_phone_gives_e164(region, number, e164):
    assert parse_phone(region, number) == e164


@pytest.mark.parametrize(
    ("region", "number", "code"),
    [
        ("US", "", "required"),
        ("US", "hello", "invalid"),
        ("US", "123", "impossible"),
        ("US", "+1 999 555 0143", "invalid"),  # right length, no such area code
        ("CN", "1380013800099999", "impossible"),  # too long
        ("ZZ", "2025550143", "region"),
    ],
)
def test_parse_phone_refuses_bad_numbers(region, number, code):
    with pytest.raises(ValidationError) as exc:
        parse_phone(region, number)
    assert exc.value.code == code


def test_dialling_code():
    assert dialling_code("+8613800138000") == 86
    assert dialling_code("+12025550143") == 1


@given(region=st.sampled_from(["US", "CN", "GB", "ZZ", ""]), number=st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_parse_phone_never_fails_other_than_with_a_validation_error(region, number):
    try:
        e164 = parse_phone(region, number)
    except ValidationError as exc:
        assert exc.messages
    else:
        assert e164.startswith("+") and e164[1:].isdigit()
