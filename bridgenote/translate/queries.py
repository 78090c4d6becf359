"""Reads shared by the views, the API and the template tags."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bridgenote.translate.engine import runs_to_translate
from bridgenote.translate.providers import available_targets
from bridgenote.translate.services import normalise_target

TARGET_NAMES = {"en": _("English"), "zh": _("Chinese"), "ja": _("Japanese"), "ko": _("Korean")}


def viewer_target(request: HttpRequest, requested: str = "") -> str:
    """The language to translate into: the one asked for, else the viewer's UI language."""
    return normalise_target(requested) or normalise_target(get_language() or "en") or "en"


def rate_key(request: HttpRequest) -> str:
    """Whom uncached translations are counted against: the account, else the client IP.

    Pass ``lambda: rate_key(request)`` to ``translate_text`` so that it is only worked out
    (loading the user) when a translation is not cached."""
    user: Any = request.user
    if user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{getattr(request, 'client_ip', '') or request.META.get('REMOTE_ADDR', '')}"


def needs_translation(text: str, target: str) -> bool:
    """Whether ``text`` has a part in another language than ``target`` that we can translate."""
    if not text or target not in available_targets():
        return False
    return any(segment.language for segment in runs_to_translate(text, target=target))
