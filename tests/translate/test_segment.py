from hypothesis import given
from hypothesis import strategies as st

from bridgenote.translate.segment import Segment, split_runs


def runs(text):
    return [(s.text, s.language) for s in split_runs(text) if s.language]


def test_split_runs_separates_mixed_chinese_and_english():
    assert runs("lol 你的 nose-stud 好酷 😎") == [
        ("lol", "en"),
        ("你的", "zh"),
        ("nose-stud", "en"),
        ("好酷", "zh"),
    ]


def test_split_runs_keeps_urls_mentions_topics_and_emoji_out_of_runs():
    text = "看这个 https://example.com/a?b=1 @ava #自拍# #selfie 😀 so cool"
    kept = "".join(s.text for s in split_runs(text) if not s.language)
    for piece in ("https://example.com/a?b=1", "@ava", "#自拍#", "#selfie", "😀"):
        assert piece in kept
    assert runs(text) == [("看这个", "zh"), ("so cool", "en")]


def test_split_runs_keeps_sentence_punctuation_with_its_run():
    assert runs("Hello, world! 你好。") == [("Hello, world!", "en"), ("你好。", "zh")]


def test_split_runs_keeps_numbers_with_the_words_they_count():
    assert runs("我买了 3 apples") == [("我买了", "zh"), ("3 apples", "en")]


def test_split_runs_reads_kana_as_japanese_and_hangul_as_korean():
    assert runs("今日は晴れです。안녕하세요") == [("今日は晴れです。", "ja"), ("안녕하세요", "ko")]


def test_split_runs_line_breaks_end_a_run():
    assert runs("Hello\nWorld") == [("Hello", "en"), ("World", "en")]


@given(st.text(max_size=80))
def test_split_runs_joins_back_to_the_original(text):
    segments = split_runs(text)
    assert "".join(segment.text for segment in segments) == text
    assert all(isinstance(segment, Segment) and segment.text for segment in segments)
