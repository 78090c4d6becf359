"""A bearer token stops working on the very next request when it is revoked or expires, its
application is deleted, its user is suspended or deactivated, or the user's password changes:
through the real Mastodon.py client against a live server (the token look-up keeps nothing
between requests, so a token that worked a moment ago is no proof it works now)."""

import datetime as dt

import httpx
import pytest
from django.test import Client
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import MastodonUnauthorizedError
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from bridgenote.api.models import OAuthApplication
from bridgenote.moderation import services as moderation
from tests.api.test_mastodon_oauth import OOB, consent
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app(live_server, settings):
    settings.SITE_URL = live_server.url
    client_id, client_secret = Mastodon.create_app(
        "Tusky", api_base_url=live_server.url, scopes=["read", "write", "follow"], redirect_uris=OOB
    )
    return {"client_id": client_id, "client_secret": client_secret, "base": live_server.url}


def signed_in(app, user) -> tuple[Mastodon, dict]:
    """A Mastodon.py client with a token of ``user`` from the authorization-code flow, and the
    token response (with its refresh token)."""
    code = consent(user, client_id=app["client_id"], scope="read write follow")
    issued = httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
              "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )  # fmt: skip
    assert issued.status_code == 200, issued.text
    body = issued.json()
    client = Mastodon(
        client_id=app["client_id"], client_secret=app["client_secret"],
        access_token=body["access_token"], api_base_url=app["base"],
    )  # fmt: skip
    # It works, more than once (a look-up that kept something would keep it from here on).
    for _ in range(3):
        assert client.account_verify_credentials()["username"] == user.handle
        client.timeline_home()
    return client, body


def refused(client: Mastodon, message: str = "The access token is invalid") -> None:
    for call in (client.account_verify_credentials, client.timeline_home):
        with pytest.raises(MastodonUnauthorizedError):
            call()
    # Mastodon.py keeps the status only: the message, as Mastodon words it.
    answer = httpx.get(
        f"{client.api_base_url}/api/v1/timelines/home",
        headers={"Authorization": f"Bearer {client.access_token}"},
    )
    assert (answer.status_code, answer.json()) == (401, {"error": message})


def refresh(app, body) -> httpx.Response:
    return httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"],
              "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )  # fmt: skip


def test_a_revoked_token_stops_at_once(app):
    client, _ = signed_in(app, ava())
    client.revoke_access_token(allow_http=True)
    refused(client)


def test_an_expired_token_stops_at_once(app):
    user = ava()
    client, _ = signed_in(app, user)
    AccessToken.objects.filter(user=user).update(expires=timezone.now() - dt.timedelta(seconds=1))
    refused(client)


def test_a_deleted_application_takes_its_tokens_with_it(app):
    user = ava()
    client, body = signed_in(app, user)
    OAuthApplication.objects.get(client_id=app["client_id"]).delete()
    refused(client)
    assert refresh(app, body).status_code in {400, 401}


def test_a_suspended_user_is_refused_at_once_and_served_again_when_lifted(app):
    user, moderator = ava(), UserFactory(handle="mod", is_moderator=True)
    client, _ = signed_in(app, user)
    moderation.account_action(
        account=user, moderator=moderator, action="suspend", reason_en="Spam."
    )
    refused(client, "Your login is currently disabled")
    moderation.account_action(
        account=user, moderator=moderator, action="unsuspend", reason_en="Appeal upheld."
    )
    assert client.account_verify_credentials()["username"] == "ava"


def test_a_deactivated_user_is_refused_at_once(app):
    user = liwei()
    client, _ = signed_in(app, user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no save(), no signal
    refused(client, "Your login is currently disabled")


def test_a_password_change_ends_the_accounts_tokens_but_not_other_accounts(app):
    user, other = ava(), liwei()
    client, body = signed_in(app, user)
    second, _ = signed_in(app, user)
    others, _ = signed_in(app, other)
    # The password change page (allauth), signed in in a browser.
    browser = Client()
    browser.force_login(user)
    answer = browser.post(
        "/accounts/password/change/",
        {"oldpassword": "correct horse battery staple",
         "password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    user.refresh_from_db()
    assert user.check_password("a new long passphrase 42")
    refused(client)
    refused(second)
    assert refresh(app, body).status_code in {400, 401}
    assert not AccessToken.objects.filter(user=user).exists()
    assert not RefreshToken.objects.filter(user=user).exists()
    assert not Grant.objects.filter(user=user).exists()
    # Nobody else's.
    assert others.account_verify_credentials()["username"] == "liwei"
    # A new authorization works with the new password's account.
    again, _ = signed_in(app, user)
    assert again.account_verify_credentials()["username"] == "ava"


def test_a_password_set_or_removed_in_code_ends_the_tokens_too(app):
    user = ava()
    client, _ = signed_in(app, user)
    user.set_password("another passphrase 7")
    user.save()
    refused(client)
    client, _ = signed_in(app, user)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    refused(client)


def test_a_password_hash_upgrade_at_log_in_does_not_end_the_tokens(app, settings):
    user = ava()
    client, _ = signed_in(app, user)
    # Log-in with a hash made by an older hasher rehashes the password (Django's setter):
    # the password is the same, the tokens stay.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert user.password.startswith("md5$")
    assert user.check_password("correct horse battery staple")
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert client.account_verify_credentials()["username"] == "ava"


def test_the_token_user_is_the_whole_account(app):
    """The look-up builds the user from one row: every field as the ORM would load it."""
    user = ava()
    user.email = "ava@example.com"
    user.save(update_fields=["email"])
    client, _ = signed_in(app, user)
    from bridgenote.api.mastodon.auth import _TOKEN, _TOKEN_FIELDS, _USER_FIELDS

    token = AccessToken.objects.get(user=user)
    rows = _TOKEN.rows(checksum=token.token_checksum)
    assert len(rows) == 1
    loaded = dict(zip(_USER_FIELDS, rows[0][len(_TOKEN_FIELDS) :], strict=True))
    fresh = type(user).objects.get(pk=user.pk)
    assert loaded == {name: getattr(fresh, name) for name in _USER_FIELDS}
    assert str(loaded["phone"]) == "+12025550143"
    assert client.account_verify_credentials()["acct"] == "ava"


def test_an_unknown_token_of_the_right_shape_is_refused(app):
    signed_in(app, ava())
    stranger = Mastodon(access_token="x" * 43, api_base_url=app["base"])
    with pytest.raises(MastodonUnauthorizedError):
        stranger.account_verify_credentials()
    with pytest.raises(MastodonUnauthorizedError):
        stranger.timeline_home()
