"""Text helpers shared by every app: folding for matching, language of a text.

Folding is for *matching* (topics, search, moderation), never for display: what users
wrote is always shown as they wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

LANGUAGES = ("zh", "en", "ja", "ko", "mixed")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’-][A-Za-z\u00c0-\u024f]+)*")
# The share of the minority script above which a text counts as mixed.
_MIXED_SHARE = 0.2


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to Simplified (臺灣 -> 台湾); other text unchanged."""
    return _t2s().convert(text)


def fold(text: str) -> str:
    """Fold text for matching: NFKC (full-width to ASCII), case-fold, Traditional to Simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).casefold())


def detect_language(text: str) -> str:
    """The language of ``text``: "zh", "en", "ja", "ko", "mixed", or "" when there is no text.

    Among the four languages Bridgenote serves, the writing system decides: kana means
    Japanese, Hangul Korean, Han characters Chinese, Latin words English. A text whose
    minority script (Han characters against Latin words) passes a fifth of the whole is
    "mixed", the way bilingual users write ("lol 你的 nose-stud 好酷").
    """
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    han = len(_HAN.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if kana and kana * 4 >= han:
        return "ja"
    if hangul and hangul >= han:
        return "ko"
    total = han + latin
    if total == 0:
        return ""
    if han and latin and min(han, latin) / total >= _MIXED_SHARE:
        return "mixed"
    return "zh" if han >= latin else "en"


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None
