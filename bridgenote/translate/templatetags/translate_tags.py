"""Template tags other apps use to add translation and pinyin to their pages.

{% load translate_tags %}
{% translatable_text "note" note.id "body" note.body %}   the text, with a pinyin toggle
{% translate_button "note" note.id "body" note.body %}     Translate, when it is needed
"""

from __future__ import annotations

from typing import Any

from django import template

from bridgenote.core.text import has_han
from bridgenote.translate import dictionary, queries
from bridgenote.translate.providers import get_provider

register = template.Library()


@register.inclusion_tag("translate/_translate_button.html", takes_context=True)
def translate_button(
    context: dict[str, Any], kind: str, object_id: int, field: str, text: str
) -> dict[str, Any]:
    """A Translate button, shown only when part of ``text`` is not in the viewer's language."""
    request = context["request"]
    target = queries.viewer_target(request)
    return {
        "kind": kind,
        "object_id": object_id,
        "field": field,
        "show": queries.needs_translation(text, target),
    }


@register.inclusion_tag("translate/_text.html")
def translatable_text(kind: str, object_id: int, field: str, text: str) -> dict[str, Any]:
    """The text as written (line breaks kept, escaped), with a pinyin toggle for Chinese."""
    return {
        "kind": kind,
        "object_id": object_id,
        "field": field,
        "text": text,
        "pinyin": False,
        "has_han": has_han(text),
    }


@register.inclusion_tag("translate/_attribution.html")
def translate_attribution() -> dict[str, Any]:
    """CC-CEDICT's CC BY-SA notice and the configured provider, for the about page."""
    return {
        "attribution": dictionary.ATTRIBUTION,
        "cedict_url": dictionary.CEDICT_URL,
        "license_url": dictionary.LICENSE_URL,
        "provider": get_provider(),
    }
