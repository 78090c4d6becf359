"""The engagement journey in a real browser: 李伟 follows ava, likes and collects her note
into a new board, replies in Chinese to her comment; ava, with her notifications open, sees
the three notifications arrive in the right tabs without reloading, and answers in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bridgenote.engage import services
from bridgenote.engage.models import Board, Comment
from bridgenote.notes.models import Note
from tests.engage.conftest import make_note
from tests.factories import ava, liwei

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_journey_follow_like_collect_reply_and_notifications(
    page_factory: Any, live_server: Any, login: Any, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.NOTIFY_POLL_SECONDS = 2
    ava_user, li = ava(), liwei()
    note = make_note(ava_user, title="My first selfie 自拍", body="Hi from Austin! 你好")
    services.comment_create(author=ava_user, note=note, body="Ask me anything about Texas!")

    # ava keeps her notifications open on another device.
    ava_page = page_factory(locale="en-US")
    login(ava_page, ava_user)
    ava_page.goto(f"{live_server.url}/notifications/?tab=likes")
    expect(ava_page.get_by_text("No likes or collects yet.")).to_be_visible()

    li_page = page_factory(locale="zh-CN")
    login(li_page, li)
    li_page.goto(f"{live_server.url}/notes/{note.pk}/")

    # Follow ava from her note.
    li_page.locator(".note-follow").get_by_role("button", name="关注").click()
    expect(li_page.locator(".note-follow").get_by_role("button", name="已关注")).to_be_visible()

    # Like: the button flips and counts without a reload.
    like = li_page.locator(".note-actions .like")
    like.click()
    expect(li_page.locator(".note-actions .like[aria-pressed=true] .count")).to_have_text("1")

    # Collect into a new board made inline in the board picker.
    li_page.locator(".note-actions .collect").click()
    li_page.get_by_label("新建专辑").fill("English practice")
    li_page.get_by_role("button", name="创建并收藏").click()
    expect(
        li_page.locator(".board-choice[aria-pressed=true]").filter(has_text="English practice")
    ).to_be_visible()
    expect(li_page.locator(".note-actions .collect .count")).to_have_text("1")

    # Reply in Chinese to ava's comment.
    ava_comment = li_page.locator(".comment").filter(has_text="Ask me anything about Texas!")
    ava_comment.get_by_role("link", name="回复").click()
    li_page.get_by_label("回复 @ava").fill("德州好玩吗？我想去看看 🤠")
    li_page.locator(".reply-slot").get_by_role("button", name="回复").click()
    expect(li_page.locator(".replies")).to_contain_text("德州好玩吗？我想去看看 🤠")

    assert Board.objects.get(owner=li, name="English practice").note_count == 1
    note.refresh_from_db()
    assert (note.like_count, note.collect_count, note.comment_count) == (1, 1, 2)

    # ava's open page picks the news up by polling: likes tab content, other tabs' badges.
    expect(ava_page.locator(".notifications")).to_contain_text("李伟 liked your note")
    expect(ava_page.locator(".notifications")).to_contain_text("李伟 collected your note")
    expect(ava_page.locator(".inbox-tab-follows .tab-unread")).to_have_text("1")
    expect(ava_page.locator(".inbox-tab-comments .tab-unread")).to_have_text("1")

    ava_page.locator(".inbox-tab-follows").click()
    expect(ava_page.locator(".notifications")).to_contain_text("李伟 started following you")
    ava_page.locator(".inbox-tab-comments").click()
    expect(ava_page.locator(".notifications")).to_contain_text("李伟 replied to your comment")
    expect(ava_page.locator(".notifications")).to_contain_text("德州好玩吗？")
    expect(ava_page.locator("#unread-badge")).to_have_text("")

    # ava answers in English from the note page.
    ava_page.locator(".notifications a").filter(has_text=re.compile("selfie")).first.click()
    reply = ava_page.locator(".comment").filter(has_text="德州好玩吗？")
    reply.get_by_role("link", name="Reply").click()
    ava_page.get_by_label("Replying to @liwei").fill("Yes! Come for the BBQ 🍖")
    ava_page.locator(".reply-slot").get_by_role("button", name="Reply").click()
    expect(ava_page.locator(".replies")).to_contain_text("Yes! Come for the BBQ 🍖")

    last = Comment.objects.filter(note=note).order_by("-id").first()
    assert last is not None and last.reply_to_user_id == li.pk and last.language == "en"
    assert Note.objects.get(pk=note.pk).comment_count == 3
