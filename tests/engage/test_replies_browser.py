"""'Show more replies' in a real browser: a thread shows its first replies, the link loads the
next page in place (htmx) until every reply is there, and the link goes away."""

from __future__ import annotations

from typing import Any

import pytest

from bridgenote.engage import queries, services
from tests.engage.conftest import make_note
from tests.factories import ava, liwei

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_show_more_replies_loads_every_reply_in_place(
    page_factory: Any, live_server: Any, login: Any
) -> None:
    from playwright.sync_api import expect

    author, replier = ava(), liwei()
    note = make_note(author, title="Ask me about Austin")
    root = services.comment_create(author=author, note=note, body="Ask me anything!")
    total = queries.REPLIES_PREVIEW + queries.REPLIES_PAGE + 2
    for i in range(total):
        services.comment_create(
            author=replier, note=note, body=f"问题 {i}", reply_to=root, check_rate=False
        )

    page = page_factory(locale="en-US")
    login(page, replier)
    page.goto(f"{live_server.url}/notes/{note.pk}/")
    replies = page.locator(f"#replies-{root.pk} article.comment")
    expect(replies).to_have_count(queries.REPLIES_PREVIEW)
    page.get_by_role("link", name="Show more replies").click()
    expect(replies).to_have_count(queries.REPLIES_PREVIEW + queries.REPLIES_PAGE)
    page.get_by_role("link", name="Show more replies").click()
    expect(replies).to_have_count(total)
    expect(page.get_by_role("link", name="Show more replies")).to_have_count(0)
    texts = replies.locator(".comment-body").all_inner_texts()
    # (each body is followed by its Pinyin toggle)
    assert [t.strip().splitlines()[0] for t in texts] == [f"问题 {i}" for i in range(total)]
    assert page.url.endswith(f"/notes/{note.pk}/")  # loaded in place, no navigation
