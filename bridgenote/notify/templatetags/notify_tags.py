from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from bridgenote.notify.queries import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_badge(context: dict[str, Any]) -> SafeString | str:
    """The unread-notifications badge in the navigation: one indexed COUNT, then htmx polls
    ``notify:badge`` every NOTIFY_POLL_SECONDS so new ones show without a reload."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    return render_to_string(
        "notify/_badge.html",
        {"count": unread_count(user), "poll_seconds": settings.NOTIFY_POLL_SECONDS},
        request=context.get("request"),
    )
