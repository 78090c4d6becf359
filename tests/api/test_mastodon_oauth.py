"""OAuth 2 and the basics of the Mastodon API, through the real Mastodon.py client."""

import base64
import hashlib
import re
import secrets

import httpx
import pytest
from django.test import Client
from mastodon import Mastodon
from mastodon.errors import MastodonUnauthorizedError

from tests.factories import ava, liwei

OOB = "urn:ietf:wg:oauth:2.0:oob"
pytestmark = pytest.mark.django_db(transaction=True)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def consent(
    user, *, client_id: str, scope: str, challenge: str | None = None, redirect_uri: str = OOB
) -> str:
    """Sign in as ``user`` in a browser session, open the consent page and allow; the code."""
    browser = Client()
    browser.force_login(user)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = browser.get("/oauth/authorize", params)
    assert page.status_code == 200
    assert "Authorize" in page.content.decode()
    answer = browser.post("/oauth/authorize", {**params, "allow": "Authorize"})
    if redirect_uri == OOB:
        assert answer.status_code == 200
        return re.search(
            r'id="authorization-code"[^>]*value="([^"]+)"', answer.content.decode()
        ).group(1)
    assert answer.status_code == 302
    return re.search(r"[?&]code=([^&]+)", answer["Location"]).group(1)


@pytest.fixture
def app(live_server, settings):
    settings.SITE_URL = live_server.url
    client_id, client_secret = Mastodon.create_app(
        "Tusky", api_base_url=live_server.url, scopes=["read", "write", "follow"], redirect_uris=OOB
    )
    return {"client_id": client_id, "client_secret": client_secret, "base": live_server.url}


def test_authorization_code_flow_with_pkce_then_the_client_works_and_revoke_ends_it(app):
    user = ava()
    verifier, challenge = pkce_pair()
    code = consent(user, client_id=app["client_id"], scope="read write follow", challenge=challenge)
    token = httpx.post(
        f"{app['base']}/oauth/token",
        data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
            "client_id": app["client_id"], "client_secret": app["client_secret"],
            "code_verifier": verifier,
        },
    )  # fmt: skip
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) == {"read", "write", "follow"}
    assert isinstance(body["created_at"], int)

    client = Mastodon(
        client_id=app["client_id"], client_secret=app["client_secret"],
        access_token=body["access_token"], api_base_url=app["base"],
    )  # fmt: skip
    me = client.account_verify_credentials()
    assert me["username"] == "ava"
    assert me["display_name"] == "Ava 🌸"
    assert me["source"]["note"] == ""
    updated = client.account_update_credentials(display_name="Ava ✨", note="<b>hi</b> 你好")
    assert updated["display_name"] == "Ava ✨"
    assert updated["note"] == "<p>&lt;b&gt;hi&lt;/b&gt; 你好</p>"

    client.revoke_access_token(allow_http=True)  # loopback in tests
    with pytest.raises(MastodonUnauthorizedError):
        client.account_verify_credentials()


def test_a_wrong_pkce_verifier_gets_no_token(app):
    _, challenge = pkce_pair()
    code = consent(ava(), client_id=app["client_id"], scope="read", challenge=challenge)
    token = httpx.post(
        f"{app['base']}/oauth/token",
        data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
            "client_id": app["client_id"], "client_secret": app["client_secret"],
            "code_verifier": secrets.token_urlsafe(48),
        },
    )  # fmt: skip
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_a_plain_pkce_challenge_is_refused(app):
    browser = Client()
    browser.force_login(ava())
    page = browser.get(
        "/oauth/authorize",
        {
            "client_id": app["client_id"],
            "response_type": "code",
            "redirect_uri": OOB,
            "scope": "read",
            "code_challenge": "abc",
            "code_challenge_method": "plain",
        },
    )
    assert page.status_code == 400


