"""Split text into runs of one language, so that mixed zh+en text is translated run by run.

A *run* is a stretch of one script (Han and kana, Hangul, or Latin letters) together with the
spaces, digits and punctuation between its words. Everything else is *kept*: URLs, @mentions,
#topics, emoji, line breaks, and the punctuation between runs of different scripts. Joining
the segments in order always gives back the original text exactly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Never sent to a provider: links, @handles, #topics (also the "#话题#" form), e-mail addresses.
_PROTECTED = re.compile(
    r"https?://[^\s<>\"]+|www\.[^\s<>\"]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|@[\w.]+"
    r"|#[\w-]+#?",
)
# Punctuation that closes the run before it ("Hello!" keeps its "!").
_CLOSING = re.compile(r"^[.,!?;:…。，！？；：、)）\]】》」』”’\"'%]+")
# Digits and opening marks that start the run after them ("3 apples", "(你好").
_OPENING = re.compile(r"[(（\[【《「『“‘\"'$¥€£]*(?:[0-9０-９][0-9０-９.,:%]*[ \t]*)?\Z")


@dataclass(frozen=True)
class Segment:
    """A piece of the text: ``language`` is "zh", "ja", "ko" or "en" for a run, "" for kept."""

    text: str
    language: str = ""


def _script(char: str) -> str:
    """ "cjk" (Han, kana), "ko" (Hangul), "en" (Latin letters) or "" (neutral)."""
    code = ord(char)
    if (
        0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FFFF
        or 0x3040 <= code <= 0x30FF
        or 0x31F0 <= code <= 0x31FF
    ):
        return "cjk"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "ko"
    if char.isascii():
        return "en" if char.isalpha() else ""
    if unicodedata.category(char).startswith("L") and code <= 0x024F:
        return "en"
    return ""


def _is_soft(char: str) -> bool:
    """Neutral characters that may sit inside a run: spaces, digits, punctuation, hyphens."""
    if char in "\n\r\u2028\u2029":
        return False
    category = unicodedata.category(char)
    return category[0] in "PNZ" or char in "'’-&/+=<>"


def _run_language(script: str, text: str) -> str:
    if script == "cjk":
        return "ja" if re.search(r"[\u3040-\u30ff\u31f0-\u31ff]", text) else "zh"
    return script


def _split_chunk(chunk: str, out: list[Segment]) -> None:
    script = ""  # the script of the open run, "" when none is open
    run: list[str] = []
    pending: list[str] = []  # neutral characters after the open run

    def close_run() -> None:
        nonlocal script
        if run:
            text = "".join(run)
            out.append(Segment(text, _run_language(script, text)))
            run.clear()
        script = ""

    for char in chunk:
        kind = _script(char)
        if not kind:
            if script and not _is_soft(char):
                # Emoji, symbols and line breaks end a run.
                gap = "".join(pending)
                tail = _CLOSING.match(gap)
                if tail:
                    run.append(tail.group())
                    gap = gap[tail.end() :]
                close_run()
                pending[:] = [gap] if gap else []
            pending.append(char)
            continue
        if kind == script:
            run.extend(pending)
            pending.clear()
        else:
            gap = "".join(pending)
            if script:
                tail = _CLOSING.match(gap)
                if tail:
                    run.append(tail.group())
                    gap = gap[tail.end() :]
                close_run()
            lead = _OPENING.search(gap)
            start = lead.start() if lead else len(gap)
            if gap[:start]:
                out.append(Segment(gap[:start]))
            run.append(gap[start:])
            pending.clear()
            script = kind
        run.append(char)
    gap = "".join(pending)
    if script:
        tail = _CLOSING.match(gap)
        if tail:
            run.append(tail.group())
            gap = gap[tail.end() :]
        close_run()
    if gap:
        out.append(Segment(gap))


def split_runs(text: str) -> list[Segment]:
    """The segments of ``text`` in order; ``"".join(s.text for s in ...) == text``."""
    segments: list[Segment] = []
    position = 0
    for match in _PROTECTED.finditer(text):
        if match.start() > position:
            _split_chunk(text[position : match.start()], segments)
        segments.append(Segment(match.group()))
        position = match.end()
    if position < len(text):
        _split_chunk(text[position:], segments)
    # Merge neighbouring kept pieces, so callers see one kept segment between two runs.
    merged: list[Segment] = []
    for segment in segments:
        if merged and not segment.language and not merged[-1].language:
            merged[-1] = Segment(merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged
