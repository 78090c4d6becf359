from __future__ import annotations

from bridgenote.search.analysis import (
    MAX_QUERY_CHARS,
    Term,
    document_tokens,
    name_keys,
    parse_query,
    pinyin_forms,
    prefix_key,
    stem,
)


def _matches(query: str, document: str) -> bool:
    """Whether every AND group of the query has an alternative among the document tokens."""
    tokens = set(document_tokens(document))
    return all(
        any(w in tokens for w in term.words)
        or any(t.startswith(p) for p in term.prefixes for t in tokens)
        for term in parse_query(query).terms
    )


def test_analysis_finds_two_character_words_inside_longer_text() -> None:
    assert _matches("咖啡", "我最喜欢的咖啡店")
    assert _matches("自拍", "今天在海边自拍了好多张")
    # jieba reads 研究生/命 here; the bigrams still find 生命.
    assert _matches("生命", "研究生命起源")


def test_analysis_folds_traditional_to_simplified() -> None:
    assert _matches("臺灣", "台湾旅行")
    assert _matches("台湾", "臺灣旅行")


def test_analysis_pinyin_full_and_initials() -> None:
    assert pinyin_forms("自拍") == ("zipai", "zp")
    assert _matches("zipai", "周末自拍")
    assert _matches("zp", "周末自拍")


def test_analysis_english_case_and_stemming() -> None:
    assert stem("cats") == "cat"
    assert _matches("cats", "My CAT sleeps")
    assert _matches("Cat", "two cats")
    assert _matches("running", "I run every day")


def test_analysis_mixed_query_needs_both_words() -> None:
    assert _matches("咖啡 latte", "这家咖啡店的 Latte 很好喝")
    assert not _matches("咖啡 latte", "这家咖啡店的美式很好喝")


def test_analysis_single_character_is_a_prefix() -> None:
    assert _matches("猫", "我家的猫咪")


def test_analysis_characters_jieba_leaves_single_are_joined_again() -> None:
    # jieba's dictionary lacks 穿搭: the query is the bigram, not the prefixes 穿* and 搭*.
    assert parse_query("穿搭").terms == (Term(words=("穿搭",)),)
    assert _matches("穿搭", "今日穿搭分享")
    assert not _matches("穿搭", "穿上外套去搭地铁")
    assert parse_query("a猫b").terms[1] == Term(prefixes=("猫",))


def test_analysis_emoji_punctuation_and_syntax_are_separators() -> None:
    assert document_tokens("🌸!!! ,,, 😀") == []
    query = parse_query('" * ( ) : ^ -')
    assert query.is_empty
    assert [t.words for t in parse_query("NEAR OR AND").terms] == [("near",), ("or",), ("and",)]


def test_analysis_control_characters_and_lone_surrogates() -> None:
    assert parse_query("\ud800咖啡\x00\x1b").terms == parse_query("咖啡").terms
    assert document_tokens("a\ud83dcat") == ["a", "cat"]


def test_analysis_long_query_is_cut_and_reported() -> None:
    query = parse_query("咖啡" * 5000)
    assert query.truncated
    assert len(query.text) == MAX_QUERY_CHARS
    assert len(query.terms) <= 12


def test_analysis_name_keys_include_pinyin_and_words() -> None:
    assert name_keys("自拍") == ["自拍", "zipai", "zp"]
    assert {"liwei", "lw"} <= set(name_keys("李伟"))
    assert "ava" in name_keys("Ava 🌸")
    assert {"streetfood", "street", "food"} <= set(name_keys("Street Food"))
    assert prefix_key(" Zi Pai ") == "zipai"
