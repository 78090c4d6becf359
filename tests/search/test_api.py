from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgenote.notes.models import Note
from bridgenote.search.analysis import MAX_QUERY_CHARS
from bridgenote.search.models import SearchHistory
from tests.search.conftest import note, person, topic

pytestmark = pytest.mark.django_db


def _get(client: Client, path: str, **params: str) -> Any:
    """GET with the query string encoded as a browser would, lone surrogates included."""
    query = "&".join(
        f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in params.items()
    )
    return client.get(f"{path}?{query}")


BAD_QUERIES = [
    "", "   ", "\t\n", '"', "*", "(", ")", "NEAR", "OR", "AND", "-", ":", "^",
    '" * ( ) NEAR OR AND - : ^', 'a" OR "b', "咖啡*", "NEAR(咖啡 latte, 2)", "title:咖啡",
    "'; DROP TABLE notes_note; --", "1' OR '1'='1", "\x00\x01\x1f", "\ud800", "\udfff咖啡",
    "🌸🌸🌸", "咖啡" * 5000, "a" * 10000,
]  # fmt: skip


def test_api_search_notes(author: Any) -> None:
    made = note(author, "咖啡", "我最喜欢的咖啡店", like_count=3)
    response = Client().get("/api/search/", {"q": "咖啡"})
    assert response.status_code == 200
    body = response.json()
    assert [n["id"] for n in body["notes"]] == [str(made.id)]
    assert body["notes"][0]["author"]["handle"] == "author"
    assert body["notes"][0]["cover_kind"] == "image"


def test_api_search_people_and_topics(db: Any) -> None:
    person("liwei", "李伟")
    topic("自拍")
    people = Client().get("/api/search/", {"q": "liw", "type": "people"}).json()["people"]
    assert [p["handle"] for p in people] == ["liwei"]
    topics = Client().get("/api/search/", {"q": "zp", "type": "topics"}).json()["topics"]
    assert [t["name"] for t in topics] == ["自拍"]


def test_api_search_never_returns_hidden_notes(author: Any, viewer: Any) -> None:
    note(author, "", "咖啡", moderation=Note.Moderation.PENDING)
    note(author, "", "咖啡", visibility=Note.Visibility.PRIVATE)
    client = Client()
    client.force_login(viewer)
    assert client.get("/api/search/", {"q": "咖啡"}).json()["notes"] == []


def test_api_search_empty_query_is_a_clear_error(db: Any) -> None:
    for q in ("", "   ", "🌸", '" * ( )'):
        response = Client().get("/api/search/", {"q": q})
        assert response.status_code == 400
        assert response.json()["error"] == "empty_query"
        assert response.json()["message"]


def test_api_search_long_query_is_cut_with_a_notice(author: Any) -> None:
    note(author, "", "咖啡")
    response = Client().get("/api/search/", {"q": "咖啡" + "x" * 9998})
    assert response.status_code == 200
    body = response.json()
    assert len(body["query"]) == MAX_QUERY_CHARS
    assert body["notices"] and str(MAX_QUERY_CHARS) in body["notices"][0]


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_api_search_bad_input_never_fails(author: Any, q: str) -> None:
    note(author, "", "咖啡 latte")
    for kind in ("notes", "people", "topics"):
        response = _get(Client(), "/api/search/", q=q, type=kind, page="x", sort="?")
        assert response.status_code in (200, 400), response.content
        assert "error" in response.json() or "notes" in response.json()
    assert _get(Client(), "/api/search/suggest", q=q).status_code == 200


def test_api_search_raw_bytes_in_query_string(db: Any) -> None:
    response = Client().get("/api/search/?q=%FF%FE%ED%A0%80&type=notes")
    assert response.status_code in (200, 400)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=300))
def test_api_search_and_suggest_random_strings(author: Any, q: str) -> None:
    client = Client()
    response = _get(client, "/api/search/", q=q)
    assert response.status_code in (200, 400, 429)
    assert _get(client, "/api/search/suggest", q=q).status_code == 200


def test_api_search_rate_limited(author: Any, settings: Any) -> None:
    settings.SEARCH_RATE_PER_MINUTE = 2
    client = Client()
    codes = [client.get("/api/search/", {"q": "咖啡"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/api/search/", {"q": "咖啡"}).json()["error"] == "rate_limited"


def test_api_suggest(db: Any) -> None:
    topic("自拍", note_count=4)
    person("zhangpei", "张培")
    body = Client().get("/api/search/suggest", {"q": "zp"}).json()
    assert [t["name"] for t in body["topics"]] == ["自拍"]
    assert [p["handle"] for p in body["people"]] == ["zhangpei"]


def test_api_history_list_and_clear(author: Any, viewer: Any) -> None:
    note(author, "", "咖啡")
    client = Client()
    client.force_login(viewer)
    client.get("/api/search/", {"q": "咖啡"})
    history = client.get("/api/search/history").json()
    assert [h["query"] for h in history] == ["咖啡"]
    assert client.delete(f"/api/search/history/{history[0]['id']}").json() == {"deleted": 1}
    assert client.delete("/api/search/history/1").status_code == 404
    client.get("/api/search/", {"q": "咖啡"})
    assert client.delete("/api/search/history").json() == {"deleted": 1}
    assert not SearchHistory.objects.exists()


def test_api_history_needs_sign_in(db: Any) -> None:
    assert Client().get("/api/search/history").status_code == 401
