from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from bridgenote.accounts.sessions import SessionStore
from bridgenote.core.fastsql import Precompiled
from bridgenote.feeds import localcache, ranking
from bridgenote.feeds.cards import card_html, discover_cards, following_cards
from bridgenote.feeds.forms import FeedPreferencesForm
from bridgenote.feeds.models import FeedPreferences
from bridgenote.feeds.presenters import why_lines
from bridgenote.feeds.queries import BadCursor, following_page, parse_note_cursor, trending_topics
from bridgenote.feeds.services import feed_preferences_update
from bridgenote.feeds.shell import CSRF_SLOT, fill_csrf, render_page


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
        page = ranking.discover_page(viewer, channel=channel, cursor=cursor, fetch=discover_cards)
    except BadCursor:
        cursor = None  # a stale or forged cursor starts again from the first page
        page = ranking.discover_page(viewer, channel=channel, cursor=None, fetch=discover_cards)
    whys = why_lines(page)
    html = card_html(page.notes, request.user)
    context: dict[str, Any] = {
        "nav": "discover",
        "items": [(card, whys[note.pk]) for note, card in zip(page.notes, html, strict=True)],
        "next_url": _next_url(reverse("feeds:discover"), page.next_cursor, channel),
        "channel": channel,
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "feeds/_items.html", context)
    parts: list[str] = [_discover_head(channel)]
    if form is not None:
        parts.append(render_to_string("feeds/_prefs.html", {"form": form}, request))
    elif request.user.is_authenticated:
        parts.append(_prefs_form(request, round(viewer.mix * 100)))
    if context["items"]:
        parts.append(_list_html(context["items"], context["next_url"]))
    return render_page(
        request,
        "feeds/discover.html",
        {"nav": "discover", "has_items": bool(context["items"])},
        "".join(parts),
        key=(bool(context["items"]),),
        status=400 if form and form.errors else 200,
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
    page = following_page(request.user, cursor=cursor, fetch=following_cards)
    items = [(card, "") for card in card_html(page.notes, request.user)]
    next_url = _next_url(reverse("feeds:following"), page.next_cursor, None)
    if request.headers.get("HX-Request") == "true" and raw:
        context = {"nav": "following", "items": items, "next_url": next_url}
        return render(request, "feeds/_items.html", context)
    has_items = bool(items)
    return render_page(
        request,
        "feeds/following.html",
        {"nav": "following", "has_items": has_items},
        _list_html(items, next_url) if has_items else "",
        key=(has_items,),
    )


def _list_html(items: list[tuple[SafeString, str]], next_url: str | None) -> str:
    """The card list of a full page (``_items.html`` is the htmx next-page version)."""
    cards = "".join(
        f'<div class="feed-item">{card}<p class="feed-why">{escape(why)}</p></div>'
        if why
        else f'<div class="feed-item">{card}</div>'
        for card, why in items
    )
    more = render_to_string("feeds/_more.html", {"next_url": next_url})
    return f'<div id="feed-list" class="feed-masonry">{cards}</div>\n{more}'


_PREFS_MIX = Precompiled(
    lambda user: FeedPreferences.objects.filter(user_id=user).values_list("language_mix")[:1]
)
_PREFS_INTERESTS = Precompiled(
    lambda user: (
        FeedPreferences.interests.through.objects.filter(feedpreferences__user_id=user)
        .order_by("id")
        .values_list("topic__name")
    )
)
_FORMS: dict[tuple[Any, ...], str] = {}


_NO_PREFERENCES = -1


def language_mix_expression() -> Any:
    """The saved language mix (``_NO_PREFERENCES``: none saved) as an expression over an outer
    query's ``user_id``: read with the session (``accounts/sessions.py``, ``ACCOUNT_VALUES``)."""
    mix = FeedPreferences.objects.filter(user_id=OuterRef("user_id")).values("language_mix")
    return Coalesce(Subquery(mix[:1]), _NO_PREFERENCES)


def _saved_mix(request: HttpRequest) -> int:
    """The signed-in user's saved mix, or ``_NO_PREFERENCES``."""
    user_id: Any = request.user.pk
    session = request.session
    mix = (
        session.account_value(user_id, "feeds.language_mix")
        if isinstance(session, SessionStore)
        else None
    )
    if mix is None:  # not read with the session
        rows = _PREFS_MIX.rows(user=user_id)
        mix = rows[0][0] if rows else _NO_PREFERENCES
    return int(mix)


def _prefs_form(request: HttpRequest, default_mix: int) -> SafeString:
    """The Discover settings form, filled in. Rendered once per (language, values) and kept;
    each request puts its own CSRF token in."""
    user_id = request.user.pk
    mix = _saved_mix(request)
    if mix != _NO_PREFERENCES:
        interests = " ".join(f"#{row[0]}" for row in _PREFS_INTERESTS.rows(user=user_id))
    else:
        mix, interests = default_mix, ""
    key = (get_language(), mix, interests)
    html = _FORMS.get(key)
    if html is None:
        form = FeedPreferencesForm(initial={"language_mix": mix, "interests": interests})
        html = render_to_string("feeds/_prefs.html", {"form": form, "csrf_token": CSRF_SLOT})
        if len(_FORMS) > 2000:
            _FORMS.clear()
        _FORMS[key] = html
    return fill_csrf(html, request)


_HEADS: dict[tuple[Any, ...], SafeString] = {}
localcache.on_clear(_HEADS.clear)
localcache.on_clear(_FORMS.clear)


def _discover_head(channel: int | None) -> SafeString:
    """The channel tabs and trending topics: the same for every viewer of one language and
    channel, rendered once per trending list (which changes at most every minute)."""
    trending = trending_topics(10)
    key = (get_language(), channel, tuple((t["id"], t["count"]) for t in trending))
    html = _HEADS.get(key)
    if html is None:
        html = render_to_string(
            "feeds/_discover_head.html",
            {
                "trending": trending,
                "channels": trending[:6],
                "channel": channel,
                "discover_url": reverse("feeds:discover"),
            },
        )
        if len(_HEADS) > 500:
            _HEADS.clear()
        _HEADS[key] = html
    return html


def _next_url(base: str, cursor: str | None, channel: int | None) -> str | None:
    if cursor is None:
        return None
    from urllib.parse import urlencode

    query = {"cursor": cursor}
    if channel is not None:
        query["channel"] = str(channel)
    return f"{base}?{urlencode(query)}"
