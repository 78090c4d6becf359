"""A new author's notes are held; she appeals one; a moderator removes the other with a
templated reason and approves the appealed one; she reads both outcomes in Chinese, and the
audit log keeps both decisions. In a real browser."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from bridgenote.accounts.models import Profile
from bridgenote.moderation.models import Appeal, ModerationCase, ModerationDecision
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from tests.factories import UserFactory, liwei
from tests.notes.conftest import make_attachment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_held_note_appealed_and_decisions_reach_the_author(
    live_server: Any, page_factory: Any, login: Any, settings: Any
) -> None:
    settings.MODERATION_NEW_ACCOUNT_REVIEW_NOTES = 1
    importlib.import_module("bridgenote.moderation.migrations.0002_reason_templates").add_templates(
        apps, None
    )
    author = liwei()
    Profile.objects.filter(user=author).update(ui_language="zh-hans")
    appealed = note_create(
        author=author, title="第一篇笔记", body="大家好，我是李伟",
        attachment_ids=[make_attachment(author).id],
    )  # fmt: skip
    removed = note_create(
        author=author, title="第二篇", body="周末去成都吃火锅",
        attachment_ids=[make_attachment(author).id],
    )  # fmt: skip
    assert {appealed.moderation, removed.moderation} == {"pending"}
    moderator = UserFactory(handle="mod", is_moderator=True)

    # The author sees "under review" with the reason, in Chinese, and appeals.
    page = page_factory(locale="zh-CN")
    login(page, author)
    page.goto(f"{live_server.url}/notes/{appealed.pk}/")
    notice = page.locator(".mod-author-notice")
    assert "审核中" in notice.inner_text()
    assert "新账号的前几篇笔记" in notice.inner_text()
    notice.locator("a.button").click()
    page.wait_for_url(f"**/moderation/appeal/{appealed.pk}/")
    page.fill("textarea[name=text]", "这是我的自我介绍，没有广告。")
    page.click("form:has(textarea[name=text]) button[type=submit]")
    page.wait_for_url(f"**/moderation/appeal/{appealed.pk}/")
    assert Appeal.objects.filter(note=appealed, state="open").exists()
    assert page.locator("textarea[name=text]").count() == 0  # waiting, not asked again

    # The moderator removes the other note with a templated reason, then overturns the hold.
    mod_page = page_factory(locale="en-US")
    login(mod_page, moderator)
    case = ModerationCase.objects.get(note=removed, state="open")
    mod_page.goto(f"{live_server.url}/moderation/cases/{case.pk}/")
    mod_page.select_option("select[name=action]", "remove")
    mod_page.select_option("select[name=template]", index=1)
    mod_page.click("form.mod-decide button[type=submit]")
    mod_page.wait_for_load_state()
    removal = ModerationDecision.objects.get(note=removed, action="remove")
    assert removal.reason_zh and removal.reason_en
    mod_page.goto(f"{live_server.url}/moderation/appeals/")
    mod_page.select_option("select[name=overturn]", "1")
    mod_page.click("form[action*='/decide/'] button[type=submit]")
    mod_page.wait_for_load_state()
    assert Note.objects.get(pk=appealed.pk).moderation == "published"
    assert Note.objects.get(pk=removed.pk).moderation == "removed"

    # The author reads both outcomes in her language.
    page.goto(f"{live_server.url}/notifications/?tab=comments")
    text = page.locator("#inbox").inner_text()
    assert "管理员删除了你的笔记。" in text
    assert removal.reason_zh.split("\n")[0] in text
    assert "你的申诉已通过，笔记已重新公开。" in text
    # The holds were told too (one notice per note), and each notice links to the appeal page.
    assert text.count("你的笔记正在审核") == 2
    assert page.locator(f"a[href='/moderation/appeal/{removed.pk}/']").count() == 2

    # The audit log keeps both decisions.
    mod_page.goto(f"{live_server.url}/moderation/log/")
    rows = mod_page.locator("table.mod-log tbody tr").all_inner_texts()
    assert any("Remove" in r and str(removed.pk) in r and "@mod" in r for r in rows)
    assert any("Approve" in r and str(appealed.pk) in r and "@mod" in r for r in rows)
