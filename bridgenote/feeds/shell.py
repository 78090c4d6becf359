"""Feed pages around their cards: the site shell rendered once and reused.

``web/base.html`` (navigation, language switch, unread badge, log-out form) costs more to
render than a page of cached cards. Apart from the CSRF token, it depends only on the language,
whether the visitor is signed in, the page (its ``nav`` and path) and the unread count, so a
feed page renders its template once per such key with two slots, the CSRF token and the feed
list, and each request fills them in. Requests with flash messages render normally.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from bridgenote.feeds import localcache
from bridgenote.notify.queries import unread_count_on_page

CSRF_SLOT = "\x00csrf\x00"
_BODY = "\x00body\x00"
SHELL_MAX = 2000
_shells: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_lock = threading.Lock()
localcache.on_clear(_shells.clear)


def fill_csrf(html: str, request: HttpRequest) -> SafeString:
    """``html``, rendered once with ``csrf_token`` = ``CSRF_SLOT`` (by a template of ours),
    with this request's CSRF token in the slot (masked once per request: masking draws 32
    random characters)."""
    token = getattr(request, "_feeds_csrf_html", None)
    if token is None:
        token = escape(get_token(request))
        request._feeds_csrf_html = token  # type: ignore[attr-defined]
    return mark_safe(html.replace(CSRF_SLOT, token))  # noqa: S308 - our template, an escaped token


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
    if messages.get_messages(request) or not settings.FEEDS_RENDER_CACHE_SECONDS:
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
    with _lock:
        shell = _shells.get(shell_key)
        if shell is not None:
            _shells.move_to_end(shell_key)
    if shell is None:
        shell = render_to_string(
            template,
            {**context, "csrf_token": CSRF_SLOT, "feed_body": SafeString(_BODY)},
            request,
        )
        with _lock:
            _shells[shell_key] = shell
            while len(_shells) > SHELL_MAX:
                _shells.popitem(last=False)
    head, _, tail = shell.partition(_BODY)
    # The body (cards with user text) is never searched for the slot.
    return HttpResponse(fill_csrf(head, request) + body + fill_csrf(tail, request), status=status)
