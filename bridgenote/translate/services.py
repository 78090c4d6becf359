"""Translation with its cache and limits, the word list, and cache maintenance."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bridgenote.accounts.models import User
from bridgenote.core import ratelimit
from bridgenote.translate import dictionary
from bridgenote.translate.engine import TranslationResult, runs_to_translate, translate_runs
from bridgenote.translate.models import Translation, WordListEntry
from bridgenote.translate.providers import ProviderError, available_targets, get_provider

logger = logging.getLogger("bridgenote.translate")

HOT_CACHE_SECONDS = 3600
_TARGET_ALIASES = {
    "zh": "zh",
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh-sg": "zh",
    "en": "en",
    "ja": "ja",
    "ko": "ko",
}


class TranslationError(Exception):
    """A translation that cannot be given; ``message`` is for the reader, in their language."""

    def __init__(self, code: str, message: str, *, status: int, retry_after: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


class WordListError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_target(language: str) -> str:
    """ "zh-Hans", "zh-CN", "zh_Hans" -> "zh"; "en-US" -> "en"; unknown -> ""."""
    code = language.strip().lower().replace("_", "-")
    if code in _TARGET_ALIASES:
        return _TARGET_ALIASES[code]
    if code.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return ""  # Traditional Chinese is not a target yet
    return _TARGET_ALIASES.get(code.split("-")[0], "")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hot_key(digest: str, target: str, provider: str, model: str) -> str:
    ident = f"{digest}|{target}|{provider}|{model}".encode()
    return "tr:" + hashlib.sha256(ident).hexdigest()[:40]


class _LocalCache:
    """A small per-process LRU in front of the Django cache, for the translations of the
    moment (a viral note is asked for thousands of times a minute). Safe without
    invalidation: a key names the exact content, provider and model it was made for."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def discard(self, keys: list[str]) -> None:
        with self.lock:
            for key in keys:
                self.items.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_local = _LocalCache(2048)


def _remember(hot_key: str, result: TranslationResult) -> None:
    value = {**asdict(result), "original": "", "cached": False}
    cache.set(hot_key, value, HOT_CACHE_SECONDS)
    _local.put(hot_key, value)


def unavailable_message() -> str:
    return _("Translation unavailable, try again later.")


def check_length(text: str) -> None:
    """Raise TranslationError("too_long") for text over TRANSLATE_MAX_CHARS."""
    if len(text) > settings.TRANSLATE_MAX_CHARS:
        raise TranslationError(
            "too_long",
            _("This text is too long to translate (at most %(max)d characters).")
            % {"max": settings.TRANSLATE_MAX_CHARS},
            status=413,
        )


