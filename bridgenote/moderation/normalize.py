"""Text normalisation for MATCHING moderation rules (never for display).

Each character is folded on its own (NFKC, case-fold, Latin diacritics dropped, format
characters and variation selectors removed, Unicode TR39 confusables and emoji letters mapped
to ASCII, Traditional to Simplified), so the whole fold is one ``str.translate`` over a lazily
filled table: C speed, and the same result whether or not positions are tracked. Then separators
smuggled between Han characters (微 信, 微.信, 微😀信) or between single Latin letters (s e x)
are collapsed.

``normalize`` is the fast path used on every text; ``normalize_with_map`` also returns, for
each normalised character, the index of the original character it came from, and is only
run when something matched, to highlight the match in what the user wrote.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from bridgenote.core.text import to_simplified

_DATA = Path(__file__).resolve().parent / "data"

# Characters removed outright: variation selectors, combining marks used to decorate Latin
# letters ("Zalgo" text), the combining keycap and the enclosing circle.
_STRIP_RANGES = (
    (0xFE00, 0xFE0F),
    (0xE0100, 0xE01EF),
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)

# Emoji and symbols people use in place of letters; NFKC folds Ⓐ, ℹ and 🄰 itself.
_EMOJI_LETTERS = {
    "⭕": "o", "⚪": "o", "⚫": "o", "🔴": "o", "🔵": "o", "○": "o", "●": "o", "◯": "o", "🅾": "o",
    "❌": "x", "✖": "x", "✕": "x", "❎": "x", "🅰": "a", "🅱": "b", "🅲": "c", "🅿": "p",
    "❗": "!", "❕": "!", "❓": "?", "❔": "?", "💲": "$", "＄": "$",
}  # fmt: skip
# Negative circled (🅐), negative squared (🅰) and regional-indicator (🇦) letters.
for _base in (0x1F150, 0x1F170, 0x1F1E6):
    for _i in range(26):
        _EMOJI_LETTERS.setdefault(chr(_base + _i), chr(ord("a") + _i))


def _load_confusables() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in (_DATA / "confusables.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, target = line.split("\t")
            table[chr(int(code, 16))] = target
    return table


_CONFUSABLES = _load_confusables()


def is_han(char: str) -> bool:
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF
    )


def _fold_char(char: str) -> str:
    cp = ord(char)
    if any(lo <= cp <= hi for lo, hi in _STRIP_RANGES):
        return ""
    if unicodedata.category(char) == "Cf":  # zero-width joiners, bidi controls, soft hyphen...
        return ""
    if char in _EMOJI_LETTERS:
        return _EMOJI_LETTERS[char]
    out = []
    for c in unicodedata.normalize("NFKC", char).casefold():
        if c.isalpha() and ord(c) < 0x2000 and not c.isascii():
            # Drop diacritics from Latin, Greek and Cyrillic letters: sëx -> sex.
            c = unicodedata.normalize(
                "NFC", "".join(d for d in unicodedata.normalize("NFD", c) if not _is_mark(d))
            )
        for d in c:
            d = _CONFUSABLES.get(d, d)
            if len(d) == 1 and is_han(d):
                d = to_simplified(d)
            out.append(d)
    return "".join(c for c in "".join(out) if unicodedata.category(c) != "Cf")


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


class _FoldTable(dict[int, str | int | None]):
    """A ``str.translate`` table filled on first sight of each code point."""

    def __missing__(self, cp: int) -> str | int | None:
        folded = _fold_char(chr(cp))
        value: str | int | None
        if folded == chr(cp):
            value = cp
        elif folded == "":
            value = None
        else:
            value = folded
        self[cp] = value
        return value


_TABLE = _FoldTable()

# Separators smuggled between Han characters: up to three characters that are not letters
# or digits (spaces, punctuation, emoji), but never a full stop or a line break, so two
# sentences are not glued into a match.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_NOISE = r"(?:[^\w\n。]|_)"
_HAN_GAP = re.compile(rf"(?<=[{_HAN}]){_NOISE}{{1,3}}(?=[{_HAN}])")
# Three or more single Latin letters each separated by noise: "s e x", "f.u.c.k".
_SPACED = re.compile(rf"(?<![^\W\d_])(?:[a-z]{_NOISE}{{1,3}}){{2,}}[a-z](?![^\W\d_])")
_SPACED_NOISE = re.compile(_NOISE)
_HAS_HAN = re.compile(rf"[{_HAN}]")


def _join_letters(match: re.Match[str]) -> str:
    return _SPACED_NOISE.sub("", match.group())


def normalize(text: str) -> str:
    """The form of ``text`` that rules match against (fast path, no positions)."""
    folded = text.translate(_TABLE)
    if not folded.isascii() and _HAS_HAN.search(folded):
        folded = _HAN_GAP.sub("", folded)
    return _SPACED.sub(_join_letters, folded)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """``normalize(text)`` and, for each of its characters, the index in ``text`` it came from.

    Guarantees ``result[0] == normalize(text)`` and ``0 <= index < len(text)``.
    """
    chars: list[str] = []
    positions: list[int] = []
    for i, char in enumerate(text):
        value = _TABLE[ord(char)]
        if value is None:
            continue
        piece = chr(value) if isinstance(value, int) else value
        chars.extend(piece)
        positions.extend([i] * len(piece))
    folded = "".join(chars)
    if not folded.isascii() and _HAS_HAN.search(folded):
        folded, positions = _drop(folded, positions, [m.span() for m in _HAN_GAP.finditer(folded)])
    drops = []
    for match in _SPACED.finditer(folded):
        base = match.start()
        drops.extend(
            (base + m.start(), base + m.end()) for m in _SPACED_NOISE.finditer(match.group())
        )
    if drops:
        folded, positions = _drop(folded, positions, drops)
    return folded, positions


def _drop(text: str, positions: list[int], spans: list[tuple[int, int]]) -> tuple[str, list[int]]:
    keep = [True] * len(text)
    for start, end in spans:
        for i in range(start, end):
            keep[i] = False
    return (
        "".join(c for c, k in zip(text, keep, strict=True) if k),
        [p for p, k in zip(positions, keep, strict=True) if k],
    )


# --- pinyin keys (homophones) -------------------------------------------------------------
# Each tone-less syllable becomes one private-use character, so a pinyin key has exactly the
# length of the normalised text and a match's span is the span in the normalised text.
_SYLLABLES: dict[str, str] = {}
_NOT_HAN = "\x00"


def _syllable_char(syllable: str) -> str:
    char = _SYLLABLES.get(syllable)
    if char is None:
        char = chr(0xF0000 + len(_SYLLABLES))  # Supplementary Private Use Area-A
        _SYLLABLES[syllable] = char
    return char


class _PinyinTable(dict[int, str]):
    def __missing__(self, cp: int) -> str:
        char = chr(cp)
        value = _NOT_HAN
        if is_han(char):
            syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
            if syllables and syllables[0].isascii():
                value = _syllable_char(syllables[0])
        self[cp] = value
        return value


_PINYIN = _PinyinTable()


def pinyin_key(normalized: str) -> str:
    """One character per character of ``normalized``: its tone-less syllable, or NUL."""
    return normalized.translate(_PINYIN)


@lru_cache(maxsize=4096)
def has_han(text: str) -> bool:
    return _HAS_HAN.search(text) is not None
