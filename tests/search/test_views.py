from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgenote.notes.models import Note
from bridgenote.search.models import SearchHistory, TopicAlias
from tests.factories import UserFactory
from tests.search.conftest import note, person, topic

pytestmark = pytest.mark.django_db


def test_results_page_notes_tab_with_cards(author: Any) -> None:
    made = note(author, "咖啡探店", "我最喜欢的咖啡店")
    response = Client().get("/search/", {"q": "咖啡"})
    assert response.status_code == 200
    assert f'data-note-id="{made.id}"' in response.content.decode()


def test_results_page_hides_note_under_review(author: Any, viewer: Any) -> None:
    hidden = note(author, "秘密", "咖啡", moderation=Note.Moderation.PENDING)
    client = Client()
    client.force_login(viewer)
    page = client.get("/search/", {"q": "咖啡"}).content.decode()
    assert f'data-note-id="{hidden.id}"' not in page
    assert "No notes found" in page


def test_results_page_people_and_topics_tabs(db: Any) -> None:
    person("liwei", "李伟")
    topic("自拍")
    people = Client().get("/search/", {"q": "liwei", "type": "people"}).content.decode()
    assert "李伟" in people and "@liwei" in people
    topics = Client().get("/search/", {"q": "zipai", "type": "topics"}).content.decode()
    assert "#自拍" in topics


def test_results_page_bad_input(db: Any) -> None:
    client = Client()
    for q in ("", "   ", '" * ( ) NEAR OR AND - : ^', "'; DROP TABLE x; --", "\x00"):
        assert client.get("/search/", {"q": q}).status_code == 200
    long = client.get("/search/", {"q": "咖" * 10000})
    assert long.status_code == 200
    assert "cut to its first" in long.content.decode()
    assert "Type words" in client.get("/search/", {"q": "🌸"}).content.decode()
    assert client.get("/search/?q=%ED%A0%80&page=zz&sort=bad&type=bad").status_code == 200


def test_results_page_in_chinese(author: Any) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    page = client.get("/search/", {"q": "咖啡"}).content.decode()
    assert "没有找到" in page and "笔记" in page


def test_suggest_partial(db: Any) -> None:
    topic("自拍", note_count=2)
    response = Client().get("/search/suggest/", {"q": "zip"}, headers={"hx-request": "true"})
    assert "#</span>自拍" in response.content.decode()
    assert Client().get("/search/suggest/", {"q": ""}).content.decode().strip() == ""


def test_history_shown_and_cleared(author: Any, viewer: Any) -> None:
    note(author, "", "咖啡")
    client = Client()
    client.force_login(viewer)
    client.get("/search/", {"q": "咖啡"})
    assert "咖啡" in client.get("/search/").content.decode()
    response = client.post("/search/history/clear/")
    assert response.status_code == 302
    assert not SearchHistory.objects.exists()
    assert Client().post("/search/history/clear/").status_code == 302  # to sign in


def test_aliases_page_staff_only(db: Any) -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/search/aliases/").status_code == 302


def test_aliases_page_accept_reject_and_add(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    zh = note(author, "", "海边", topics=("自拍",))
    topic("selfie")
    topic("旅行")
    topic("travel")
    assert client.post("/search/aliases/propose/").status_code == 302
    proposal = TopicAlias.objects.get(alias__name="selfie")
    assert "#selfie" in client.get("/search/aliases/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/search/aliases/{proposal.id}/decide/", {"decision": "accept"})
    proposal.refresh_from_db()
    assert proposal.status == TopicAlias.Status.ACCEPTED and proposal.decided_by == staff
    found = Client().get("/api/search/", {"q": "selfie"}).json()["notes"]
    assert [n["id"] for n in found] == [str(zh.id)]
    other = TopicAlias.objects.get(alias__name__in=["旅行", "travel"])
    client.post(f"/search/aliases/{other.id}/decide/", {"decision": "reject"})
    other.refresh_from_db()
    assert other.status == TopicAlias.Status.REJECTED
    page = client.post("/search/aliases/", {"alias": "nope", "canonical": "自拍"})
    assert "Both topics must exist" in page.content.decode()
    page = client.post("/search/aliases/", {"alias": "自拍", "canonical": "自拍"})
    assert "cannot be an alias of itself" in page.content.decode()


def test_results_page_rate_limited_keeps_the_query(author: Any, settings: Any) -> None:
    settings.SEARCH_RATE_PER_MINUTE = 1
    client = Client()
    assert client.get("/search/", {"q": "咖啡"}).status_code == 200
    response = client.get("/search/", {"q": "咖啡"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "searching too fast" in page and 'value="咖啡"' in page