def translate_text(
    *,
    text: str,
    target: str,
    source: str | None = None,
    rate_key: str | Callable[[], str] | None = None,
) -> TranslationResult:
    """Translate the parts of ``text`` that are not in ``target``; keep everything else.

    Guarantees: URLs, @mentions, #topics, emoji and line breaks come back untouched; a
    translation is computed at most once per (text, target, provider, model) and then served
    from the Django cache or the Translation table; only uncached work counts against
    ``rate_key`` (for example "user:42", or a function giving it, called only on a cache
    miss, so a cached translation never loads the user); provider failures, timeouts, a
    full set of provider slots and rejected output all raise TranslationError("unavailable"),
    never anything else.
    """
    wanted = normalise_target(target)
    check_length(text)
    provider = get_provider()
    digest = content_hash(text)
    hot_key = _hot_key(digest, wanted, provider.name, provider.model)
    # A hit anywhere means the text needed translating and the target was served before: a
    # key names the exact content, so whatever is found under it is right to show.
    hit = _local.get(hot_key)
    if hit is None:
        hit = cache.get(hot_key)
        if isinstance(hit, dict):
            _local.put(hot_key, hit)
    if isinstance(hit, dict):
        return TranslationResult(**{**hit, "original": text, "cached": True})
    segments = runs_to_translate(text, target=wanted or target, source=source)
    if not any(segment.language for segment in segments):
        return TranslationResult(
            text=text,
            original=text,
            target=wanted or target,
            provider=provider.name,
            model=provider.model,
            translated=False,
        )
    if not provider.can_translate:
        raise TranslationError(
            "no_provider",
            _("Machine translation is not set up on this site. Pinyin and word meanings work."),
            status=503,
        )
    if wanted not in available_targets():
        raise TranslationError(
            "unsupported_target",
            _("Translation into this language is not available on this site."),
            status=422,
        )
    stored = (
        Translation.objects.filter(
            content_hash=digest, target=wanted, provider=provider.name, model=provider.model
        )
        .only("id", "text", "used_at")
        .first()
    )
    if stored is not None:
        result = TranslationResult(
            text=stored.text,
            original=text,
            target=wanted,
            provider=provider.name,
            model=provider.model,
            translated=True,
            cached=True,
        )
        if stored.used_at < timezone.now() - timedelta(days=1):
            Translation.objects.filter(pk=stored.pk).update(used_at=timezone.now())
        _remember(hot_key, result)
        return result
    if rate_key is not None:
        key = rate_key() if callable(rate_key) else rate_key
        decision = ratelimit.hit(
            f"translate:{key}", limit=settings.TRANSLATE_RATE_PER_HOUR, window=3600
        )
        if not decision.allowed:
            raise TranslationError(
                "rate_limited",
                _("You have asked for many translations. Try again in a few minutes."),
                status=429,
                retry_after=decision.retry_after,
            )
    try:
        translated = translate_runs(
            provider, segments, target=wanted, budget=settings.TRANSLATE_TIMEOUT_MS / 1000
        )
    except ProviderError as exc:
        logger.warning("translate failed code=%s provider=%s: %s", exc.code, provider.name, exc)
        raise TranslationError("unavailable", unavailable_message(), status=503) from exc
    result = TranslationResult(
        text=translated,
        original=text,
        target=wanted,
        provider=provider.name,
        model=provider.model,
        translated=True,
    )
    try:
        with transaction.atomic():
            Translation.objects.create(
                content_hash=digest,
                target=wanted,
                provider=provider.name,
                model=provider.model,
                text=translated,
            )
    except IntegrityError:
        pass  # another request translated the same text at the same time
    _remember(hot_key, result)
    return result


@transaction.atomic
def translations_forget(*, texts: list[str]) -> int:
    """Delete the stored translations of ``texts`` (call it when content is edited or deleted).

    Editing already stops the old translation from being served (the hash changes); this
    removes it at once instead of at the next cleanup. Returns the number of rows deleted.
    """
    hashes = {content_hash(text) for text in texts}
    rows = list(
        Translation.objects.filter(content_hash__in=hashes).values_list(
            "content_hash", "target", "provider", "model"
        )
    )
    keys = [_hot_key(*row) for row in rows]
    cache.delete_many(keys)
    _local.discard(keys)
    deleted, _rows = Translation.objects.filter(content_hash__in=hashes).delete()
    return deleted


@transaction.atomic
def translation_cleanup(*, days: int | None = None) -> int:
    """Delete stored translations nobody has read for ``days`` (default TRANSLATE_CACHE_DAYS).

    Content that was edited or deleted is no longer read, so its translations age out here.
    """
    cutoff = timezone.now() - timedelta(days=days or settings.TRANSLATE_CACHE_DAYS)
    deleted, _rows = Translation.objects.filter(used_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def wordlist_save(*, user: User, word: str) -> WordListEntry:
    """Save a Chinese word to ``user``'s word list with its pinyin and gloss (idempotent).

    Requires a word of Chinese characters only, at most 32; a list holds at most
    TRANSLATE_WORDLIST_MAX words. Raises WordListError with a message for the user otherwise.
    """
    word = word.strip()
    if not word or len(word) > dictionary.MAX_WORD or not dictionary.is_chinese_word(word):
        raise WordListError("invalid_word", _("Only Chinese words can be saved to your word list."))
    existing = WordListEntry.objects.filter(user=user, word=word).first()
    if existing is not None:
        return existing
    if WordListEntry.objects.filter(user=user).count() >= settings.TRANSLATE_WORDLIST_MAX:
        raise WordListError(
            "wordlist_full",
            _("Your word list is full (%(max)d words). Remove some words first.")
            % {"max": settings.TRANSLATE_WORDLIST_MAX},
        )
    entry, _created = WordListEntry.objects.get_or_create(
        user=user,
        word=word,
        defaults={
            "pinyin": dictionary.pinyin_of(word),
            "gloss": dictionary.short_gloss(word),
        },
    )
    return entry


@transaction.atomic
def wordlist_remove(*, user: User, word: str) -> bool:
    """Remove ``word`` from ``user``'s list; False when it was not there."""
    deleted, _rows = WordListEntry.objects.filter(user=user, word=word.strip()).delete()
    return deleted > 0
