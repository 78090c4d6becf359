"""The notifications page: three tabs, opened tab marked read, polled for new ones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from bridgenote.accounts.models import User
from bridgenote.engage.errors import EngageError
from bridgenote.engage.queries import parse_cursor
from bridgenote.notify import queries, services
from bridgenote.notify.models import Tab

TAB_LABELS: dict[str, Any] = {
    Tab.LIKES: _("Likes and collects"),
    Tab.FOLLOWS: _("New followers"),
    Tab.COMMENTS: _("Comments and @mentions"),
}


def _tab(request: HttpRequest, counts: dict[str, int]) -> str:
    tab = request.GET.get("tab", "")
    if tab in Tab.values:
        return tab
    # No tab asked for: open the first one with something new.
    return next((t for t in Tab.values if counts[t]), Tab.LIKES.value)


def _body(request: HttpRequest, template: str, *, status: int = 200) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    counts = queries.unread_by_tab(user)
    tab = _tab(request, counts)
    error = ""
    try:
        cursor = parse_cursor(request.GET.get("cursor"))
    except EngageError as failure:
        cursor, error, status = None, str(failure.message), 400
    page = queries.notification_page(user=user, tab=tab, cursor=cursor)
    if cursor is None:
        services.notifications_mark_read(user=user, tab=tab)
    counts[tab] = 0
    context = {
        "nav": "notifications",
        "tab": tab,
        "tabs": [(t, TAB_LABELS[t], counts[t]) for t in Tab.values],
        "page": page,
        "cursor": cursor,
        "error": error,
        "unread_total": sum(counts.values()),
        "poll_seconds": settings.NOTIFY_POLL_SECONDS,
    }
    return render(request, template, context, status=status)


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _body(request, "notify/inbox.html")


@require_GET
@login_required
def inbox_poll(request: HttpRequest) -> HttpResponse:
    """What the open page polls: 204 (nothing to swap) unless the unread total changed."""
    seen = request.GET.get("seen", "")
    if seen.isdigit() and int(seen) == queries.unread_count(request.user):
        return HttpResponse(status=204)
    return _body(request, "notify/_inbox_body.html")


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The unread badge in the navigation (polled)."""
    return render(
        request,
        "notify/_badge.html",
        {"count": queries.unread_count(request.user), "poll_seconds": settings.NOTIFY_POLL_SECONDS},
    )
