"""Done when: the Discover feed of a new user who chose English and Chinese shows notes from
both communities with a "why" line, and scrolling loads the next page."""

from __future__ import annotations

from typing import Any

import pytest

from bridgenote.feeds import services
from tests.factories import UserFactory
from tests.feeds.conftest import make_note


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_discover_journey_new_bilingual_user_sees_both_communities_and_scrolls(
    page_factory: Any, live_server: Any, login: Any
) -> None:
    for i in range(18):
        make_note(UserFactory(), f"Coffee walk {i}", language="en", topics=("coffee",), likes=i)
        make_note(UserFactory(), f"成都咖啡 {i}", language="zh", topics=("咖啡",), likes=i)
    services.discover_refresh()
    newcomer = UserFactory(
        handle="newcomer", profile__languages_spoken=["en", "zh"], profile__languages_learning=[]
    )
    page = page_factory(locale="en-US")
    login(page, newcomer)
    page.goto(f"{live_server.url}/")

    cards = page.locator("#feed-list .feed-item")
    assert cards.count() == 20
    titles = " ".join(page.locator("#feed-list .note-card").all_inner_texts())
    assert "Coffee walk" in titles
    assert "成都咖啡" in titles
    whys = page.locator("#feed-list .feed-why").all_inner_texts()
    assert len(whys) == 20
    assert any(w.startswith("Popular in #") for w in whys)
    assert page.get_by_role("link", name="#咖啡").first.is_visible()

    # Infinite scroll: the sentinel is revealed, htmx appends the next page.
    page.locator("#feed-more").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('#feed-list .feed-item').length > 20")
    assert cards.count() == 36
    ids = page.locator("#feed-list .note-card").evaluate_all(
        "cards => cards.map(c => c.dataset.noteId)"
    )
    assert len(ids) == len(set(ids))
    assert "all caught up" in page.locator("#feed-more").inner_text()
