"""Mastodon Tag entities for Bridgenote topics, with their daily use over the last week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from bridgenote.api.mastodon.statuses_json import topic_url
from bridgenote.notes.models import Note, NoteTopic, Topic

HISTORY_DAYS = 7


def _history(topic_ids: Sequence[int]) -> dict[int, dict[dt.date, tuple[int, int]]]:
    """topic id -> day -> (notes, distinct authors) over the last week, counting only
    discoverable notes (public, published, ready, not limited). One query."""
    today = timezone.now().astimezone(dt.UTC).date()
    since = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS - 1), dt.time(), dt.UTC)
    notes = Note.objects.discoverable().filter(published_at__gte=since).values("id")
    rows = (
        NoteTopic.objects.filter(topic_id__in=topic_ids, note_id__in=notes)
        .annotate(day=TruncDate("note__published_at", tzinfo=dt.UTC))
        .values("topic_id", "day")
        .annotate(uses=Count("id"), accounts=Count("note__author_id", distinct=True))
    )
    found: dict[int, dict[dt.date, tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["topic_id"], {})[row["day"]] = (row["uses"], row["accounts"])
    return found


def tag_entities(topics: Sequence[Topic]) -> list[dict[str, Any]]:
    """Tag entities: ``history`` lists the last seven days, today first, as Mastodon does
    (``day`` is the UNIX time of the day's start, counts are strings)."""
    history = _history([t.pk for t in topics])
    today = timezone.now().astimezone(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS)]
    out = []
    for topic in topics:
        counts = history.get(topic.pk, {})
        out.append(
            {
                "name": topic.name,
                "url": topic_url(topic.name),
                "history": [
                    {
                        "day": str(int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())),
                        "uses": str(counts.get(day, (0, 0))[0]),
                        "accounts": str(counts.get(day, (0, 0))[1]),
                    }
                    for day in days
                ],
                "following": False,
            }
        )
    return out
