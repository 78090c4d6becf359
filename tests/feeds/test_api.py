from __future__ import annotations

import json

import pytest
from django.test import Client

from bridgenote.feeds import services
from tests.factories import UserFactory, ava, liwei
from tests.feeds.conftest import follow, make_note, publish

pytestmark = pytest.mark.django_db


def test_api_following_pages_through_the_feed(client: Client) -> None:
    a, li = ava(), liwei()
    follow(li, a)
    for i in range(25):
        publish(a, f"n{i}")
    client.force_login(li)
    first = client.get("/api/feeds/following").json()
    assert len(first["notes"]) == 20
    assert first["notes"][0]["title"] == "n24"
    assert first["notes"][0]["author"]["handle"] == "ava"
    second = client.get("/api/feeds/following", {"cursor": first["next_cursor"]}).json()
    assert [n["title"] for n in second["notes"]] == [f"n{i}" for i in range(4, -1, -1)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("path", ["/api/feeds/following", "/api/feeds/discover"])
def test_api_feed_pages_are_exactly_the_page_schema(client: Client, path: str) -> None:
    """The feed pages are serialised without ninja's response validation: the body must be what
    validating it through the documented ``Page`` schema gives, key for key."""
    from bridgenote.feeds.api import Page

    li = liwei()
    for i, author in enumerate([ava(), UserFactory(), UserFactory()]):
        follow(li, author)
        publish(author, f"n{i}", topics=("咖啡",))
    services.discover_refresh()
    client.force_login(li)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert len(body["notes"]) == 3
    assert Page.model_validate(body).model_dump(mode="json") == body


@pytest.mark.parametrize("cursor", ["abc", "-1", "1e5", "99999999999999999999", "0"])
def test_api_following_forged_cursor_is_a_clear_400(client: Client, cursor: str) -> None:
    client.force_login(liwei())
    response = client.get("/api/feeds/following", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_cursor"
    assert response.json()["message"]


def test_api_following_error_message_in_chinese(client: Client) -> None:
    client.force_login(liwei())
    response = client.get("/api/feeds/following", {"cursor": "x"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["message"] == "此游标无效，请不带游标重新开始。"


def test_api_following_needs_a_signed_in_user(client: Client) -> None:
    assert client.get("/api/feeds/following").status_code == 401


def test_api_discover_cursor_and_why(client: Client) -> None:
    for i in range(30):
        make_note(UserFactory(), f"n{i}", language="zh" if i % 2 else "en", topics=("咖啡",))
    services.discover_refresh()
    first = client.get("/api/feeds/discover").json()
    assert len(first["notes"]) == 20
    assert all(n["why"]["text"] for n in first["notes"])
    second = client.get("/api/feeds/discover", {"cursor": first["next_cursor"]}).json()
    ids = [n["id"] for n in first["notes"] + second["notes"]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "forged"}, "bad_cursor"),
        ({"cursor": "a:1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "bad_cursor"),
        ({"channel": "coffee"}, "bad_channel"),
        ({"channel": "-3"}, "bad_channel"),
    ],
)
def test_api_discover_bad_input_is_a_clear_400(
    client: Client, params: dict[str, str], code: str
) -> None:
    response = client.get("/api/feeds/discover", params)
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_api_discover_cursor_of_another_channel_is_rejected(client: Client) -> None:
    for i in range(25):
        make_note(UserFactory(), f"n{i}", topics=("tea",))
    services.discover_refresh()
    first = client.get("/api/feeds/discover").json()
    tea = client.get("/api/feeds/trending").json()[0]["id"]
    response = client.get("/api/feeds/discover", {"cursor": first["next_cursor"], "channel": tea})
    assert response.status_code == 400


def test_api_trending(client: Client) -> None:
    make_note(UserFactory(), "a", topics=("咖啡",))
    make_note(UserFactory(), "b", topics=("咖啡",))
    assert client.get("/api/feeds/trending").json()[0] == {
        "id": client.get("/api/feeds/trending").json()[0]["id"],
        "name": "咖啡",
        "count": 2,
    }


def test_api_preferences_get_and_put(client: Client) -> None:
    make_note(UserFactory(), "a", topics=("coffee",))
    client.force_login(ava())
    assert client.get("/api/feeds/preferences").json() == {"language_mix": 40, "interests": []}
    response = client.put(
        "/api/feeds/preferences",
        json.dumps({"language_mix": 70, "interests": ["#Coffee"]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"language_mix": 70, "interests": ["coffee"]}
    assert client.get("/api/feeds/preferences").json()["language_mix"] == 70


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"language_mix": 101}, "bad_language_mix"),
        ({"language_mix": -1}, "bad_language_mix"),
        ({"language_mix": 30, "interests": ["nope"]}, "unknown_topic"),
    ],
)
def test_api_preferences_put_rejects_bad_input(
    client: Client, body: dict[str, object], code: str
) -> None:
    client.force_login(ava())
    response = client.put(
        "/api/feeds/preferences", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_api_preferences_put_with_wrong_types_is_not_a_500(client: Client) -> None:
    client.force_login(ava())
    response = client.put(
        "/api/feeds/preferences",
        json.dumps({"language_mix": "lots"}),
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
