from __future__ import annotations

from django import template

from bridgenote.moderation.queries import masked as _masked

register = template.Library()


@register.filter
def masked(text: str, language: str = "") -> str:
    """``{{ note.body|masked:note.language }}``: terms of "mask" rules shown as asterisks.
    Returns plain text, so autoescaping still applies."""
    return _masked(text or "", language=language or None)
