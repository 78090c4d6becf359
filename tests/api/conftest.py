"""Shared fixtures of the API tests: each test gets its own empty media storage, as in the
media tests (the same autouse fixture), and the translate tests' fake translation server
(``llm``) with the per-process translation cache emptied around each test."""

import datetime as dt
import secrets

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.api.models import OAuthApplication
from tests.media.conftest import _empty_media_storage  # noqa: F401
from tests.translate.conftest import (  # noqa: F401
    _fake_server,
    _forget_local_translations,
    fake,
    llm,
)


@pytest.fixture(autouse=True)
def _forget_feeds_memory() -> None:
    """The feeds app keeps some values (trending topics) in process memory for a few seconds:
    never across tests (the shared cache is emptied by the root conftest)."""
    from bridgenote.feeds import localcache

    localcache.clear()


@pytest.fixture
def bearer():
    """``bearer(user, scopes)``: the Authorization header of a fresh access token of one
    confidential app ("Elk") for ``user``."""
    app = OAuthApplication.objects.create(
        name="Elk", redirect_uris="https://elk.example/callback", scopes="read write follow",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip

    def make(user, scopes: str = "read write follow") -> dict[str, str]:
        raw = secrets.token_urlsafe(32)
        token = AccessToken(user=user, application=app, scope=scopes,
                            expires=timezone.now() + dt.timedelta(days=1))  # fmt: skip
        set_token_value(token, raw)
        token.save()
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make
