"""Bearer-token authentication and Mastodon's scope rules.

A request's token is looked up by its SHA-256 checksum with one precompiled query (token,
its user and its application in one row; see ``core/fastsql.py``), on every request: nothing
about a credential is cached, so a revoked or expired token, a deleted application (its
tokens go with it), a suspended or deactivated user and a password change (which deletes the
user's tokens: ``accounts.services.api_access_revoke``) take effect on the next request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.http import ApiError
from bridgenote.core.fastsql import Precompiled

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


# The user's columns, in the order User.from_db takes them.
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_TOKEN_FIELDS = ["id", "expires", "scope", "application_id", "user_id"]

# Token, application and user in one row (an app-only token has no user: its columns are NULL).
_TOKEN = Precompiled(
    lambda checksum: (
        get_access_token_model()
        .objects.filter(token_checksum=checksum, application__isnull=False)
        .values_list(*_TOKEN_FIELDS, *(f"user__{name}" for name in _USER_FIELDS))
    )
)


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
    rows = _TOKEN.rows(checksum=checksum)
    if not rows:
        raise ApiError(401, "The access token is invalid")
    token_id, expires, scope, application_id, user_id, *user_values = rows[0]
    if expires <= timezone.now():
        raise ApiError(401, "The access token is invalid")
    user = None
    if user_id is not None:
        user = User.from_db("default", _USER_FIELDS, user_values)
        if not user.is_active:
            raise ApiError(401, "Your login is currently disabled")
    return Grant(
        user=user,
        scopes=frozenset(scope.split()),
        application_id=application_id,
        token_id=token_id,
    )
