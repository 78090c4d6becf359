"""Markers: where the user stopped reading the home timeline and the notifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from bridgenote.api.mastodon.http import ApiError, Params, isotime, respond
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.models import Marker
from bridgenote.api.services import marker_save
from bridgenote.notify.services import notifications_mark_read

TIMELINES = [Marker.Timeline.HOME.value, Marker.Timeline.NOTIFICATIONS.value]


def _json(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": isotime(marker.updated_at),
    }


def markers_get(request: HttpRequest) -> HttpResponse:
    grant = grant_of(request)
    assert grant is not None and grant.user is not None
    wanted = [t for t in Params(request).list("timeline", max_items=4) if t in TIMELINES]
    found = Marker.objects.filter(user=grant.user, timeline__in=wanted or TIMELINES)
    return respond({m.timeline: _json(m) for m in found})


def markers_save(request: HttpRequest) -> HttpResponse:
    """Form clients send ``home[last_read_id]``; JSON clients ``{"home": {...}}``."""
    grant = grant_of(request)
    assert grant is not None and grant.user is not None
    params = Params(request)
    saved: dict[str, Any] = {}
    for timeline in TIMELINES:
        nested = params.get(timeline)
        raw = nested.get("last_read_id") if isinstance(nested, dict) else None
        if raw is None:
            raw = params.get(f"{timeline}[last_read_id]")
        if raw is None:
            continue
        if isinstance(raw, bool) or not str(raw).isdigit() or len(str(raw)) > 19:
            raise ApiError(422, f"Validation failed: {timeline}[last_read_id] is not a valid ID")
        marker = marker_save(user=grant.user, timeline=timeline, last_read_id=int(raw))
        if timeline == Marker.Timeline.NOTIFICATIONS:
            notifications_mark_read(user=grant.user)
        saved[timeline] = _json(marker)
    if not saved:
        raise ApiError(422, "Validation failed: no marker given (home or notifications)")
    return respond(saved)
