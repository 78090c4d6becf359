from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import translation

from bridgenote.moderation.queries import author_view
from bridgenote.moderation.queries import masked as _masked

register = template.Library()


@register.filter
def masked(text: str, language: str = "") -> str:
    """``{{ note.body|masked:note.language }}``: terms of "mask" rules shown as asterisks.
    Returns plain text, so autoescaping still applies."""
    return _masked(text or "", language=language or None)


@register.simple_tag(takes_context=True)
def author_moderation_notice(context: Any, note: Any) -> str:
    """``{% author_moderation_notice note %}`` on the author's own note page: "Under review",
    "Limited" or "Removed", the rule category, the reason and the appeal button, all in the
    author's language (Profile.ui_language, else the request's). Nothing for a public note."""
    request = context.get("request")
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None else None
    language = getattr(profile, "ui_language", "") or translation.get_language() or "en"
    view = author_view(note, language=language)
    if view is None:
        return ""
    with translation.override(language):
        return render_to_string(
            "moderation/_author_notice.html", {"note": note, "view": view}, request=request
        )
