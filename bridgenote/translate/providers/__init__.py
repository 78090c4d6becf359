"""Translation providers behind one interface, chosen by ``BRIDGENOTE_TRANSLATE_PROVIDER``."""

from __future__ import annotations

import threading

from django.conf import settings

from bridgenote.translate.providers.base import (
    LANGUAGE_NAMES,
    OutputRejected,
    Provider,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from bridgenote.translate.providers.deepl import DeepLProvider
from bridgenote.translate.providers.dictionary import DictionaryProvider
from bridgenote.translate.providers.libretranslate import LibreTranslateProvider
from bridgenote.translate.providers.openai import OpenAIProvider

__all__ = [
    "LANGUAGE_NAMES",
    "OutputRejected",
    "Provider",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderTimeout",
    "ProviderUnavailable",
    "available_targets",
    "get_provider",
]

_lock = threading.Lock()
_current: tuple[tuple[object, ...], Provider] | None = None


def _configuration() -> tuple[object, ...]:
    return (
        settings.TRANSLATE_PROVIDER,
        settings.TRANSLATE_URL,
        settings.TRANSLATE_MODEL,
        settings.TRANSLATE_API_KEY,
        settings.TRANSLATE_CONNECT_TIMEOUT_MS,
    )


def _build() -> Provider:
    kind = settings.TRANSLATE_PROVIDER
    connect = settings.TRANSLATE_CONNECT_TIMEOUT_MS / 1000
    if kind == "openai":
        return OpenAIProvider(
            url=settings.TRANSLATE_URL,
            model=settings.TRANSLATE_MODEL,
            api_key=settings.TRANSLATE_API_KEY,
            connect_timeout=connect,
        )
    if kind == "libretranslate":
        return LibreTranslateProvider(
            url=settings.TRANSLATE_URL, api_key=settings.TRANSLATE_API_KEY, connect_timeout=connect
        )
    if kind == "deepl":
        return DeepLProvider(
            url=settings.TRANSLATE_URL, api_key=settings.TRANSLATE_API_KEY, connect_timeout=connect
        )
    return DictionaryProvider()


def get_provider() -> Provider:
    """The configured provider: one instance (and one HTTP connection pool) per process."""
    global _current
    key = _configuration()
    current = _current
    if current is not None and current[0] == key:
        return current[1]
    with _lock:
        if _current is None or _current[0] != key:
            _current = (key, _build())
        return _current[1]


def available_targets() -> list[str]:
    """The target languages this instance can translate into (none with ``dictionary``)."""
    provider = get_provider()
    if not provider.can_translate:
        return []
    return [code for code in settings.TRANSLATE_TARGETS if code in provider.languages]
