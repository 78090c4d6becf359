"""Template tags other apps use to add translation and pinyin to their pages.

{% load translate_tags %}
{% translatable_text "note" note.id "body" note.body %}   the text, with a pinyin toggle
{% translate_button "note" note.id "body" note.body %}     Translate, when it is needed
{% image_descriptions "note" note.id attachments %}       alt texts, each with both of the above
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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


@register.inclusion_tag("translate/_image_descriptions.html", takes_context=True)
def image_descriptions(
    context: dict[str, Any], kind: str, object_id: int, attachments: list[Any]
) -> dict[str, Any]:
    """The alt texts of ``attachments`` (in their order), under "Image descriptions".

    Each is readable (with the pinyin toggle) and translatable as field ``alt<position>`` of
    the object, ``position`` counting from 0 over every attachment, as the owner's resolver
    numbers them. Nothing is rendered when no attachment has an alt text.
    """
    alts = [
        {"number": position + 1, "field": f"alt{position}", "text": text}
        for position, attachment in enumerate(attachments)
        if (text := (getattr(attachment, "alt_text", "") or "").strip())
    ]
    return {"request": context["request"], "kind": kind, "object_id": object_id, "alts": alts}


@register.inclusion_tag("translate/_attribution.html")
def translate_attribution() -> dict[str, Any]:
    """CC-CEDICT's CC BY-SA notice and the configured provider, for the about page."""
    return {
        "attribution": dictionary.ATTRIBUTION,
        "cedict_url": dictionary.CEDICT_URL,
        "license_url": dictionary.LICENSE_URL,
        "provider": get_provider(),
    }


@lru_cache(maxsize=50_000)
def _word_html(word: str, gloss_url: str) -> str:
    token = dictionary.word_token(word)
    chars = "".join(
        f"{escape(char)}<rp>(</rp><rt>{escape(reading)}</rt><rp>)</rp>"
        for char, reading in token.chars
    )
    url = escape(f"{gloss_url}?{urlencode({'word': word})}")
    return (
        f'<button type="button" class="tr-word" lang="zh-Hans" hx-get="{url}" '
        f'hx-target="next .tr-gloss" hx-swap="innerHTML" title="{escape(token.gloss)}">'
        f"<ruby>{chars}</ruby></button>"
    )


@register.simple_tag
def ruby(tokens: list[dictionary.Token]) -> SafeString:
    """Annotated text as HTML: each Chinese word a button (tap for its gloss) holding <ruby>.

    Built here rather than in a template loop because a 1,000-character note has ~600 tokens;
    every piece of text is escaped (``html.escape``, quotes included), so user text never
    becomes markup. A word's HTML depends only on the word, so it is made once per process.
    """
    gloss_url = reverse("translate:gloss")
    parts = [
        _word_html(token.text, gloss_url)
        if token.is_word
        else escape(token.text).replace("\n", "<br>")
        for token in tokens
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
