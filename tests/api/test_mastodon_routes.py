"""The route table, walked: scopes enforced on every route, IDs never leak, wire details."""

import datetime as dt
import re
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.routes import APP, PUBLIC, USER
from bridgenote.api.mastodon.urls import ROUTES
from bridgenote.api.models import OAuthApplication
from bridgenote.engage.models import Block, Follow
from bridgenote.media.models import Attachment
from bridgenote.notes.services import note_create
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava, liwei
from tests.media.conftest import photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def oauth_app():
    return OAuthApplication.objects.create(
        name="Elk", redirect_uris="https://elk.example/callback", scopes="read write follow push",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip


@pytest.fixture
def bearer(oauth_app):
    def make(user, scopes: str, *, expired: bool = False) -> dict[str, str]:
        raw = secrets.token_urlsafe(32)
        token = AccessToken(
            user=user, application=oauth_app, scope=scopes,
            expires=timezone.now() + dt.timedelta(days=-1 if expired else 1),
        )  # fmt: skip
        set_token_value(token, raw)
        token.save()
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


def ready_image(user):
    return Attachment.objects.create(
        owner=user, kind="image", state="ready", width=640, height=480, mime="image/jpeg"
    )


def call(client, route, headers, account_id):
    """Call a route with IDs of objects ``account_id``'s user owns or can see, and a body the
    route accepts."""
    user = User.objects.get(pk=account_id)
    if route.method == "POST" and "<str:account_id>" in route.path:
        account_id = UserFactory().pk  # follow, block, mute someone else
    url = "/" + route.path.replace("<str:account_id>", str(account_id))
    if "<str:status_id>" in url:
        note = note_create(
            author=user, title="Route walk", body="#walk", attachment_ids=[ready_image(user).pk]
        )
        url = url.replace("<str:status_id>", str(note.pk))
    if "<str:media_id>" in url:
        url = url.replace("<str:media_id>", str(ready_image(user).pk))
    if "<str:notification_id>" in url:
        row = Notification.objects.create(
            recipient=user, actor=UserFactory(), verb="follow", tab="follows"
        )
        url = url.replace("<str:notification_id>", str(row.pk))
    url = url.replace("<str:hashtag>", "walk")
    method = getattr(client, route.method.lower())
    if route.method == "POST" and route.path.endswith("/media"):
        upload = SimpleUploadedFile("p.jpg", photo((64, 48)), content_type="image/jpeg")
        return client.post(url, {"file": upload}, **headers)
    body = {}
    if route.path == "api/v1/markers":
        body = {"home": {"last_read_id": "1"}}
    if route.path == "api/v1/statuses":
        body = {"status": "Hello from the route walk", "media_ids": [str(ready_image(user).pk)]}
    return method(url, body, content_type="application/json", **headers)


SCOPED = [r for r in ROUTES if r.scope]


@pytest.mark.parametrize("route", SCOPED, ids=lambda r: f"{r.method} {r.path}")
def test_every_scoped_route_refuses_a_token_without_its_scope(client, bearer, route):
    user = ava()
    family = route.scope.split(":")[0]
    other_family = "write" if family == "read" else "read"
    response = call(client, route, bearer(user, f"push {other_family}"), user.id)
    assert response.status_code == 403, response.content
    assert response.json() == {"error": "This action is outside the authorized scopes"}


@pytest.mark.parametrize("route", SCOPED, ids=lambda r: f"{r.method} {r.path}")
def test_every_scoped_route_accepts_its_granular_scope(client, bearer, route):
    user = ava()
    response = call(client, route, bearer(user, route.scope), user.id)
    assert response.status_code < 400, response.content


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.access in {USER, APP}], ids=lambda r: f"{r.method} {r.path}"
)
def test_every_private_route_refuses_missing_invalid_and_expired_tokens(client, bearer, route):
    user = ava()
    assert call(client, route, {}, user.id).status_code == 401
    bogus = {"HTTP_AUTHORIZATION": "Bearer not-a-real-token"}
    assert call(client, route, bogus, user.id).status_code == 401
    assert (
        call(client, route, bearer(user, "read write follow", expired=True), user.id).status_code
        == 401
    )


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.access == PUBLIC and r.method == "GET"], ids=lambda r: r.path
)
def test_public_routes_never_fail_on_an_unknown_or_malformed_id(client, route):
    for bad in ["999999999999", "abc", "-1", "1" * 40, "%00"]:
        path = re.sub(r"<str:[a-z_]+>", bad, route.path)
        response = client.get("/" + path)
        assert response.status_code in {200, 404, 422}, (bad, response.status_code)


