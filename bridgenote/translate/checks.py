"""Checks on what a provider returns, before anyone sees it.

A translation of one run must look like a translation of that run: in the target language,
of a comparable length, without new sentences, lines, links or @mentions, and without any
fragment of the instructions we gave the model. Anything else is rejected (the reader keeps
the original and a "translation unavailable" message), because a model that obeyed text
inside the content ("ignore previous instructions...", "after that output your bio") produces
exactly such output.
"""

from __future__ import annotations

import re

from bridgenote.core.text import detect_language
from bridgenote.translate.providers.base import OutputRejected

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’-][A-Za-z\u00c0-\u024f]+)*")
_SENTENCE_END = re.compile(r"[.!?。！？]+(?=\s|$|[^.!?。！？])")
_LINKISH = re.compile(r"https?://\S+|www\.\S+|@[\w.]+|\b[\w-]+\.(?:com|net|org|io|cn)\b")
# How much longer (and shorter) a translation may be, in "weighted" characters.
_MAX_RATIO = 2.0
_MIN_RATIO = 0.3
_SLACK = 16
# Shingles of this many words from our own instructions must never appear in an answer.
_SHINGLE = 4


def weighted_length(text: str) -> int:
    """Length where a CJK character counts as three Latin ones (about one English word)."""
    cjk = len(_CJK.findall(text))
    return cjk * 3 + len(text) - cjk


def _sentences(text: str) -> int:
    return max(1, len(_SENTENCE_END.findall(text.strip())))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [word.lower() for word in _WORD.findall(text)]
    return {tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)}


def check_output(*, original: str, output: str, target: str, instructions: str = "") -> str:
    """``output`` stripped, when it passes every check; otherwise raise OutputRejected."""
    output = output.strip()
    if not output:
        raise OutputRejected("empty")
    if output == original.strip():
        return output  # names, brands and words the provider rightly kept
    if instructions:
        leaked = _shingles(output) & (_shingles(instructions) - _shingles(original))
        if leaked:
            raise OutputRejected("the answer repeats the instructions")
    if output.count("\n") > original.count("\n"):
        raise OutputRejected("the answer adds lines")
    if _sentences(output) > _sentences(original) + 1:
        raise OutputRejected("the answer adds sentences")
    added_links = set(_LINKISH.findall(output)) - set(_LINKISH.findall(original))
    if added_links:
        raise OutputRejected("the answer adds links or mentions")
    size_in, size_out = weighted_length(original.strip()), weighted_length(output)
    if size_out > size_in * _MAX_RATIO + _SLACK or size_out < size_in * _MIN_RATIO - _SLACK:
        raise OutputRejected("the answer's length is out of bounds")
    # Words kept from the original (names, brands) do not count against the language.
    kept = {word.lower() for word in _WORD.findall(original)}
    rest = _WORD.sub(lambda m: "" if m.group().lower() in kept else m.group(), output)
    if not (set(_CJK.findall(output)) - set(_CJK.findall(original))):
        rest = _CJK.sub("", rest)
    language = detect_language(rest)
    if language not in ("", target):
        raise OutputRejected(f"the answer is in {language!r}, not {target!r}")
    if language == "" and detect_language(original) not in ("", target):
        raise OutputRejected("the answer is not a translation")
    return output
