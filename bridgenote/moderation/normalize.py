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
    for line in (_DATA / "confusables.tsv").read_text(encoding="utf-8").split("\n"):
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


_TABLE = _FoldTable()  # the reference definition, used by build.py and the tests


def _load_fold() -> dict[str, str]:
    path = _DATA / "fold.tsv"
    table: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line and not line.startswith("#"):
                code, _, target = line.partition("\t")
                table[chr(int(code, 16))] = target
    return table


# Every non-ASCII character whose fold is not itself, precomputed by build.py over the Basic
# Multilingual Plane and the emoji planes (U+1F000-U+1FAFF); other supplementary characters
# are folded on first sight. Folding is then: replace these (rare) characters, lower() the
# rest, all in C except one dictionary look-up per replaced character.
_FOLD = _load_fold()
_PRECOMPUTED = ((0x80, 0xFFFF), (0x1F000, 0x1FAFF))


def _char_class(chars: list[str]) -> str:
    codes = sorted(ord(c) for c in chars)
    ranges: list[list[int]] = []
    for cp in codes:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


# Every supplementary character is matched as one range (``_fold_one`` looks it up and
# caches it): a class listing the emoji planes' entries one by one is a list of ranges the
# regex engine tries in turn, four times slower than this bitmap plus one range.
_UNSTABLE = re.compile(
    "[" + _char_class([c for c in _FOLD if ord(c) <= 0xFFFF]) + "\U00010000-\U0010ffff]"
)


def _fold_one(char: str) -> str:
    folded = _FOLD.get(char)
    if folded is None:
        value = _TABLE[ord(char)]
        folded = char if isinstance(value, int) else (value or "")
        _FOLD[char] = folded
    return folded


def _fold_match(match: re.Match[str]) -> str:
    return _fold_one(match.group())


def fold(text: str) -> str:
    """The per-character fold of ``text`` (no separator collapsing). Underscores count as
    spaces, so that "s_e_x" and "微_信" are separators like any other."""
    if text.isascii() or _UNSTABLE.search(text) is None:
        folded = text.lower()
    else:
        folded = _UNSTABLE.sub(_fold_match, text).lower()
    return folded.replace("_", " ") if "_" in folded else folded


# Separators smuggled between Han characters: up to three characters that are not letters,
# digits or underscores (spaces, punctuation, emoji, zero-width characters), but never a full
# stop or a line break, so two sentences are not glued into a match. This runs on the text
# as written, before folding, so that the full-width punctuation it removes is never folded.
# The pattern starts with a character class (the regex engine then scans for it in C) and
# checks the Han character before it with a look-behind; the replacement is empty, so no
# Python code runs per match.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_NOISE = r"[^\w\n。]"
_HAN_GAP = re.compile(rf"{_NOISE}(?<=[{_HAN}]{_NOISE}){_NOISE}{{0,2}}(?=[{_HAN}])")
# Three or more single Latin letters each separated by noise: "s e x", "f.u.c.k".
_SPACED = re.compile(rf"(?<![^\W\d_])(?:[a-z]{_NOISE}{{1,3}}){{2,}}[a-z](?![^\W\d_])")
# A cheap test first: two single letters in a row ("s e " in " s e x ").
_SPACED_HINT = re.compile(rf"{_NOISE}[a-z]{_NOISE}{{1,3}}[a-z]{_NOISE}")
_SPACED_NOISE = re.compile(_NOISE)
_HAS_HAN = re.compile(rf"[{_HAN}]")


def _join_letters(match: re.Match[str]) -> str:
    return _SPACED_NOISE.sub("", match.group())


def normalize(text: str) -> str:
    """The form of ``text`` that rules match against (fast path, no positions)."""
    if "_" in text:
        text = text.replace("_", " ")
    if not text.isascii() and _HAS_HAN.search(text):
        text = _HAN_GAP.sub("", text)
    folded = fold(text)
    if _SPACED_HINT.search(f" {folded} "):
        folded = _SPACED.sub(_join_letters, folded)
    return folded


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """``normalize(text)`` and, for each of its characters, the index in ``text`` it came from
    (the same steps as ``normalize``, one character at a time).

    Guarantees ``result[0] == normalize(text)`` and ``0 <= index < len(text)``.
    """
    chars: list[str] = []
    positions: list[int] = []
    gaps: list[tuple[int, int]] = []
    spaced = text.replace("_", " ")
    if not text.isascii() and _HAS_HAN.search(spaced):
        gaps = [m.span() for m in _HAN_GAP.finditer(spaced)]
    stripped, kept = _drop(spaced, list(range(len(text))), gaps)
    if all(len(_fold_one(c).lower()) == 1 for c in _UNSTABLE.findall(stripped)):
        # Every character folds to exactly one (the usual case): no need to go one by one.
        folded = fold(stripped)
        if len(folded) == len(kept):
            return _join_spaced(folded, kept)
    for i in kept:
        char = spaced[i]
        if char < "\x80":
            chars.append(char.lower())
            positions.append(i)
            continue
        piece = (_fold_one(char) if _UNSTABLE.match(char) else char).lower().replace("_", " ")
        chars.extend(piece)
        positions.extend([i] * len(piece))
    return _join_spaced("".join(chars), positions)


