"""The offline default: no machine translation; pinyin and CC-CEDICT glosses only."""

from __future__ import annotations

from bridgenote.translate.providers.base import Provider, ProviderUnavailable


class DictionaryProvider(Provider):
    """Translates nothing. The learner aids (``translate.dictionary``) work with any provider."""

    name = "dictionary"
    model = "cc-cedict"
    languages = frozenset()

    @property
    def can_translate(self) -> bool:
        return False

    def translate(self, text: str, *, source: str | None, target: str, timeout: float) -> str:
        raise ProviderUnavailable("dictionary: machine translation is not configured")
