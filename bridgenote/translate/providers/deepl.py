"""DeepL API v2: POST /v2/translate with a DeepL-Auth-Key header."""

from __future__ import annotations

from bridgenote.translate.providers.base import HTTPProvider, ProviderUnavailable

_TARGETS = {"en": "EN-US", "zh": "ZH-HANS", "ja": "JA", "ko": "KO"}
_SOURCES = {"en": "EN", "zh": "ZH", "ja": "JA", "ko": "KO"}


def default_url(api_key: str) -> str:
    """Free-plan keys end in ":fx" and must use the free endpoint."""
    return "https://api-free.deepl.com" if api_key.endswith(":fx") else "https://api.deepl.com"


class DeepLProvider(HTTPProvider):
    name = "deepl"

    def __init__(self, *, url: str, api_key: str, connect_timeout: float) -> None:
        super().__init__(url=url or default_url(api_key), connect_timeout=connect_timeout)
        self.api_key = api_key

    def translate(self, text: str, *, source: str | None, target: str, timeout: float) -> str:
        payload: dict[str, object] = {"text": [text], "target_lang": _TARGETS[target]}
        if source in _SOURCES:
            payload["source_lang"] = _SOURCES[source or ""]
        answer = self.post_json(
            "/v2/translate",
            payload,
            timeout=timeout,
            headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
        )
        try:
            translated = answer["translations"][0]["text"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderUnavailable("deepl: no translation in the answer") from exc
        if not isinstance(translated, str):
            raise ProviderUnavailable("deepl: no translation in the answer")
        return translated
