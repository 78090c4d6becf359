"""Tokens that must not work (revoked, of another app, of a disabled user, malformed headers)
and bodies that must not break the OAuth endpoints: correct Mastodon errors, never a 500."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bridgenote.api.mastodon.urls import ROUTES
from tests.api.test_mastodon_oauth import OOB, consent
from tests.api.test_mastodon_routes import call
from tests.factories import ava, liwei

pytestmark = pytest.mark.django_db

INVALID = {"error": "The access token is invalid"}


def register(client: Client, name: str) -> dict:
    answer = client.post(
        "/api/v1/apps",
        {"client_name": name, "redirect_uris": OOB, "scopes": "read write follow push"},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def tokens(client: Client, app: dict, user) -> dict:
    """An access and a refresh token of ``user`` for ``app``, through the authorization code."""
    code = consent(user, client_id=app["client_id"], scope="read write follow push")
    answer = client.post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
         "client_id": app["client_id"], "client_secret": app["client_secret"]},
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    return answer.json()


def auth(access_token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {access_token}"}


@pytest.fixture
def two_apps(client):
    return register(client, "Elk"), register(client, "Tusky")


def test_a_revoked_token_is_refused_on_every_route(client, two_apps):
    elk, _ = two_apps
    user = ava()
    issued = tokens(client, elk, user)
    headers = auth(issued["access_token"])
    assert client.get("/api/v1/accounts/verify_credentials", **headers).status_code == 200
    revoked = client.post(
        "/oauth/revoke",
        {"token": issued["access_token"], "client_id": elk["client_id"],
         "client_secret": elk["client_secret"]},
    )  # fmt: skip
    assert revoked.status_code == 200
    # Every route of the table, public ones included: a token, if sent, must be valid.
    for route in ROUTES:
        if route.path == "api/v1/apps" and route.method == "POST":
            continue  # registering an app takes no token
        response = call(client, route, headers, user.id)
        assert response.status_code == 401, (route.method, route.path, response.content)
        assert response.json() == INVALID
    # The refresh token went with it.
    refreshed = client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
         "client_id": elk["client_id"], "client_secret": elk["client_secret"]},
    )  # fmt: skip
    assert refreshed.status_code in {400, 401}
    assert refreshed.json()["error"] == "invalid_grant"


def test_another_app_cannot_revoke_refresh_or_redeem_what_was_issued_to_an_app(client, two_apps):
    elk, tusky = two_apps
    user = ava()
    issued = tokens(client, elk, user)
    tusky_creds = {"client_id": tusky["client_id"], "client_secret": tusky["client_secret"]}
    # Tusky tries to revoke Elk's token: the token keeps working.
    client.post("/oauth/revoke", {"token": issued["access_token"], **tusky_creds})
    headers = auth(issued["access_token"])
    assert client.get("/api/v1/accounts/verify_credentials", **headers).status_code == 200
    # ... to refresh it with its own credentials.
    refreshed = client.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], **tusky_creds},
    )
    assert refreshed.status_code in {400, 401}
    assert refreshed.json()["error"] in {"invalid_grant", "invalid_client"}
    assert "access_token" not in refreshed.json()
    # ... to redeem a code issued to Elk.
    code = consent(user, client_id=elk["client_id"], scope="read")
    redeemed = client.post(
        "/oauth/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": OOB, **tusky_creds},
    )
    assert redeemed.status_code in {400, 401}
    assert "access_token" not in redeemed.json()
    # Elk's token names Elk, never Tusky.
    verified = client.get("/api/v1/apps/verify_credentials", **headers)
    assert verified.json()["name"] == "Elk"


def test_an_app_token_is_not_a_user_token_and_a_disabled_users_token_stops(client, two_apps):
    elk, _ = two_apps
    app_only = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": elk["client_id"],
         "client_secret": elk["client_secret"], "scope": "read write"},
    ).json()["access_token"]  # fmt: skip
    answer = client.get("/api/v1/timelines/home", **auth(app_only))
    assert answer.status_code == 422
    assert answer.json() == {"error": "This method requires an authenticated user"}
    answer = client.post("/api/v1/statuses", {"status": "hi"}, **auth(app_only))
    assert answer.status_code == 422

    user = liwei()
    issued = tokens(client, elk, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    answer = client.get("/api/v1/accounts/verify_credentials", **auth(issued["access_token"]))
    assert answer.status_code == 401
    assert answer.json() == {"error": "Your login is currently disabled"}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer not-a-token",
        "Bearer " + "a" * 10_000,
        "Bearer 令牌",
        "Bearer a b c",
        "bearer\tabc",
    ],
)
def test_malformed_authorization_headers_are_401_json(client, header):
    for path in ["/api/v1/accounts/verify_credentials", "/api/v1/timelines/public"]:
        answer = client.get(path, HTTP_AUTHORIZATION=header)
        assert answer.status_code == 401, (header, answer.content)
        assert answer.json() == INVALID


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (b"[1, 2]", "application/json", 400, "The request body must be a JSON object"),
        (b'"status"', "application/json", 400, "The request body must be a JSON object"),
        (b"{", "application/json", 400, "The request body is not valid JSON"),
        (b"\xff\xfe{}", "application/json", 400, "The request body is not valid JSON"),
        (b'{"status": ["a", "b"]}', "application/json", 422, "status must be a string"),
        (b'{"media_ids": {"a": 1}, "status": "x"}', "application/json", 422, None),
        (b"status=%ff%fe&media_ids[]=x", "application/x-www-form-urlencoded", 422, None),
    ],
)
def test_malformed_bodies_are_mastodon_errors(client, body, content_type, status, error):
    user = ava()
    elk = register(client, "Elk")
    headers = auth(tokens(client, elk, user)["access_token"])
    answer = client.post("/api/v1/statuses", body, content_type=content_type, **headers)
    assert answer.status_code == status, answer.content
    data = answer.json()
    assert isinstance(data["error"], str)
    if error:
        assert error in data["error"]


oauth_value = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["authorization_code", "client_credentials", "refresh_token", "password",
                     OOB, "read", "read write", "S256", ""]),
    st.integers().map(str),
)  # fmt: skip
oauth_fields = st.dictionaries(
    st.sampled_from([
        "grant_type", "code", "redirect_uri", "redirect_uris", "client_id", "client_secret",
        "scope", "scopes", "code_verifier", "refresh_token", "token", "token_type_hint",
        "client_name", "website",
    ]) | st.text(max_size=10),
    oauth_value,
    max_size=7,
)  # fmt: skip


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/api/v1/apps"])
def test_random_oauth_requests_never_fail(client, path):
    @given(
        fields=oauth_fields,
        kind=st.sampled_from(["form", "json", "json-list", "garbage"]),
    )
    @settings(
        max_examples=25, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def run(fields, kind):
        if kind == "form":
            answer = client.post(path, fields)
        elif kind == "garbage":
            answer = client.post(path, b"\x00{\xff", content_type="application/json")
        else:
            payload = fields if kind == "json" else list(fields.items())
            answer = client.post(path, json.dumps(payload), content_type="application/json")
        assert answer.status_code < 500, answer.content
        if answer.status_code >= 400:
            assert 400 <= answer.status_code < 500
            assert isinstance(answer.json()["error"], str)

    run()
