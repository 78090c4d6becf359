"""Rules for handles (the @name): pattern, reserved names, case-insensitive uniqueness."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
# Names that look official or collide with paths and system roles.
RESERVED_HANDLES = frozenset(
    [
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "bridgenote",
        "contact",
        "discover",
        "following",
        "healthz",
        "help",
        "i18n",
        "login",
        "logout",
        "me",
        "media",
        "metrics",
        "moderator",
        "moderators",
        "mod",
        "notes",
        "notification",
        "notifications",
        "official",
        "post",
        "root",
        "security",
        "settings",
        "signup",
        "signin",
        "sign_up",
        "sign_in",
        "static",
        "staff",
        "support",
        "system",
        "team",
        "user",
        "users",
        "www",
        "xiaohongshu",
        "rednote",
        "null",
        "undefined",
        "anonymous",
    ]
)


def normalise_handle(value: str) -> str:
    return (value or "").strip().lstrip("@")


def validate_handle(value: str, *, check_taken: bool = True) -> str:
    """The handle as typed (case kept) if it may be used; ValidationError with a clear message."""
    from bridgenote.accounts.models import User

    handle = normalise_handle(value)
    if not handle:
        raise ValidationError(_("Choose a handle."), code="required")
    if not HANDLE_RE.match(handle):
        raise ValidationError(
            _("A handle has 3 to 30 letters (a-z), digits or underscores."), code="invalid"
        )
    if handle.isdigit():
        raise ValidationError(_("A handle needs at least one letter."), code="invalid")
    if handle.lower() in RESERVED_HANDLES:
        raise ValidationError(_("This handle is reserved. Choose another."), code="reserved")
    if check_taken and User.objects.filter(handle__iexact=handle).exists():
        raise ValidationError(
            _("@%(handle)s is already taken. Choose another."),
            code="taken",
            params={"handle": handle},
        )
    return handle
