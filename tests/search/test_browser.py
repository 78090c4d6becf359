from __future__ import annotations

from typing import Any

import pytest

from bridgenote.notes.models import Note
from bridgenote.search.services import topic_alias_decide, topic_alias_propose
from tests.search.conftest import note, person, topic


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_journey(page_factory: Any, live_server: Any, login: Any) -> None:
    from playwright.sync_api import expect

    author = person("author", "作者")
    viewer = person("viewer", "Viewer")
    tagged = note(author, "海边的下午", "阳光很好", topics=("自拍",), collect_count=2)
    english = note(author, "Beach day", "sunny", topics=("selfie",), collect_count=1)
    cafe = note(author, "周末", "我最喜欢的咖啡店", collect_count=9)
    note(author, "秘密咖啡", "under review", moderation=Note.Moderation.PENDING)
    note(author, "私密咖啡", "only me", visibility=Note.Visibility.PRIVATE)
    topic_alias_decide(
        alias=topic_alias_propose(alias=topic("selfie"), canonical=topic("自拍", note_count=1)),
        accept=True, by=None,
    )  # fmt: skip

    page = page_factory(locale="en-US")
    login(page, viewer)
    page.goto(f"{live_server.url}/search/")
    page.fill("#search-q", "zip")
    expect(page.locator(".suggestion.topic")).to_contain_text("自拍")

    page.fill("#search-q", "selfie")
    page.press("#search-q", "Enter")
    page.wait_for_url("**/search/?q=selfie*")
    cards = page.locator(".note-card")
    expect(cards).to_have_count(2)
    ids = {cards.nth(i).get_attribute("data-note-id") for i in range(2)}
    assert ids == {str(tagged.id), str(english.id)}

    page.fill("#search-q", "咖啡")
    page.press("#search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator(f'[data-note-id="{cafe.id}"]')).to_be_visible()
    expect(cards).to_have_count(1)  # neither the note under review nor the private one

    page.fill("#search-q", "selfie")
    page.press("#search-q", "Enter")
    page.wait_for_url("**/search/?q=selfie*")
    page.select_option("select[name=sort]", "collects")
    page.wait_for_url("**sort=collects*")
    expect(cards.first).to_have_attribute("data-note-id", str(tagged.id))
    expect(cards.nth(1)).to_have_attribute("data-note-id", str(english.id))

    # On a phone-sized screen the box and the tabs still fit.
    phone = page_factory(locale="zh-CN", viewport={"width": 375, "height": 740})
    phone.goto(f"{live_server.url}/search/?q=%E8%87%AA%E6%8B%8D")
    expect(phone.locator(".search-tabs")).to_contain_text("笔记")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
