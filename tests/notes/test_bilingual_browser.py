"""A bilingual note in a real browser: the reader's language first, the switch, and the
compose page's second-language fields with a machine draft from the fake LLM provider."""

from __future__ import annotations

import pytest

from bridgenote.notes.services import note_create
from tests.factories import ava, liwei
from tests.notes.conftest import make_attachment
from tests.translate.conftest import _fake_server, fake, llm  # noqa: F401 (fixtures)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reader_sees_their_language_first_and_switches(live_server, page_factory, login):
    author, reader = liwei(), ava()
    note = note_create(
        author=author,
        title="成都的咖啡",
        body="我最喜欢的咖啡店",
        language="zh",
        alt_language="en",
        alt_title="Coffee in Chengdu",
        alt_body="My favourite coffee shop",
        help_language="en",
        attachment_ids=[make_attachment(author).id],
    )
    page = page_factory(locale="en-US")
    login(page, reader)
    page.goto(f"{live_server.url}/notes/{note.id}/")
    assert page.locator(".note-title").inner_text() == "Coffee in Chengdu"
    assert page.get_by_text("Asks for help with English").count() >= 1
    page.get_by_role("link", name="Read the Chinese version").click()
    page.wait_for_function("document.querySelector('.note-title').textContent === '成都的咖啡'")
    assert "version=main" in page.url
    page.get_by_role("link", name="Read the English version").click()
    page.wait_for_function(
        "document.querySelector('.note-title').textContent === 'Coffee in Chengdu'"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_author_asks_for_a_machine_draft_and_edits_it(live_server, page_factory, login, llm):  # noqa: F811
    author = ava()
    page = page_factory(locale="en-US")
    login(page, author)
    page.goto(f"{live_server.url}/notes/new/")
    page.fill("input[name=title]", "Hello")
    page.fill("textarea[name=body]", "Good morning, friends!")
    assert not page.locator("input[name=alt_title]").is_visible()
    page.get_by_text("Also in 中文 / English").click()
    page.select_option("select[name=alt_language]", "zh")
    page.get_by_role("button", name="Machine draft").click()
    page.wait_for_function("document.querySelector('input[name=alt_title]').value === '你好'")
    assert page.locator("textarea[name=alt_body]").input_value() == "早上好，朋友们！"
    page.fill("input[name=alt_title]", "大家好")  # the author edits the draft
    assert page.locator("input[name=title]").input_value() == "Hello"
    assert page.locator("input[name=alt_title]").input_value() == "大家好"
