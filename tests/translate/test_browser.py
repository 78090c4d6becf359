"""Browser journeys through the translate page (the note and comment pages include the same
partials once notes and comments exist)."""

import pytest

from bridgenote.translate.models import WordListEntry
from tests.factories import ava


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ava_reads_chinese_with_pinyin_taps_a_word_and_saves_it(
    live_server, page_factory, login, llm
):
    user = ava()
    page = page_factory(locale="en-US")
    login(page, user)
    page.goto(f"{live_server.url}/translate/")
    page.fill("#tr-input", "lol 你的 nose-stud 好酷 😎")
    page.click("button[value=translate]")
    page.wait_for_selector(".tr-result")
    assert "lol your nose-stud so cool" in page.inner_text(".tr-result")
    assert "Machine translation by fake-llm" in page.inner_text("#tr-output")

    page.fill("#tr-input", "我想喝咖啡")
    page.click("button[value=pinyin]")
    page.wait_for_selector("ruby")
    assert "kā" in page.inner_text("#tr-output")
    page.click("button.tr-word[title^='coffee']")
    page.wait_for_selector(".tr-gloss-card")
    assert "coffee" in page.inner_text(".tr-gloss-card")
    page.click(".tr-gloss-card button:has-text('Save to my words')")
    page.wait_for_selector(".tr-saved")
    assert WordListEntry.objects.filter(user=user, word="咖啡").exists()

    page.goto(f"{live_server.url}/translate/words/")
    assert "kā fēi" in page.inner_text("main") or "coffee" in page.inner_text("main")
    page.click("button:has-text('Remove')")
    page.wait_for_selector(".tr-word-row", state="detached")
    assert not WordListEntry.objects.filter(user=user).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hostile_translation_output_is_not_executed_in_the_browser(
    live_server, page_factory, login, llm
):
    llm.mode = "markup"
    page = page_factory(locale="en-US")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, ava())
    page.goto(f"{live_server.url}/translate/")
    page.fill("#tr-input", "今天天气很好，我们去公园散步吧。")
    page.click("button[value=translate]")
    page.wait_for_selector(".tr-result")
    assert "<script>alert(1)</script>" in page.inner_text(".tr-result")
    assert page.locator(".tr-result img").count() == 0
    assert dialogs == []
