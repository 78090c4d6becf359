"""The author's view of their note's moderation state on the note page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from bridgenote.accounts.models import Profile, User
from bridgenote.moderation import services
from bridgenote.moderation.models import ReasonTemplate
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


def _note(author: User, moderation: str = "published") -> Note:
    return Note.objects.create(
        author=author, title="Brunch", body="x", status=Note.Status.PUBLISHED,
        published_at=timezone.now(), moderation=moderation, media_ready=True,
    )  # fmt: skip


def _page(user: User, note: Note) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/notes/{note.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "language,state,why",
    [
        ("en", "Under review", "The first notes of a new account are checked by a moderator"),
        ("zh-hans", "审核中", "新账号的前几篇笔记"),
    ],
)
def test_author_sees_held_note_under_review_with_reason_and_appeal(
    language: str, state: str, why: str
) -> None:
    author = ava()
    Profile.objects.filter(user=author).update(ui_language=language)
    note = _note(author, moderation="pending")
    services.case_open_for_note(note=note, source="new_account")
    html = _page(author, note)
    assert "mod-author-notice" in html
    assert state in html
    assert why in html
    assert f'href="/moderation/appeal/{note.pk}/"' in html


@pytest.mark.parametrize(
    "language,state,category,reason",
    [
        ("en", "Removed", "Category: Spam or advertising", "This note advertises."),
        ("zh-hans", "已删除", "类别：垃圾信息或广告", "这篇笔记含有广告。"),
    ],
)
def test_author_sees_removed_note_with_category_and_reason(
    language: str, state: str, category: str, reason: str
) -> None:
    author = ava()
    Profile.objects.filter(user=author).update(ui_language=language)
    note = _note(author)
    services.rule_save(term="buy followers", category="spam", action="hold")
    case = services.case_open_for_note(
        note=note,
        matches=[{"field": "body", "start": 0, "end": 1, "term": "x", "rule_id": 1,
                  "category": "spam", "action": "hold", "via_pinyin": False}],
    )  # fmt: skip
    template = ReasonTemplate.objects.create(
        code="ads-test", text_en="This note advertises.", text_zh="这篇笔记含有广告。"
    )
    moderator = UserFactory(handle="mod", is_moderator=True)
    services.decision_record(case=case, moderator=moderator, action="remove", template=template)
    html = _page(author, note)
    assert state in html
    assert category in html
    assert reason in html
    assert f'href="/moderation/appeal/{note.pk}/"' in html
    services.appeal_create(author=author, note=Note.objects.get(pk=note.pk), text="A recipe.")
    html = _page(author, note)
    assert f'href="/moderation/appeal/{note.pk}/"' not in html  # already appealed
    assert "mod-author-notice" in html


def test_public_note_and_other_viewers_show_no_notice() -> None:
    author = ava()
    public = _note(author)
    assert "mod-author-notice" not in _page(author, public)
    limited = _note(author, moderation="limited")
    html = _page(liwei(), limited)  # limited notes stay reachable by link
    assert "mod-author-notice" not in html
    assert "/moderation/appeal/" not in html
