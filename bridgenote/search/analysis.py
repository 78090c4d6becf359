"""Text analysis for search: the same code turns documents into index tokens and queries into
query terms, so both backends (SQLite FTS5, PostgreSQL tsvector) see the same words.

Documents become a space-separated string of tokens that both databases split on spaces only:

* Chinese runs are folded (Traditional -> Simplified), segmented with jieba in search mode (so
  咖啡店 also yields 咖啡), and every pair of adjacent Han characters is indexed as well. The
  bigrams give full recall of two-character words whatever the segmenter decided (研究生命
  contains 生命 even though jieba reads 研究生/命); the jieba words carry relevance and pinyin.
* Chinese words also yield pinyin, full (``zipai``) and initials (``zp``).
* Latin words are case-folded, stripped of accents and stemmed (Snowball English); the unstemmed
  form is kept only in queries, where it may be pinyin (``lvxing``).
* Everything else (emoji, punctuation, control characters, lone surrogates) is a separator.

Queries become a list of ``Term`` groups that every matching document must contain (AND); each
group is a set of alternatives (OR), some of them prefixes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import snowballstemmer

from bridgenote.core.text import fold

# Longest query we analyse; longer queries are cut here and the user is told.
MAX_QUERY_CHARS = 100
# At most this many AND groups per query, so a pasted paragraph cannot build a huge query.
MAX_QUERY_TERMS = 12
# Pinyin for words at most this long (longer ones are rarely typed as pinyin).
_PINYIN_MAX_WORD = 6

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
# A run of Han characters, or of letters and digits (any script other than Han), or other.
_RUN = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")
_IS_HAN = re.compile(f"^[{_HAN}]+$")
_LATIN = re.compile(r"^[a-z0-9]+$")


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English stem of a folded Latin word (cats -> cat); digits and short words unchanged."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return str(_stemmer().stemWord(word))


def _jieba() -> ModuleType:
    # Imported on first use, as pypinyin below: their dictionaries cost ~90 MB in every
    # process that imports them, and most processes (media workers) never segment text.
    import rjieba

    return rjieba


def _pinyin() -> ModuleType:
    import pypinyin

    return pypinyin


@lru_cache(maxsize=131072)
def pinyin_forms(word: str) -> tuple[str, str]:
    """Full pinyin and initials of a Chinese word: 自拍 -> ("zipai", "zp"); ("", "") otherwise."""
    if not word or len(word) > _PINYIN_MAX_WORD or not _IS_HAN.match(word):
        return "", ""
    syllables = [
        s for s in _pinyin().lazy_pinyin(word, v_to_u=False) if s.isascii() and s.isalpha()
    ]
    if len(syllables) != len(word):
        return "", ""
    return "".join(syllables), "".join(s[0] for s in syllables)


_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")


def clean(text: str) -> str:
    """Text safe to analyse: folded (NFKC, case-fold, Traditional -> Simplified), Latin accents
    removed (café -> cafe), lone surrogates replaced. Control and format characters, emoji
    and punctuation need nothing: they are not word characters, so they separate words."""
    if text.isascii():
        # NFKC and Traditional -> Simplified change nothing in ASCII; case-folding is lower().
        return text.lower()
    text = fold(text.encode("utf-8", "replace").decode("utf-8"))
    if _ACCENTED.search(text):
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize(
            "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
        )
    return text


def _han_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _runs(text: str) -> list[tuple[str, bool]]:
    """(run, is_han) for each run of Han characters or of letters/digits in cleaned text."""
    return [(m.group(0), m.group(1) is not None) for m in _RUN.finditer(text)]


# Analysis results per Han run and per other word, memoised: the vocabulary of notes is
# Zipf-skewed, so most runs and words recur, and a full re-index analyses millions of them.
# Each cache is emptied when full (cheaper than LRU bookkeeping on every hit).
_CACHE_MAX = 200_000
_CACHE_RUN_MAX = 12
_HAN_TOKENS: dict[str, tuple[str, ...]] = {}
_WORD_TOKEN: dict[str, str] = {}


def _han_run_tokens(run: str) -> tuple[str, ...]:
    """Index tokens of one run of Han characters: jieba's search-mode words, the bigrams it did
    not already yield, and the pinyin (full, initials) of each word of two or more characters."""
    cached = _HAN_TOKENS.get(run)
    if cached is not None:
        return cached
    words = [w for w in _jieba().cut_for_search(run) if w.strip()]
    seen = set(words)
    tokens = words + [b for b in _han_bigrams(run) if b not in seen]
    for word in dict.fromkeys(words):
        if len(word) >= 2:
            full, initials = pinyin_forms(word)
            if full:
                tokens.append(full)
                tokens.append(initials)
    cached = tuple(tokens)
    if len(run) <= _CACHE_RUN_MAX:  # longer runs (whole sentences) rarely recur
        if len(_HAN_TOKENS) >= _CACHE_MAX:
            _HAN_TOKENS.clear()
        _HAN_TOKENS[run] = cached
    return cached


def _word_token(run: str) -> str:
    """The index token of a run of letters and digits: Latin words stemmed, other scripts (kana,
    hangul, Cyrillic...) as written."""
    token = _WORD_TOKEN.get(run)
    if token is None:
        token = stem(run) if _LATIN.match(run) else run
        if len(_WORD_TOKEN) >= _CACHE_MAX:
            _WORD_TOKEN.clear()
        _WORD_TOKEN[run] = token
    return token


def document_tokens(text: str) -> list[str]:
    """The index tokens of a document field, in order."""
    tokens: list[str] = []
    for match in _RUN.finditer(clean(text)):
        if match.lastindex == 1:
            tokens.extend(_han_run_tokens(match.group(1)))
        else:
            tokens.append(_word_token(match.group(2)))
    return tokens


def document_text(text: str) -> str:
    """The space-separated token string both backends index."""
    return " ".join(document_tokens(text))


def name_keys(name: str) -> list[str]:
    """Keys a name (topic, handle, display name) is suggested and found under: the folded name
    without separators, each of its words, and pinyin (full and initials) of its Chinese."""
    cleaned = clean(name)
    runs = _runs(cleaned)
    keys: list[str] = []
    if runs:
        keys.append("".join(run for run, _ in runs))
    for run, is_han in runs:
        keys.append(run)
        if is_han:
            full, initials = pinyin_forms(run)
            if full:
                keys.extend([full, initials])
            else:
                for word in _jieba().cut(run):
                    full, initials = pinyin_forms(word)
                    keys.extend(k for k in (word, full) if k)
    han = "".join(run for run, is_han in runs if is_han)
    if han and han != keys[0]:
        full, initials = pinyin_forms(han)
        keys.extend(k for k in (full, initials) if k)
    return [k for k in dict.fromkeys(keys) if k]


@dataclass(frozen=True)
class Term:
    """One AND group of a query: ``words`` match exactly, ``prefixes`` as prefixes."""

    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    text: str  # the query as analysed (cut to MAX_QUERY_CHARS)
    terms: tuple[Term, ...]
    truncated: bool  # the query was longer than MAX_QUERY_CHARS

    @property
    def is_empty(self) -> bool:
        return not self.terms


def parse_query(raw: str) -> Query:
    """Analyse a search box entry into AND groups of alternatives.

    Chinese: each word of the query (jieba, accurate mode) must occur; a two-character word is
    the bigram itself, a longer one all its bigrams. Characters jieba leaves single are joined
    again: two or more in a row are matched by their bigrams (穿搭, unknown to jieba's
    dictionary, is one bigram, not two prefixes), one alone is a prefix (猫 finds 猫咪).
    Latin: the stem, or the word as typed (it may be pinyin) must occur.
    """
    truncated = len(raw) > MAX_QUERY_CHARS
    text = raw[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    for run, is_han in _runs(clean(text)):
        if is_han:
            # Characters jieba leaves alone (its dictionary lacks 穿搭) are joined back: two or
            # more in a row are matched by their bigrams, like a word; one alone is a prefix.
            pieces: list[str] = []
            loose = ""
            for word in _jieba().cut(run):
                if len(word) == 1:
                    loose += word
                    continue
                pieces += [loose, word] if loose else [word]
                loose = ""
            pieces += [loose] if loose else []
            for piece in pieces:
                if len(piece) == 1:
                    terms.append(Term(prefixes=(piece,)))
                else:
                    terms.extend(Term(words=(b,)) for b in _han_bigrams(piece))
        elif _LATIN.match(run):
            terms.append(Term(words=tuple(dict.fromkeys((stem(run), run)))))
        else:
            terms.append(Term(words=(run,)))
    unique = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
    return Query(text=text, terms=tuple(unique), truncated=truncated)


def prefix_key(raw: str) -> str:
    """A suggestion lookup key: the cleaned text without separators (``Zi Pai`` -> ``zipai``)."""
    return "".join(run for run, _ in _runs(clean(raw[:MAX_QUERY_CHARS])))
