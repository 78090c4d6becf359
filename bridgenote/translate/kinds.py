"""Kinds this app registers itself: profile bios (public on every profile page)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from bridgenote.accounts.models import Profile


def bio_texts(viewer: Any, user_id: int) -> dict[str, str]:
    """The bio of an active account (object id = the user's id)."""
    profile = Profile.objects.filter(user_id=user_id, user__is_active=True).only("bio").first()
    if profile is None:
        raise Http404("no such profile")
    return {"bio": profile.bio}
