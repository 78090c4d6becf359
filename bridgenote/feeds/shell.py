"""Feed pages around their cards: the site shell rendered once and reused.

``web/base.html`` (navigation, language switch, unread badge, log-out form) costs more to
render than a page of cached cards. Apart from the CSRF token, it depends only on the language,
whether the visitor is signed in, the page (its ``nav`` and path) and the unread count, so a
feed page renders its template once per such key with two slots, the CSRF token and the feed
list, and each request fills them in (``core.fragments``). Requests with flash messages
render normally.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from bridgenote.core.fragments import CSRF_SLOT, FragmentMemo, fill_csrf, slot
from bridgenote.notify.queries import unread_count_on_page

__all__ = ["CSRF_SLOT", "fill_csrf", "render_page"]

_BODY = slot("body")
_shells = FragmentMemo(2000)


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    body: str,
    *,
    key: tuple[Any, ...] = (),
    status: int = 200,
) -> HttpResponse:
    """``template`` with ``{{ feed_body }}`` = ``body`` (already safe HTML). ``key`` holds
    whatever else of ``context`` the page shows."""
    if messages.get_messages(request) or not FragmentMemo.enabled():
        safe_body = mark_safe(body)  # noqa: S308 - rendered HTML (escaped cards and lines)
        return render(request, template, {**context, "feed_body": safe_body}, status=status)
    user = request.user
    shell_key = (
        template,
        get_language(),
        user.is_authenticated,
        request.get_full_path(),
        unread_count_on_page(request),  # notify's badge count (read with the session)
        key,
    )
    shell = _shells.get(
        shell_key,
        lambda: render_to_string(
            template,
            {**context, "csrf_token": CSRF_SLOT, "feed_body": SafeString(_BODY)},
            request,
        ),
    )
    head, _, tail = shell.partition(_BODY)
    # The body (cards with user text) is never searched for the slot.
    return HttpResponse(fill_csrf(head, request) + body + fill_csrf(tail, request), status=status)
