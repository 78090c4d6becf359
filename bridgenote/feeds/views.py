from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from bridgenote.feeds import ranking
from bridgenote.feeds.forms import FeedPreferencesForm
from bridgenote.feeds.models import FeedPreferences
from bridgenote.feeds.presenters import why_lines
from bridgenote.feeds.queries import BadCursor, following_page, parse_note_cursor, trending_topics
from bridgenote.feeds.services import feed_preferences_update


def _viewer(request: HttpRequest) -> ranking.Viewer:
    return ranking.viewer_for(request.user, ui_language=get_language() or "en")


def _channel(request: HttpRequest) -> int | None:
    try:
        return ranking.parse_channel(request.GET.get("channel"))
    except ValueError:
        return None  # a garbled channel shows the recommended feed


def discover(request: HttpRequest, form: FeedPreferencesForm | None = None) -> HttpResponse:
    viewer = _viewer(request)
    channel = _channel(request)
    cursor = request.GET.get("cursor") or None
    try:
        page = ranking.discover_page(viewer, channel=channel, cursor=cursor)
    except BadCursor:
        cursor = None  # a stale or forged cursor starts again from the first page
        page = ranking.discover_page(viewer, channel=channel, cursor=None)
    whys = why_lines(page)
    context: dict[str, Any] = {
        "nav": "discover",
        "items": [(note, whys[note.pk]) for note in page.notes],
        "next_url": _next_url(reverse("feeds:discover"), page.next_cursor, channel),
        "channel": channel,
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "feeds/_items.html", context)
    trending = trending_topics(10)
    context["trending"] = trending
    context["channels"] = trending[:6]
    if request.user.is_authenticated and form is None:
        prefs = FeedPreferences.objects.filter(user_id=request.user.pk).first()
        form = FeedPreferencesForm(
            initial=FeedPreferencesForm.initial_for(prefs, round(viewer.mix * 100))
        )
    context["form"] = form
    return render(
        request, "feeds/discover.html", context, status=400 if form and form.errors else 200
    )


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    form = FeedPreferencesForm(request.POST)
    if not form.is_valid():
        return discover(request, form=form)
    feed_preferences_update(
        user=request.user,
        language_mix=form.cleaned_data["language_mix"],
        interest_ids=form.cleaned_data["interests"],
    )
    return redirect("feeds:discover")


@login_required
def following(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("cursor")
    try:
        cursor = parse_note_cursor(raw)
    except BadCursor:
        cursor = raw = None
    page = following_page(request.user, cursor=cursor)
    context = {
        "nav": "following",
        "items": [(note, "") for note in page.notes],
        "next_url": _next_url(reverse("feeds:following"), page.next_cursor, None),
    }
    if request.headers.get("HX-Request") == "true" and raw:
        return render(request, "feeds/_items.html", context)
    return render(request, "feeds/following.html", context)


def _next_url(base: str, cursor: str | None, channel: int | None) -> str | None:
    if cursor is None:
        return None
    from urllib.parse import urlencode

    query = {"cursor": cursor}
    if channel is not None:
        query["channel"] = str(channel)
    return f"{base}?{urlencode(query)}"
