"""Comments, bios and image alt texts go through the same rules as notes; holds are told to
the author; reports on comments and accounts; appeals on them; the public moderation log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bridgenote.accounts import services as accounts_services
from bridgenote.accounts.models import Profile, User
from bridgenote.engage import services as engage_services
from bridgenote.engage.errors import Invalid
from bridgenote.engage.models import Comment
from bridgenote.media.models import Attachment
from bridgenote.moderation import services
from bridgenote.moderation.models import Appeal, ModerationCase, ModerationDecision, Report
from bridgenote.notes.models import Note, NoteAttachment
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava, liwei

# Real commits: the notices are enqueued after commit (enqueue_on_commit), as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def _note(author: User, title: str = "Brunch", body: str = "nice") -> Note:
    return Note.objects.create(
        author=author, title=title, body=body, status=Note.Status.PUBLISHED,
        published_at=timezone.now(), media_ready=True,
    )  # fmt: skip


def _language(user: User, language: str) -> User:
    Profile.objects.filter(user=user).update(ui_language=language)
    return User.objects.select_related("profile").get(pk=user.pk)


@pytest.fixture
def moderator() -> User:
    return UserFactory(handle="mod", is_moderator=True)


@pytest.fixture
def rules() -> None:
    services.rule_save(term="卖淫", category="illegal", action="hold")
    services.rule_save(term="微信", category="spam", action="refuse", pinyin=True)
    services.rule_save(term="buy followers", category="spam", action="limit")


# --- comments -----------------------------------------------------------------------------
def test_held_comment_is_seen_by_its_author_only_and_the_author_is_told(
    rules: None, moderator: User, client: Client
) -> None:
    author, commenter, reader = ava(), _language(liwei(), "zh-hans"), UserFactory()
    note = _note(author)
    comment = engage_services.comment_create(
        author=commenter, note=note, body="有人要卖 淫 吗", check_rate=False
    )
    comment.refresh_from_db()
    assert comment.moderation == "pending"
    case = ModerationCase.objects.get(comment=comment)
    assert case.state == "open" and case.matches[0]["field"] == "body"
    assert ModerationDecision.objects.filter(comment=comment, action="hold").exists()
    # The note's author is not told about a held comment; the commenter is, in Chinese.
    assert not Notification.objects.filter(recipient=author, verb="comment").exists()
    notice = Notification.objects.get(recipient=commenter, verb="moderation")
    assert notice.detail["outcome"] == "held" and notice.detail["target"] == "comment"
    client.force_login(commenter)
    inbox = client.get("/notifications/?tab=comments").content.decode()
    assert "你的评论正在审核" in inbox
    assert reverse("moderation:appeal_comment", args=[comment.pk]) in inbox
    thread = client.get(f"/notes/{note.pk}/").content.decode()
    assert "有人要卖 淫 吗" in thread and "审核中" in thread
    client.force_login(reader)
    assert "有人要卖 淫 吗" not in client.get(f"/notes/{note.pk}/").content.decode()
    assert client.get(reverse("moderation:report_comment", args=[comment.pk])).status_code == 404
    # Approved: everyone sees it, the note's author hears of the comment, the commenter too.
    services.decision_record(case=case, moderator=moderator, action="approve")
    assert "有人要卖 淫 吗" in client.get(f"/notes/{note.pk}/").content.decode()
    assert Notification.objects.filter(recipient=author, verb="comment").exists()
    outcomes = Notification.objects.filter(recipient=commenter, verb="moderation")
    assert sorted(n.detail["outcome"] for n in outcomes) == ["approved", "held"]


def test_refused_comment_keeps_the_draft_and_saves_nothing(rules: None, client: Client) -> None:
    note = _note(ava())
    with pytest.raises(Invalid) as error:
        engage_services.comment_create(
            author=liwei(), note=note, body="加我微 信", check_rate=False
        )
    assert error.value.code == "refused"
    assert not Comment.objects.exists()
    client.force_login(UserFactory())
    response = client.post(
        reverse("engage:comment_create", args=[note.pk]), {"body": "加我 微\u200b信 哦"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "isn&#x27;t allowed on Bridgenote" in html
    assert "加我 微\u200b信 哦" in html  # the draft stays in the box
    assert not Comment.objects.exists()


def test_limited_comment_stays_in_the_thread_but_tells_nobody(rules: None) -> None:
    author = ava()
    note = _note(author)
    comment = engage_services.comment_create(
        author=liwei(), note=note, body="want to buy followers?", check_rate=False
    )
    comment.refresh_from_db()
    assert comment.moderation == "limited"
    assert not Notification.objects.filter(recipient=author).exists()
    notice = Notification.objects.get(recipient=comment.author, verb="moderation")
    assert notice.detail["outcome"] == "rule_limited"


def test_homophone_in_a_comment_is_held_not_refused(rules: None) -> None:
    comment = engage_services.comment_create(
        author=liwei(), note=_note(ava()), body="加我威信", check_rate=False
    )
    comment.refresh_from_db()
    assert comment.moderation == "pending"


def test_comment_report_and_appeal(moderator: User, client: Client) -> None:
    author, commenter, reporter = ava(), liwei(), UserFactory()
    note = _note(author)
    comment = engage_services.comment_create(
        author=commenter, note=note, body="you are an idiot", check_rate=False
    )
    client.force_login(reporter)
    url = reverse("moderation:report_comment", args=[comment.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"category": "nonsense"}).status_code == 400
    response = client.post(url, {"category": "harassment", "text": "rude"})
    assert response.status_code == 200
    report = Report.objects.get(comment=comment)
    assert report.case.comment_id == comment.pk
    assert ModerationCase.objects.get(comment=comment).report_count == 1
    again = client.post(url, {"category": "harassment"})
    assert "You already reported this. Thank you." in again.content.decode()
    # The commenter can't report their own comment, nor appeal someone else's.
    client.force_login(commenter)
    assert client.post(url, {"category": "spam"}).status_code == 400
    client.force_login(reporter)
    appeal_url = reverse("moderation:appeal_comment", args=[comment.pk])
    assert client.get(appeal_url).status_code == 404
    # Removed by a moderator: the commenter sees it, with the reason, and appeals.
    case = ModerationCase.objects.get(comment=comment)
    services.decision_record(
        case=case, moderator=moderator, action="remove", reason_en="Insults.", reason_zh="辱骂。"
    )
    comment.refresh_from_db()
    assert comment.moderation == "removed"
    client.force_login(author)
    assert "you are an idiot" not in client.get(f"/notes/{note.pk}/").content.decode()
    client.force_login(commenter)
    page = client.get(f"/notes/{note.pk}/").content.decode()
    assert "you are an idiot" in page and "Insults." in page
    assert client.post(appeal_url, {"text": ""}).status_code == 400
    assert client.post(appeal_url, {"text": "It was a joke between friends."}).status_code == 302
    appeal = Appeal.objects.get(comment=comment)
    services.appeal_decide(appeal=appeal, moderator=moderator, overturn=True)
    comment.refresh_from_db()
    assert comment.moderation == "published"
    outcomes = Notification.objects.filter(recipient=commenter, verb="moderation")
    assert sorted(n.detail["outcome"] for n in outcomes) == ["appeal_overturned", "removed"]


# --- bios ---------------------------------------------------------------------------------
def _bio(user: User, bio: str) -> None:
    profile = Profile.objects.get(user=user)
    accounts_services.profile_update(
        user=user, display_name=profile.display_name, bio=bio,
        languages_spoken=profile.languages_spoken, languages_learning=profile.languages_learning,
    )  # fmt: skip


def test_held_bio_waits_while_the_old_one_stays_public(
    rules: None, moderator: User, client: Client
) -> None:
    user = _language(liwei(), "en")
    _bio(user, "喜欢火锅")
    _bio(user, "喜欢火锅，卖 淫")
    profile = Profile.objects.get(user=user)
    assert (profile.bio, profile.bio_pending, profile.bio_moderation) == (
        "喜欢火锅", "喜欢火锅，卖 淫", "pending",
    )  # fmt: skip
    notice = Notification.objects.get(recipient=user, verb="moderation")
    assert (notice.detail["outcome"], notice.detail["target"]) == ("held", "bio")
    client.force_login(UserFactory())
    assert "卖 淫" not in client.get(f"/@{user.handle}").content.decode()
    client.force_login(user)
    own = client.get(f"/@{user.handle}").content.decode()
    assert "卖 淫" in own and "Under review" in own and reverse("moderation:appeal_bio") in own
    case = ModerationCase.objects.get(account=user)
    services.decision_record(case=case, moderator=moderator, action="approve")
    profile.refresh_from_db()
    assert (profile.bio, profile.bio_pending, profile.bio_moderation) == (
        "喜欢火锅，卖 淫", "", "published",
    )  # fmt: skip


def test_refused_bio_is_an_error_on_the_field_and_nothing_changes(
    rules: None, client: Client
) -> None:
    user = liwei()
    _bio(user, "hello")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile_edit"),
        {"display_name": "Li", "bio": "ＶＸ：微信 123", "ui_language": "en"},
    )
    assert response.status_code == 400
    assert "isn&#x27;t allowed on Bridgenote" in response.content.decode()
    assert Profile.objects.get(user=user).bio == "hello"


def test_removed_bio_and_appeal(rules: None, moderator: User, client: Client) -> None:
    user = liwei()
    _bio(user, "卖淫")
    case = ModerationCase.objects.get(account=user)
    services.decision_record(case=case, moderator=moderator, action="remove", reason_en="No.")
    profile = Profile.objects.get(user=user)
    assert (profile.bio, profile.bio_pending, profile.bio_moderation) == ("", "", "removed")
    client.force_login(user)
    url = reverse("moderation:appeal_bio")
    assert "No." in client.get(url).content.decode()
    assert client.post(url, {"text": "卖淫 is a word in my research title."}).status_code == 302
    assert Appeal.objects.filter(author=user, note=None, comment=None, state="open").exists()
    again = client.post(url, {"text": "again"})
    assert "Your appeal is waiting for a moderator." in again.content.decode()


def test_report_account_page(client: Client) -> None:
    target, reporter = liwei(), ava()
    client.force_login(reporter)
    url = reverse("moderation:report_account", args=[target.handle])
    assert client.post(url, {"category": "spam", "text": "bot"}).status_code == 200
    assert ModerationCase.objects.get(account=target).report_count == 1
    assert client.get(reverse("moderation:report_account", args=["nobody-here"])).status_code == 404
    client.force_login(target)
    assert client.post(url, {"category": "spam"}).status_code == 400


# --- image alt texts ----------------------------------------------------------------------
def _with_alt(note: Note, alt_text: str) -> None:
    attachment = Attachment.objects.create(owner=note.author, kind="image", alt_text=alt_text)
    NoteAttachment.objects.create(note=note, attachment=attachment, position=0)


def test_alt_texts_are_scanned_and_highlighted(rules: None, moderator: User) -> None:
    author = ava()
    with pytest.raises(services.ModerationRefused) as refused:
        services.note_check_submission(
            author=author, title="t", body="b", alt_texts=["二维码：加微信"]
        )
    assert refused.value.field == "attachments"
    decision = services.note_check_submission(
        author=author, title="t", body="b", alt_texts=["a photo, 卖淫"]
    )
    assert decision.action == "hold"
    note = _note(author)
    _with_alt(note, "a photo, 卖淫")
    services.after_note_saved(note=note)  # the alt text was saved with the attachment
    note.refresh_from_db()
    assert note.moderation == "pending"
    case = ModerationCase.objects.get(note=note)
    assert [m["field"] for m in case.matches] == ["alt_text:0"]
    client = Client()
    client.force_login(moderator)
    html = client.get(reverse("moderation:queue")).content.decode()
    assert "<mark>卖淫</mark>" in html


# --- notices of holds, and the public log -------------------------------------------------
def test_a_held_note_tells_its_author_once(rules: None) -> None:
    author = _language(ava(), "zh-hans")
    note = _note(author, body="卖淫")
    services.after_note_saved(note=note)
    services.after_note_saved(note=note)  # an edit of a held note: not told twice
    [notice] = Notification.objects.filter(recipient=author, verb="moderation")
    assert notice.detail["outcome"] == "held"
    client = Client()
    client.force_login(author)
    inbox = client.get("/notifications/?tab=comments").content.decode()
    assert "你的笔记正在审核" in inbox


def test_public_log_is_off_by_default_and_anonymous_when_on(
    settings: Any, moderator: User, client: Client
) -> None:
    url = reverse("moderation:public_log")
    assert client.get(url).status_code == 404
    settings.MODERATION_PUBLIC_LOG = True
    author = liwei()
    note = _note(author, body="body-not-for-the-log")
    case = services.case_open_for_note(note=note)
    services.decision_record(
        case=case, moderator=moderator, action="remove", reason_en="Advertising.",
        reason_zh="广告。",
    )  # fmt: skip
    html = client.get(url).content.decode()
    assert "Advertising." in html and "a note" in html
    assert "@mod" not in html and "body-not-for-the-log" not in html
    assert f"@{author.handle}" not in html
    assert "广告。" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()


def test_console_translation_resolves_held_content_for_moderators_only(
    rules: None, moderator: User, client: Client
) -> None:
    """The console's Translate buttons use the "moderation_case" kind: it resolves held
    content (which notes' own kind hides from everyone but the author) for moderators only.
    The buttons show when a translation provider is configured (the translate app's tests)."""
    note = _note(liwei(), title="周末火锅", body="今天吃火锅，卖淫广告")
    services.after_note_saved(note=note)
    case = ModerationCase.objects.get(note=note)
    url = reverse("translate:text_of", args=["moderation_case", case.pk, "body"])
    client.force_login(moderator)
    response = client.get(url, {"pinyin": "1"})
    assert response.status_code == 200
    assert "huǒ" in response.content.decode()  # pinyin of 火, from the held note's body
    client.force_login(ava())
    assert client.get(url).status_code == 404


# --- reason templates fit the content -----------------------------------------------------
@pytest.mark.parametrize(
    "kind,english,chinese",
    [
        ("note", "This note advertises", "这篇笔记含有广告"),
        ("comment", "This comment advertises", "这条评论含有广告"),
        ("bio", "This bio advertises", "这段简介含有广告"),
    ],
)
def test_templated_reasons_name_the_content_in_both_languages(
    kind: str, english: str, chinese: str, moderator: User, reason_templates: None
) -> None:
    """One starter template reads right for a note, a comment or a bio: the decision's
    reason (what the author is told) names what was decided on, in English and Chinese."""
    from bridgenote.moderation.models import ReasonTemplate

    author, reader = ava(), liwei()
    note = _note(reader)
    target: dict[str, Any] = {
        "note": {"note": _note(author)},
        "comment": {
            "comment": engage_services.comment_create(
                author=author, note=note, body="hello", check_rate=False
            )
        },
        "bio": {"account": author},
    }[kind]
    case = ModerationCase.objects.create(source="report", **target)
    spam = ReasonTemplate.objects.get(code="spam")
    decision = services.decision_record(
        case=case, moderator=moderator, action="remove", template=spam
    )
    assert decision.reason_en.startswith(english)
    assert decision.reason_zh.startswith(chinese)
    assert "{content}" not in decision.reason_en + decision.reason_zh
    assert spam.label_en.startswith("This content advertises")  # the console's list


def test_an_edited_template_without_the_placeholder_is_used_as_written(
    moderator: User,
) -> None:
    from bridgenote.moderation.models import ReasonTemplate

    mine = ReasonTemplate.objects.create(code="mine", text_en="Spam.", text_zh="垃圾信息。")
    case = ModerationCase.objects.create(source="report", account=ava())
    decision = services.decision_record(
        case=case, moderator=moderator, action="remove", template=mine
    )
    assert (decision.reason_en, decision.reason_zh) == ("Spam.", "垃圾信息。")
