"""Topics (#hashtags) and @mentions in note text, for Chinese written without spaces too.

Forms of a topic, as people write them on Xiaohongshu and elsewhere:

- ``#自拍#``: closed by a second ``#`` (the Xiaohongshu style; needed because Chinese has
  no spaces to end a word);
- ``#selfie``: ended by a space, punctuation (ASCII or full-width ``，。！？``), or the end;
- ``#旅行vlog``: letters of any script, digits and ``_`` mixed.

A topic is matched by its folded form (``core.text.fold``: NFKC, case-fold, Traditional to
Simplified) and shown as first written. The parser never raises: any string splits into
tokens whose raw texts concatenate back to the input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bridgenote.core.text import fold

TOPIC_MAX_CHARS = 30
# Topic.folded is 64 characters; folding can lengthen a name (ß -> ss), so check it too.
TOPIC_FOLDED_MAX = 64
HANDLE_MAX_CHARS = 30

_HANDLE = re.compile(r"[A-Za-z0-9_]{1,30}")
# A mention or topic never starts inside a word of ASCII letters (e-mail addresses, URLs
# such as example.com/page#part); after Chinese characters it may ("好看#自拍#").
_GLUE = re.compile(r"[A-Za-z0-9_.&/=?+-]")


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of text: ``kind`` is "text", "topic" or "mention".

    ``raw`` is exactly the input it covers; ``value`` is the topic name as written (without
    ``#``) or the handle (without ``@``), and "" for text.
    """

    kind: str
    raw: str
    value: str = ""


def _is_topic_char(char: str) -> bool:
    if char == "_":
        return True
    category = unicodedata.category(char)
    # Letters (any script), marks (accents, Devanagari vowel signs), digits.
    return category[0] in "LMN"


def _topic_at(text: str, start: int) -> tuple[int, str] | None:
    """If a topic starts at ``text[start] == "#"``, its end index and name."""
    end = start + 1
    while end < len(text) and _is_topic_char(text[end]):
        end += 1
    name = text[start + 1 : end]
    if not name or len(name) > TOPIC_MAX_CHARS or name.isdigit():
        return None
    if len(fold(name)) > TOPIC_FOLDED_MAX:
        return None
    if end < len(text) and text[end] in "#＃":
        end += 1  # closed form: #自拍#
    return end, name


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into text, topic and mention tokens (concatenated raws == ``text``)."""
    tokens: list[Token] = []
    plain_start = 0
    i = 0
    while i < len(text):
        char = text[i]
        previous = text[i - 1] if i else ""
        found: tuple[int, Token] | None = None
        if char in "#＃" and not (previous and _GLUE.match(previous)):
            topic = _topic_at(text, i)
            if topic is not None:
                end, name = topic
                found = end, Token("topic", text[i:end], name)
        elif char in "@＠" and not (previous and _GLUE.match(previous)):
            match = _HANDLE.match(text, i + 1)
            # A handle is never followed by more handle characters (then it is too long).
            if match and not (match.end() < len(text) and _HANDLE.match(text[match.end()])):
                found = match.end(), Token("mention", text[i : match.end()], match.group())
        if found is None:
            i += 1
            continue
        end, token = found
        if plain_start < i:
            tokens.append(Token("text", text[plain_start:i]))
        tokens.append(token)
        plain_start = i = end
    if plain_start < len(text):
        tokens.append(Token("text", text[plain_start:]))
    return tokens


def topics_in(*texts: str) -> list[str]:
    """Topic names as first written, one per folded form, in order of appearance."""
    seen: dict[str, str] = {}
    for text in texts:
        for token in tokenize(text):
            if token.kind == "topic":
                seen.setdefault(fold(token.value), token.value)
    return list(seen.values())


def mentions_in(*texts: str) -> list[str]:
    """Mentioned handles (case-insensitively unique), in order of appearance."""
    seen: dict[str, str] = {}
    for text in texts:
        for token in tokenize(text):
            if token.kind == "mention":
                seen.setdefault(token.value.lower(), token.value)
    return list(seen.values())