def _join_spaced(folded: str, positions: list[int]) -> tuple[str, list[int]]:
    """The last step of ``normalize``, spaced-out letters joined, keeping positions."""
    if _SPACED_HINT.search(f" {folded} "):
        drops: list[tuple[int, int]] = []
        for match in _SPACED.finditer(folded):
            base = match.start()
            drops.extend(
                (base + m.start(), base + m.end()) for m in _SPACED_NOISE.finditer(match.group())
            )
        folded, positions = _drop(folded, positions, drops)
    return folded, positions


def _drop(text: str, positions: list[int], spans: list[tuple[int, int]]) -> tuple[str, list[int]]:
    if not spans:
        return text, positions
    keep = [True] * len(text)
    for start, end in spans:
        keep[start:end] = [False] * (end - start)
    return (
        "".join(c for c, k in zip(text, keep, strict=True) if k),
        [p for p, k in zip(positions, keep, strict=True) if k],
    )


# --- pinyin keys (homophones) -------------------------------------------------------------
# Each tone-less syllable becomes one private-use character, so a pinyin key has exactly the
# length of the normalised text and a match's span is the span in the normalised text. A
# character's syllable is its first reading in pypinyin's dictionary, tones and the umlaut
# dropped (lü and lu are one key: close enough for "sounds like", and it only ever holds).
_NOT_HAN = "\x00"


def _toneless(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", reading) if not _is_mark(c))


def cache_file(name: str, suffix: str) -> Path | None:
    """A file in ``DATA_DIR/cache`` for tables derived from this package's moderation
    modules, named after a digest of their sources and the Unicode, Python and library
    versions (so a change anywhere makes a new file). None outside a configured Django
    project."""
    import hashlib
    import sys

    try:
        from django.conf import settings

        folder = Path(settings.DATA_DIR) / "cache"
    except Exception:
        return None
    from importlib.metadata import version

    digest = hashlib.sha256()
    for module in ("normalize.py", "batch.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    versions = (unicodedata.unidata_version, sys.version, version("numpy"), version("pypinyin"))
    digest.update(repr(versions).encode())
    return folder / f"moderation-{name}-{digest.hexdigest()[:16]}{suffix}"


@lru_cache(maxsize=1)
def _syllables() -> tuple[dict[int, str], dict[str, list[str]]]:
    """(code point -> syllable character, syllable character -> every Han character with it);
    built once (~1-2 s with pypinyin's import), then read from ``cache_file`` (~0.05 s)."""
    import json
    import os

    path = cache_file("syllables", ".json")
    if path is not None and path.exists():
        try:
            by_char_s, by_syllable = json.loads(path.read_text(encoding="utf-8"))
            return {int(cp): key for cp, key in by_char_s.items()}, by_syllable
        except (OSError, ValueError):
            pass  # a damaged file: build again and overwrite it
    by_char, by_syllable = _build_syllables()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps([by_char, by_syllable]), encoding="utf-8")
            os.replace(partial, path)  # atomic: a concurrent reader sees all or nothing
        except OSError:
            pass
    return by_char, by_syllable


def _build_syllables() -> tuple[dict[int, str], dict[str, list[str]]]:
    # Imported on first use: pypinyin's tables cost ~60 MB in every process that loads them.
    from pypinyin.pinyin_dict import pinyin_dict

    by_char: dict[int, str] = {}
    by_syllable: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    for cp, readings in pinyin_dict.items():
        if not is_han(chr(cp)):
            continue
        syllable = _toneless(readings.split(",")[0])
        if not syllable.isascii():
            continue
        key = codes.setdefault(syllable, chr(0xF0000 + len(codes)))  # private use area
        by_char[cp] = key
        by_syllable.setdefault(key, []).append(chr(cp))
    return by_char, by_syllable


class _PinyinTable(dict[int, str]):
    def __missing__(self, cp: int) -> str:
        value = _syllables()[0].get(cp, _NOT_HAN)
        self[cp] = value
        return value


_PINYIN = _PinyinTable()


def pinyin_key(normalized: str) -> str:
    """One character per character of ``normalized``: its tone-less syllable, or NUL."""
    return normalized.translate(_PINYIN)


def _is_common(char: str) -> bool:
    """Among the 6,763 characters of GB 2312 (what Chinese input methods offer first)."""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xF7


@lru_cache(maxsize=1024)
def homophone_pairs(term: str) -> list[str]:
    """Every pair of common characters sounding like the first two of ``term`` (which must be
    at least two Han characters), the term's own pair included."""
    by_char, by_syllable = _syllables()
    choices = []
    for char in term[:2]:
        same = [c for c in by_syllable.get(by_char.get(ord(char), ""), []) if _is_common(c)]
        choices.append(sorted({char, *same}))
    return [a + b for a in choices[0] for b in choices[1]]


def has_han(text: str) -> bool:
    return _HAS_HAN.search(text) is not None