def test_mastodon_py_log_in_with_a_code_and_json_token_requests(app):
    code = consent(liwei(), client_id=app["client_id"], scope="read write follow")
    client = Mastodon(
        client_id=app["client_id"], client_secret=app["client_secret"], api_base_url=app["base"]
    )
    scopes = ["read", "write", "follow"]
    client.log_in(code=code, redirect_uri=OOB, scopes=scopes, allow_http=True)
    assert client.account_verify_credentials()["username"] == "liwei"


def test_a_code_is_used_only_once(app):
    code = consent(ava(), client_id=app["client_id"], scope="read")
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
            "client_id": app["client_id"], "client_secret": app["client_secret"]}  # fmt: skip
    assert httpx.post(f"{app['base']}/oauth/token", json=data).status_code == 200
    assert httpx.post(f"{app['base']}/oauth/token", json=data).status_code == 400


def test_client_credentials_give_an_app_token_without_a_user(app):
    token = httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": app["client_id"],
              "client_secret": app["client_secret"], "scope": "read"},
    ).json()["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    verified = httpx.get(f"{app['base']}/api/v1/apps/verify_credentials", headers=headers)
    assert verified.status_code == 200
    assert verified.json()["name"] == "Tusky"
    assert "client_secret" not in verified.json()
    me = httpx.get(f"{app['base']}/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 422
    assert me.json() == {"error": "This method requires an authenticated user"}


def test_the_password_grant_is_not_offered(app):
    answer = httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "password", "username": "ava", "password": "x",
              "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_a_wrong_client_secret_gets_no_token(app):
    code = consent(ava(), client_id=app["client_id"], scope="read")
    answer = httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
              "client_id": app["client_id"], "client_secret": "wrong"},
    )  # fmt: skip
    assert answer.status_code == 401


def test_tokens_are_not_stored_in_plain_text(app):
    from oauth2_provider.models import AccessToken

    code = consent(ava(), client_id=app["client_id"], scope="read")
    token = httpx.post(
        f"{app['base']}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
              "client_id": app["client_id"], "client_secret": app["client_secret"]},
    ).json()["access_token"]  # fmt: skip
    stored = AccessToken.objects.get()
    assert stored.token != token
    assert token not in (stored.token or "")
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"client_name": "x"}, "Redirect URI can't be blank"),
        ({"client_name": "x", "redirect_uris": "javascript:alert(1)"}, "absolute URI"),
        (
            {"client_name": "x", "redirect_uris": OOB, "scopes": "read admin:everything"},
            "Scopes are invalid",
        ),
        ({"redirect_uris": OOB}, "Application name can't be blank"),
    ],
)
def test_app_registration_rejects_bad_input_with_a_mastodon_error(live_server, fields, message):
    answer = httpx.post(f"{live_server.url}/api/v1/apps", data=fields)
    assert answer.status_code == 422
    assert message in answer.json()["error"]


def test_an_app_with_a_custom_scheme_redirect_gets_its_code_there(app, live_server):
    client_id, _secret = Mastodon.create_app(
        "Phone app",
        api_base_url=live_server.url,
        scopes=["read"],
        redirect_uris="bridgenoteapp://oauth",
    )
    code = consent(ava(), client_id=client_id, scope="read", redirect_uri="bridgenoteapp://oauth")
    assert len(code) > 10


def test_authorization_server_metadata(live_server):
    meta = httpx.get(f"{live_server.url}/.well-known/oauth-authorization-server").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "password" not in meta["grant_types_supported"]
    assert meta["token_endpoint"].endswith("/oauth/token")


def test_the_consent_page_speaks_the_users_language(app):
    browser = Client()
    browser.force_login(liwei())
    page = browser.get(
        "/oauth/authorize",
        {"client_id": app["client_id"], "response_type": "code", "redirect_uri": OOB,
         "scope": "read write:media", "lang": "zh"},
    )  # fmt: skip
    html = page.content.decode()
    assert "允许“Tusky”使用你的账号吗？" in html
    assert "上传照片和视频" in html
