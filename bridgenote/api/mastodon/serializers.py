"""Mastodon JSON for Bridgenote's objects. Wire formats live here, never on the models."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.templatetags.static import static
from django.utils.html import escape, linebreaks

from bridgenote.accounts.models import Profile, User
from bridgenote.api.mastodon.http import isodate, isotime


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


def text_to_html(text: str) -> str:
    """User text as the HTML Mastodon clients expect: escaped, in paragraphs."""
    return linebreaks(escape(text)) if text else ""


def profile_of(user: User) -> Profile:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user, display_name=user.handle)


def account(user: User, *, with_source: bool = False) -> dict[str, Any]:
    profile = profile_of(user)
    avatar = absolute(
        default_storage.url(profile.avatar) if profile.avatar else static("web/avatar.png")
    )
    header = absolute(static("web/header.png"))
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.handle,
        "acct": user.handle,
        "display_name": profile.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": isodate(user.date_joined),
        "note": text_to_html(profile.bio),
        "url": f"{settings.SITE_URL}/@{user.handle}",
        "uri": f"{settings.SITE_URL}/@{user.handle}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": profile.follower_count,
        "following_count": profile.following_count,
        "statuses_count": profile.note_count,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }
    if with_source:
        data["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": (profile.languages_spoken or [""])[0],
            "note": profile.bio,
            "fields": [],
            "follow_requests_count": 0,
        }
        data["role"] = {
            "id": "1" if user.is_moderator or user.is_staff else "0",
            "name": "Moderator" if user.is_moderator or user.is_staff else "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        }
    return data


def application(app: Any, *, client_secret: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website or None,
        "scopes": app.scopes.split(),
        "redirect_uri": app.redirect_uris.replace(" ", "\n"),
        "redirect_uris": app.redirect_uris.split(),
        "vapid_key": "",
    }
    if client_secret is not None:
        data["client_id"] = app.client_id
        data["client_secret"] = client_secret
        data["client_secret_expires_at"] = 0
    return data


__all__ = ["account", "application", "isotime", "text_to_html"]
