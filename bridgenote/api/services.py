"""Writes of the API app."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from bridgenote.accounts.models import User
from bridgenote.api.models import Marker


def marker_save(*, user: User, timeline: str, last_read_id: int) -> Marker:
    """Set where ``user`` stopped reading ``timeline``; each save raises ``version`` by one.

    Creates the marker on first use (safe against a concurrent first save).
    """
    with transaction.atomic():
        updated = Marker.objects.filter(user=user, timeline=timeline).update(
            last_read_id=last_read_id, version=F("version") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    Marker.objects.create(user=user, timeline=timeline, last_read_id=last_read_id)
            except IntegrityError:
                Marker.objects.filter(user=user, timeline=timeline).update(
                    last_read_id=last_read_id, version=F("version") + 1
                )
    return Marker.objects.get(user=user, timeline=timeline)
