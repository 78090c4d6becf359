"""Authors are told what moderators decided, in their own language (moderation -> notify)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from bridgenote.accounts.models import Profile, User
from bridgenote.moderation import services
from bridgenote.moderation.models import ModerationCase, ReasonTemplate
from bridgenote.notes.models import Note
from bridgenote.notify import queries
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava

pytestmark = pytest.mark.django_db

SENTENCES = {
    ("limited", "en"): "A moderator limited your note",
    ("limited", "zh-hans"): "管理员限制了你的笔记",
    ("removed", "en"): "A moderator removed your note.",
    ("removed", "zh-hans"): "管理员删除了你的笔记。",
    ("approved", "en"): "A moderator approved your note: it is public.",
    ("approved", "zh-hans"): "管理员通过了你的笔记，现已公开。",
    ("appeal_upheld", "en"): "A moderator reviewed your appeal and kept the decision.",
    ("appeal_upheld", "zh-hans"): "管理员审核了你的申诉，维持原决定。",
    ("appeal_overturned", "en"): "Your appeal was accepted: your note is public again.",
    ("appeal_overturned", "zh-hans"): "你的申诉已通过，笔记已重新公开。",
}
REASON = {"en": "This note advertises.", "zh-hans": "这篇笔记含有广告。"}


@pytest.fixture
def moderator() -> User:
    return UserFactory(handle="mod", is_moderator=True)


@pytest.fixture
def template() -> ReasonTemplate:
    return ReasonTemplate.objects.create(
        code="spam-test", text_en=REASON["en"], text_zh=REASON["zh-hans"]
    )


def _author(language: str) -> User:
    user = ava()
    Profile.objects.filter(user=user).update(ui_language=language)
    return User.objects.select_related("profile").get(pk=user.pk)


def _note(author: User, moderation: str = Note.Moderation.PUBLISHED) -> Note:
    return Note.objects.create(
        author=author, title="Brunch", body="x", status=Note.Status.PUBLISHED,
        published_at=timezone.now(), moderation=moderation,
    )  # fmt: skip


def _only_notice(author: User) -> queries.Group:
    """The author's single moderation line, read while the process speaks the OTHER language
    (the recipient's own language must win)."""
    profile_language = author.profile.ui_language
    other = "en" if profile_language == "zh-hans" else "zh-hans"
    with translation.override(other):
        page = queries.notification_page(user=author, tab="comments", cursor=None)
        [group] = page.groups
        group.rendered = (group.sentence, group.reason)  # type: ignore[attr-defined]
    return group


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("action,outcome", [("limit", "limited"), ("remove", "removed")])
def test_decision_record_tells_the_author_with_reason_and_appeal_link(
    language: str,
    action: str,
    outcome: str,
    moderator: User,
    template: ReasonTemplate,
    django_capture_on_commit_callbacks: Any,
) -> None:
    author = _author(language)
    note = _note(author)
    case = services.case_open_for_note(note=note)
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_record(case=case, moderator=moderator, action=action, template=template)
    notice = Notification.objects.get(recipient=author)
    assert (notice.verb, notice.tab, notice.actor_id, notice.note_id) == (
        "moderation", "comments", None, note.pk,
    )  # fmt: skip
    group = _only_notice(author)
    sentence, reason = group.rendered  # type: ignore[attr-defined]
    assert sentence.startswith(SENTENCES[(outcome, language)])
    assert reason == REASON[language]
    assert group.appealable
    client = Client()
    client.force_login(author)
    html = client.get("/notifications/?tab=comments").content.decode()
    assert SENTENCES[(outcome, language)] in html
    assert REASON[language] in html
    assert f"/moderation/appeal/{note.pk}/" in html
    assert "mod" not in [a.handle for a in group.actors]  # moderators stay anonymous


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_approving_a_held_note_tells_the_author(
    language: str, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    author = _author(language)
    note = _note(author, moderation=Note.Moderation.PENDING)
    case = services.case_open_for_note(note=note)
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_record(case=case, moderator=moderator, action="approve")
    group = _only_notice(author)
    assert group.rendered[0] == SENTENCES[("approved", language)]  # type: ignore[attr-defined]
    assert not group.appealable


def test_approving_a_reported_public_note_tells_nobody(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    author = _author("en")
    note = _note(author)
    case = services.case_open_for_note(note=note, source="report")
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_record(case=case, moderator=moderator, action="approve")
    assert not Notification.objects.filter(recipient=author).exists()


def test_no_notice_when_the_transaction_rolls_back(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    author = _author("en")
    note = _note(author)
    case = services.case_open_for_note(note=note)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.decision_record(case=case, moderator=moderator, action="remove")
    assert len(callbacks) >= 1
    assert not Notification.objects.filter(recipient=author).exists()  # only after commit


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("overturn", [True, False])
def test_appeal_outcome_tells_the_author(
    language: str,
    overturn: bool,
    moderator: User,
    template: ReasonTemplate,
    django_capture_on_commit_callbacks: Any,
) -> None:
    author = _author(language)
    note = _note(author)
    services.decision_record(
        case=services.case_open_for_note(note=note), moderator=moderator, action="remove",
        template=template, notify_author=False,
    )  # fmt: skip
    note.refresh_from_db()
    appeal = services.appeal_create(author=author, note=note, text="It is a recipe.")
    with django_capture_on_commit_callbacks(execute=True):
        services.appeal_decide(appeal=appeal, moderator=moderator, overturn=overturn)
    group = _only_notice(author)
    sentence, reason = group.rendered  # type: ignore[attr-defined]
    if overturn:
        assert sentence == SENTENCES[("appeal_overturned", language)]
        assert reason == ""
    else:
        assert sentence == SENTENCES[("appeal_upheld", language)]
        assert reason == REASON[language]  # the reason of the decision that stands
    assert Notification.objects.filter(recipient=author).count() == 1  # not approve + appeal


def test_held_note_can_be_appealed_and_upheld_keeps_it_in_the_queue(moderator: User) -> None:
    author = _author("en")
    note = _note(author, moderation=Note.Moderation.PENDING)
    services.case_open_for_note(note=note, source="new_account")
    appeal = services.appeal_create(author=author, note=note, text="I am new here.")
    services.appeal_decide(appeal=appeal, moderator=moderator, overturn=False)
    note.refresh_from_db()
    assert note.moderation == "pending"
    assert ModerationCase.objects.filter(note=note, state="open").exists()


def test_api_gives_reason_and_appeal_url(
    moderator: User, template: ReasonTemplate, django_capture_on_commit_callbacks: Any
) -> None:
    author = _author("zh-hans")
    note = _note(author)
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_record(
            case=services.case_open_for_note(note=note), moderator=moderator, action="limit",
            template=template,
        )  # fmt: skip
    client = Client()
    client.force_login(author)
    body = client.get("/api/notifications/?tab=comments").json()
    [item] = body["items"]
    assert item["verb"] == "moderation"
    assert item["reason"] == REASON["zh-hans"]
    assert item["appeal_url"] == f"/moderation/appeal/{note.pk}/"
    assert item["actors"] == []