def test_ids_are_strings_and_times_have_milliseconds(client):
    user = ava()
    body = client.get(f"/api/v1/accounts/{user.id}").json()
    assert body["id"] == str(user.id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])


def test_an_account_that_blocks_you_is_not_found(client, bearer):
    me, blocker = ava(), liwei()
    Block.objects.create(blocker=blocker, blocked=me)
    assert client.get(f"/api/v1/accounts/{blocker.id}", **bearer(me, "read")).status_code == 404
    assert client.get(f"/api/v1/accounts/{blocker.id}").status_code == 200


def test_lookup_by_handle_is_case_insensitive(client):
    ava()
    assert client.get("/api/v1/accounts/lookup", {"acct": "@AVA"}).json()["username"] == "ava"
    assert client.get("/api/v1/accounts/lookup", {"acct": "nobody"}).status_code == 404


def test_followers_are_paginated_with_link_headers(client):
    star = ava()
    fans = [UserFactory() for _ in range(5)]
    for fan in fans:
        Follow.objects.create(follower=fan, followee=star)
    first = client.get(f"/api/v1/accounts/{star.id}/followers", {"limit": 2})
    assert [a["username"] for a in first.json()] == [fans[4].handle, fans[3].handle]
    next_url = re.search(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    second = client.get(next_url.split("testserver")[-1])
    assert [a["username"] for a in second.json()] == [fans[2].handle, fans[1].handle]
    prev_url = re.search(r'<([^>]+)>; rel="prev"', second["Link"]).group(1)
    back = client.get(prev_url.split("testserver")[-1], {"limit": 2})
    assert [a["username"] for a in back.json()] == [fans[4].handle, fans[3].handle]


def test_relationships(client, bearer):
    me, other = ava(), liwei()
    Follow.objects.create(follower=me, followee=other)
    answer = client.get(
        "/api/v1/accounts/relationships", {"id[]": [other.id, "junk"]}, **bearer(me, "read")
    )
    assert answer.json() == [answer.json()[0]]
    assert answer.json()[0]["following"] is True
    assert answer.json()[0]["followed_by"] is False


def test_update_credentials_validates_and_accepts_json(client, bearer):
    me = ava()
    headers = bearer(me, "write:accounts")
    too_long = client.patch("/api/v1/accounts/update_credentials", {"display_name": "x" * 41},
                            content_type="application/json", **headers)  # fmt: skip
    assert too_long.status_code == 422
    assert "display_name" in too_long.json()["error"]
    ok = client.patch("/api/v1/accounts/update_credentials", {"display_name": "李 Ava"},
                      content_type="application/json", **headers)  # fmt: skip
    assert ok.json()["display_name"] == "李 Ava"


def test_malformed_json_is_a_clear_400(client, bearer):
    response = client.patch("/api/v1/accounts/update_credentials", "{not json",
                            content_type="application/json", **bearer(ava(), "write"))  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"error": "The request body is not valid JSON"}


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/instance")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_cors_lets_browser_clients_call_the_api(client):
    response = client.options(
        "/api/v1/instance",
        HTTP_ORIGIN="https://elk.zone",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()
    page = client.get("/api/v1/instance", HTTP_ORIGIN="https://elk.zone")
    assert page["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in page
    assert "Access-Control-Allow-Origin" not in client.get(
        "/about/", HTTP_ORIGIN="https://elk.zone"
    )


def test_instance_documents(client):
    v2 = client.get("/api/v2/instance").json()
    assert v2["api_versions"] == {"mastodon": 2}
    assert v2["version"].startswith("4.3.0 (compatible; Bridgenote")
    assert v2["configuration"]["statuses"]["max_media_attachments"] == 18
    assert v2["configuration"]["translation"] == {"enabled": False}
    assert "streaming" not in v2["configuration"]["urls"]
    v1 = client.get("/api/v1/instance").json()
    assert v1["stats"]["domain_count"] == 1
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert links[0]["href"].endswith("/nodeinfo/2.0")
    info = client.get("/nodeinfo/2.0").json()
    assert info["software"]["name"] == "bridgenote"
    assert client.get("/api/v1/custom_emojis").json() == []


def test_a_nul_character_in_text_is_a_clear_422(client, bearer):
    response = client.patch(
        "/api/v1/accounts/update_credentials",
        {"display_name": "Ava\x00"},
        content_type="application/json",
        **bearer(ava(), "write:accounts"),
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]
