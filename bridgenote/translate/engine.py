"""Translate text run by run through the configured provider, checked and bounded.

``translate_runs`` is the uncached core: ``services.translate_text`` adds the cache, rate
limits and the length limit around it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from bridgenote.translate.checks import check_output
from bridgenote.translate.providers import Provider, ProviderTimeout, ProviderUnavailable
from bridgenote.translate.segment import Segment, split_runs

logger = logging.getLogger("bridgenote.translate")

# How long a request waits for a free provider slot before giving up: short, because a
# request that waits holds a server thread.
SLOT_WAIT_SECONDS = 0.2

_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _provider_slots() -> threading.BoundedSemaphore:
    """The process-wide limit of translations talking to the provider at the same time."""
    global _slots
    size = settings.TRANSLATE_MAX_CONCURRENCY
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


class ProviderBusy(ProviderUnavailable):
    """Every provider slot of this process is taken (the provider is slow or overloaded)."""

    code = "busy"


@dataclass(frozen=True)
class TranslationResult:
    """What a reader is shown: the translation, and who made it."""

    text: str
    original: str
    target: str
    provider: str
    model: str
    translated: bool
    cached: bool = False

    @property
    def label(self) -> str:
        """Who translated, as readers are told: "DeepL", "LibreTranslate" or the model name."""
        return provider_label(self.provider, self.model)

    @property
    def html_lang(self) -> str:
        return "zh-Hans" if self.target == "zh" else self.target


def provider_label(provider: str, model: str) -> str:
    labels = {"deepl": "DeepL", "libretranslate": "LibreTranslate", "dictionary": "CC-CEDICT"}
    return labels.get(provider) or model or provider


def runs_to_translate(text: str, *, target: str, source: str | None = None) -> list[Segment]:
    """The segments of ``text``, with ``language`` set on the runs that need translating.

    Runs already in ``target`` are turned into kept segments. ``source`` is the declared
    language of the whole text; it only matters for Japanese written in kanji alone, which
    looks like Chinese.
    """
    segments = []
    for segment in split_runs(text):
        language = segment.language
        if language == "zh" and source == "ja":
            language = "ja"
        if language == target:
            language = ""
        segments.append(Segment(segment.text, language))
    return segments


def translate_runs(
    provider: Provider, segments: list[Segment], *, target: str, budget: float
) -> str:
    """Translate the runs of ``segments`` and join everything back in order.

    At most ``budget`` seconds in all; one provider slot is held for the whole text. Raises a
    ProviderError when any run fails, so a reader never sees a half-translated text.
    """
    deadline = time.monotonic() + budget
    slots = _provider_slots()
    if not slots.acquire(timeout=min(SLOT_WAIT_SECONDS, budget)):
        raise ProviderBusy(f"{provider.name}: all {settings.TRANSLATE_MAX_CONCURRENCY} slots busy")
    try:
        done: dict[tuple[str, str], str] = {}
        for segment in segments:
            key = (segment.text.strip(), segment.language)
            if not segment.language or key in done:
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderTimeout(f"{provider.name}: out of time")
            output = provider.translate(
                key[0], source=segment.language, target=target, timeout=remaining
            )
            done[key] = check_output(
                original=key[0], output=output, target=target, instructions=provider.instructions
            )
    finally:
        slots.release()
    parts = []
    for segment in segments:
        if not segment.language:
            parts.append(segment.text)
            continue
        # Keep the run's own leading and trailing spaces around its translation.
        stripped = segment.text.strip()
        start = segment.text.index(stripped)
        translated = done[(stripped, segment.language)]
        parts.append(segment.text[:start] + translated + segment.text[start + len(stripped) :])
    return "".join(parts)
