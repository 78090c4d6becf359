"""The provider interface and the errors every provider raises."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

import httpx

logger = logging.getLogger("bridgenote.translate")

# Language names for prompts and the codes the engine uses everywhere.
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese",
    "ja": "Japanese",
    "ko": "Korean",
}


class ProviderError(Exception):
    """A provider could not translate; the engine shows the original and a message."""

    code = "unavailable"


class ProviderUnavailable(ProviderError):
    """Down, unreachable, misconfigured or answering with an error."""


class ProviderTimeout(ProviderError):
    code = "timeout"


class ProviderRateLimited(ProviderError):
    """The provider refused for quota or rate (HTTP 429, DeepL 456)."""

    code = "provider_rate_limited"


class OutputRejected(ProviderError):
    """The provider answered, but its output failed a check (leak, added content, language)."""

    code = "rejected"


class Provider(ABC):
    """Translates one run of text in one language into another language.

    ``instructions`` is what the provider itself told the model (LLM providers only), so the
    output checks can detect it leaking back.
    """

    name: str = ""
    model: str = ""
    languages: frozenset[str] = frozenset(LANGUAGE_NAMES)
    instructions: str = ""

    @property
    def can_translate(self) -> bool:
        return True

    @abstractmethod
    def translate(self, text: str, *, source: str | None, target: str, timeout: float) -> str:
        """The translation of ``text`` into ``target`` within ``timeout`` seconds, or raise."""


class HTTPProvider(Provider):
    """A provider reached over HTTP with one shared, thread-safe httpx client."""

    def __init__(self, *, url: str, connect_timeout: float) -> None:
        self.url = url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.client = httpx.Client(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"User-Agent": "Bridgenote-translate"},
        )

    def post_json(
        self, path: str, payload: dict[str, Any], *, timeout: float, headers: dict[str, str]
    ) -> Any:
        """POST JSON and return the decoded answer; map every failure to a ProviderError."""
        limit = httpx.Timeout(timeout, connect=min(self.connect_timeout, timeout))
        try:
            response = self.client.post(
                self.url + path, json=payload, headers=headers, timeout=limit
            )
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"{self.name}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        if response.status_code in (429, 456):
            raise ProviderRateLimited(f"{self.name}: HTTP {response.status_code}")
        if response.status_code >= 400:
            logger.warning(
                "translate provider=%s status=%s body=%r",
                self.name,
                response.status_code,
                response.text[:200],
            )
            raise ProviderUnavailable(f"{self.name}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"{self.name}: the answer is not JSON") from exc
