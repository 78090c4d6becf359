from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridgenote.moderation.normalize import normalize, normalize_with_map, pinyin_key


def test_normalize_strips_zero_width_and_format_characters() -> None:
    assert normalize("s\u200be\u200dx") == "sex"
    assert normalize("微\u2060信\ufeff") == "微信"
    assert normalize("fu\u00adck") == "fuck"  # soft hyphen


def test_normalize_folds_full_width_and_case() -> None:
    assert normalize("ＦＵＣＫ") == "fuck"
    assert normalize("ｗｅｉｘｉｎ") == "weixin"


def test_normalize_maps_cyrillic_and_greek_look_alikes() -> None:
    assert normalize("ѕех") == "sex"  # Cyrillic dze, ie, ha
    assert normalize("рοrn") == "porn"  # Cyrillic er, Greek omicron


def test_normalize_drops_latin_diacritics_and_zalgo() -> None:
    assert normalize("sëx") == "sex"
    assert normalize("f\u0336u\u0336c\u0336k\u0336") == "fuck"


def test_normalize_maps_emoji_letters() -> None:
    assert normalize("🅵🆄🅲🅺") == "fuck"
    assert normalize("p⭕rn") == "porn"
    assert normalize("🇸🇪🇽") == "sex"


def test_normalize_turns_traditional_into_simplified() -> None:
    assert normalize("臺灣微信") == "台湾微信"
    assert normalize("賣淫") == "卖淫"


def test_normalize_collapses_separators_between_han_characters() -> None:
    for text in ("微 信", "微.信", "微-信", "微 . 信", "微😀信", "微_信", "微，信"):
        assert normalize(text) == "微信", text


def test_normalize_keeps_sentences_apart() -> None:
    assert normalize("我喜欢。信") == "我喜欢。信"
    assert normalize("微\n信") == "微\n信"


def test_normalize_joins_spaced_single_letters_only() -> None:
    assert normalize("s e x") == "sex"
    assert normalize("f.u.c.k you") == "fuck you"
    assert normalize("I am a b c") == "i am abc"
    assert normalize("go to sex ed") == "go to sex ed"
    assert normalize("a b") == "a b"  # two letters are not a word hidden in spaces


def test_normalize_with_map_points_into_the_original() -> None:
    text = "Ｓ e\u200b x 微 信"
    folded, positions = normalize_with_map(text)
    assert folded == normalize(text)
    assert [text[p] for p in positions[:3]] == ["Ｓ", "e", "x"]


def test_pinyin_key_is_the_same_for_homophones() -> None:
    assert pinyin_key("微信") == pinyin_key("威信") == pinyin_key("薇信")
    assert pinyin_key("微信") != pinyin_key("微博")
    assert len(pinyin_key("微信 ok")) == len("微信 ok")


@given(st.text())
def test_normalize_with_map_agrees_with_normalize(text: str) -> None:
    folded, positions = normalize_with_map(text)
    assert folded == normalize(text)
    assert len(positions) == len(folded)
    assert all(0 <= p < len(text) for p in positions)
    assert positions == sorted(positions)
