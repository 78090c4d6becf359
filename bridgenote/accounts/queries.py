"""Reads shared by accounts' views, API and other apps."""

from __future__ import annotations

from bridgenote.accounts.models import Profile, User


def profile_for(user: User) -> Profile:
    """The user's profile; an account made outside the sign-up flows gets an empty one."""
    profile, _created = Profile.objects.get_or_create(
        user=user, defaults={"display_name": user.handle}
    )
    return profile
