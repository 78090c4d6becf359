import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridgenote.core.text import detect_language, fold


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我最喜欢的咖啡店", "zh"),
        ("Your nose-stud is so cool", "en"),
        ("lol 你的 nose-stud 好酷", "mixed"),
        ("今日はいい天気ですね", "ja"),
        ("안녕하세요 반가워요", "ko"),
        ("我今天去了 Starbucks 买咖啡，很好喝", "zh"),
        ("😀🎉!!!", ""),
        ("", ""),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_fold_matches_full_width_case_and_traditional():
    assert fold("ＳＥＬＦＩＥ") == fold("selfie")
    assert fold("臺灣") == "台湾"
    assert fold("Café") == "café"


@given(st.text())
def test_detect_language_never_fails(text):
    assert detect_language(text) in {"zh", "en", "ja", "ko", "mixed", ""}
