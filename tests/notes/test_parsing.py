import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridgenote.notes.parsing import mentions_in, tokenize, topics_in


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("今天的自拍 #自拍# 好看吗", ["自拍"]),
        ("#自拍#今天很开心", ["自拍"]),
        ("first day! #selfie #自拍#", ["selfie", "自拍"]),
        ("#selfie, hello", ["selfie"]),
        ("#selfie。下一句", ["selfie"]),
        ("#咖啡，很好喝！", ["咖啡"]),
        ("去成都 #旅行vlog 第一天", ["旅行vlog"]),
        ("#Selfie and #SELFIE and #ｓｅｌｆｉｅ", ["Selfie"]),
        ("#臺灣# and #台湾#", ["臺灣"]),
        ("好看#自拍#", ["自拍"]),
        ("#自拍##旅行#", ["自拍", "旅行"]),
        ("mail me at a@b.com or see example.com/page#part", []),
        ("#1 pick, # alone, ##", []),
        ("#café_au_lait!", ["café_au_lait"]),
    ],
)
def test_topics_in_finds_every_form(text, topics):
    assert topics_in(text) == topics


def test_topics_keep_the_closing_hash_in_the_raw_text():
    tokens = tokenize("看 #自拍# 吧")
    assert [(t.kind, t.raw, t.value) for t in tokens] == [
        ("text", "看 ", ""),
        ("topic", "#自拍#", "自拍"),
        ("text", " 吧", ""),
    ]


def test_topics_longer_than_the_limit_are_text():
    assert topics_in("#" + "a" * 31) == []
    assert topics_in("#" + "a" * 30) == ["a" * 30]


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("thanks @liwei!", ["liwei"]),
        ("@ava 你好 @LiWei @liwei", ["ava", "LiWei"]),
        ("谢谢@liwei老师", ["liwei"]),
        ("write to ava@example.com", []),
        ("@" + "x" * 31, []),
        ("＠ava", ["ava"]),
    ],
)
def test_mentions_in_finds_handles(text, handles):
    assert mentions_in(text) == handles


@given(st.text())
def test_tokenize_never_crashes_and_loses_nothing(text):
    tokens = tokenize(text)
    assert "".join(t.raw for t in tokens) == text
    for token in tokens:
        assert token.kind in {"text", "topic", "mention"}
        if token.kind != "text":
            assert token.value
            assert not any(c.isspace() for c in token.value)


@given(st.text(alphabet=st.sampled_from("#＃@＠ a自拍Z_1,，。\n")))
def test_tokenize_handles_punctuation_soup(text):
    tokens = tokenize(text)
    assert "".join(t.raw for t in tokens) == text
    topics_in(text)
    mentions_in(text)
