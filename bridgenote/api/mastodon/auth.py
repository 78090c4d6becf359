"""Bearer-token authentication and Mastodon's scope rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.http import ApiError

# The legacy "follow" scope grants these granular ones (as in Mastodon).
_FOLLOW_IMPLIES = {
    "read:follows",
    "write:follows",
    "read:blocks",
    "write:blocks",
    "read:mutes",
    "write:mutes",
}


@dataclass(frozen=True)
class Grant:
    user: User | None  # None for a client-credentials (app-only) token
    scopes: frozenset[str]
    application_id: int
    token_id: int


def scope_allows(granted: frozenset[str], required: str) -> bool:
    """Whether ``granted`` covers ``required``: "read" covers "read:statuses", and so on."""
    if required in granted:
        return True
    family = required.split(":", 1)[0]
    if ":" in required and family in granted:
        return True
    return "follow" in granted and required in _FOLLOW_IMPLIES


def authenticate(request: HttpRequest) -> Grant | None:
    """The grant behind the request's bearer token; None when it sent none.

    A token that is unknown, expired or revoked is a 401, never an anonymous request.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "The access token is invalid")
    checksum = hashlib.sha256(token.strip().encode()).hexdigest()
    access_token = (
        get_access_token_model()
        .objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    if access_token is None or access_token.expires <= timezone.now():
        raise ApiError(401, "The access token is invalid")
    user = access_token.user
    if user is not None and not user.is_active:
        raise ApiError(401, "Your login is currently disabled")
    return Grant(
        user=user,
        scopes=frozenset(access_token.scope.split()),
        application_id=access_token.application_id,
        token_id=access_token.id,
    )
