"""What each OAuth scope lets an app do, in words the consent page shows."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DESCRIPTIONS: dict[str, Promise] = {
    "read": _("Read everything in your account"),
    "write": _("Change everything in your account: post notes, comments, likes and collects"),
    "follow": _("Manage whom you follow, block and mute"),
    "push": _("Receive push notifications"),
    "profile": _("Read only your basic profile"),
    "read:accounts": _("Read account information"),
    "read:blocks": _("Read whom you block"),
    "read:bookmarks": _("Read your collects"),
    "read:favourites": _("Read your likes"),
    "read:filters": _("Read your filters"),
    "read:follows": _("Read whom you follow"),
    "read:lists": _("Read your lists"),
    "read:mutes": _("Read whom you mute"),
    "read:notifications": _("Read your notifications"),
    "read:search": _("Search on your behalf"),
    "read:statuses": _("Read notes and comments"),
    "write:accounts": _("Change your profile"),
    "write:blocks": _("Block and unblock accounts"),
    "write:bookmarks": _("Collect notes"),
    "write:conversations": _("Manage your conversations"),
    "write:favourites": _("Like notes"),
    "write:filters": _("Change your filters"),
    "write:follows": _("Follow and unfollow accounts"),
    "write:lists": _("Change your lists"),
    "write:media": _("Upload photos and videos"),
    "write:mutes": _("Mute and unmute accounts"),
    "write:notifications": _("Dismiss your notifications"),
    "write:reports": _("Report notes and accounts"),
    "write:statuses": _("Post and delete notes and comments"),
}


def describe(scopes: list[str]) -> list[str]:
    return [str(DESCRIPTIONS.get(scope, scope)) for scope in scopes]
