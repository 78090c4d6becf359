"""LibreTranslate (self-hosted or hosted): POST /translate."""

from __future__ import annotations

from bridgenote.translate.providers.base import HTTPProvider, ProviderUnavailable


class LibreTranslateProvider(HTTPProvider):
    name = "libretranslate"

    def __init__(self, *, url: str, api_key: str, connect_timeout: float) -> None:
        super().__init__(url=url, connect_timeout=connect_timeout)
        self.api_key = api_key

    def translate(self, text: str, *, source: str | None, target: str, timeout: float) -> str:
        payload = {"q": text, "source": source or "auto", "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = self.post_json("/translate", payload, timeout=timeout, headers={})
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, str):
            raise ProviderUnavailable("libretranslate: no translatedText in the answer")
        return translated
