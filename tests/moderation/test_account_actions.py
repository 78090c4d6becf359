"""Account actions from the moderator console: warn, limit, suspend (and lifting them)."""

from __future__ import annotations

import datetime as dt
import importlib
import secrets
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.accounts.models import Profile, User
from bridgenote.api.models import OAuthApplication
from bridgenote.moderation import services
from bridgenote.moderation.models import AccountStanding, ModerationDecision, ReasonTemplate
from bridgenote.notes.models import Note
from bridgenote.notify import queries
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def account_templates(db: None) -> None:
    migration = importlib.import_module("bridgenote.moderation.migrations.0005_account_actions")
    migration.add_account_templates(apps, None)


@pytest.fixture
def moderator() -> User:
    return UserFactory(handle="mod", is_moderator=True)


@pytest.fixture
def moderator_client(client: Client, moderator: User) -> Client:
    client.force_login(moderator)
    return client


def _template(code: str = "account_spam") -> ReasonTemplate:
    return ReasonTemplate.objects.get(code=code)


def _note(author: User, title: str = "Brunch") -> Note:
    return Note.objects.create(
        author=author, title=title, body="x", status=Note.Status.PUBLISHED, media_ready=True,
        published_at=timezone.now(),
    )  # fmt: skip


def _act(client: Client, account: User, action: str, **extra: Any) -> Any:
    data = {"action": action, "template": _template().pk, "reason_en": "", "reason_zh": ""}
    data.update(extra)
    return client.post(reverse("moderation:account", args=[account.pk]), data)


def _notice(user: User) -> tuple[str, str]:
    user = User.objects.select_related("profile").get(pk=user.pk)
    page = queries.notification_page(user=user, tab="comments", cursor=None)
    group = page.groups[0]
    return group.sentence, group.reason


@pytest.mark.parametrize(
    "language,sentence,reason",
    [
        ("en", "A moderator warned you", "This account posts advertising"),
        ("zh-hans", "管理员就你在 Bridgenote 上的行为向你发出了警告", "该账号发布广告"),
    ],
)
def test_warn_tells_the_user_in_their_language(
    language: str, sentence: str, reason: str, moderator_client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    user = liwei()
    Profile.objects.filter(user=user).update(ui_language=language)
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(moderator_client, user, "warn")
    assert response.status_code == 302
    notice = Notification.objects.get(recipient=user)
    assert notice.detail["target"] == "account" and notice.detail["outcome"] == "warned"
    other = "en" if language == "zh-hans" else "zh-hans"
    with translation.override(other):  # the recipient's language wins
        text, shown_reason = _notice(user)
    assert text.startswith(sentence)
    assert shown_reason.startswith(reason)
    assert AccountStanding.objects.get(user=user).warnings == 1
    log = moderator_client.get(reverse("moderation:log")).content.decode()
    assert "This account posts advertising" in log


def test_limited_account_notes_leave_discover_and_come_back(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    author, reader = ava(), liwei()
    old = _note(author)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action(
            account=author, moderator=moderator, action="limit_account", template=_template()
        )
    new = _note(author, title="New brunch")  # what notes.services does after saving:
    services.after_note_saved(note=new, decision=services.note_check_submission(
        author=author, title=new.title, body=new.body))  # fmt: skip
    assert {old.pk: "limited", new.pk: "limited"} == dict(
        Note.objects.filter(author=author).values_list("pk", "moderation")
    )
    assert not Note.objects.visible_to(reader).discoverable().filter(author=author).exists()
    # still reachable by link and from the profile
    client = Client()
    client.force_login(reader)
    assert client.get(f"/notes/{old.pk}/").status_code == 200
    assert Notification.objects.get(recipient=author).detail["outcome"] == "account_limited"
    services.account_action(
        account=author, moderator=moderator, action="unlimit_account", reason_en="Lifted."
    )
    assert set(Note.objects.visible_to(reader).discoverable().filter(author=author)) == {old, new}


def test_suspended_user_cannot_sign_in_and_their_notes_404(
    moderator_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user, reader = ava(), liwei()
    user.set_password("a long passphrase 42")
    user.save()
    note = _note(user)
    limited = _note(user, title="limited one")
    Note.objects.filter(pk=limited.pk).update(moderation="limited")
    session = Client()
    session.force_login(user)
    assert session.get("/notifications/").status_code == 200
    app = OAuthApplication.objects.create(
        name="Elk", redirect_uris="https://elk.example/callback", scopes="read",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip
    raw = secrets.token_urlsafe(32)
    token = AccessToken(user=user, application=app, scope="read",
                        expires=timezone.now() + dt.timedelta(days=1))  # fmt: skip
    set_token_value(token, raw)
    token.save()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get("/api/v1/accounts/verify_credentials", **bearer).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert _act(moderator_client, user, "suspend").status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert authenticate(username="ava", password="a long passphrase 42") is None
    assert session.get("/notifications/").status_code == 302  # signed out
    assert Client().get("/api/v1/accounts/verify_credentials", **bearer).status_code == 401
    reader_client = Client()
    reader_client.force_login(reader)
    assert reader_client.get(f"/notes/{note.pk}/").status_code == 404
    assert not Note.objects.visible_to(reader).filter(author=user).exists()
    assert Notification.objects.get(recipient=user).detail["outcome"] == "suspended"

    with django_capture_on_commit_callbacks(execute=True):
        assert _act(moderator_client, user, "unsuspend").status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert dict(Note.objects.filter(author=user).values_list("pk", "moderation")) == {
        note.pk: "published", limited.pk: "limited",
    }  # fmt: skip
    assert reader_client.get(f"/notes/{note.pk}/").status_code == 200
    actions = list(ModerationDecision.objects.filter(account=user).values_list("action", flat=True))
    assert sorted(actions) == ["suspend", "unsuspend"]


def test_account_action_needs_a_reason_and_a_valid_action(moderator_client: Client) -> None:
    user = ava()
    response = _act(moderator_client, user, "suspend", template="")
    assert response.status_code == 400
    assert "reason" in response.content.decode()
    assert _act(moderator_client, user, "delete").status_code == 400
    assert _act(moderator_client, user, "unsuspend").status_code == 400  # not suspended
    assert User.objects.get(pk=user.pk).is_active
    assert not ModerationDecision.objects.filter(account=user).exists()


def test_account_page_in_chinese_and_linked_from_a_report_case(
    moderator_client: Client, moderator: User
) -> None:
    user, reporter = ava(), liwei()
    services.report_create(reporter=reporter, account=user, category="spam", text="")
    case = services.ModerationCase.objects.get(account=user)
    html = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert reverse("moderation:account", args=[user.pk]) in html
    page = moderator_client.get(
        reverse("moderation:account", args=[user.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "警告" in page and "暂停" in page


def test_normal_users_cannot_act(client: Client) -> None:
    user, other = ava(), liwei()
    client.force_login(other)
    assert _act(client, user, "suspend").status_code == 404
    with pytest.raises(services.ModerationError):
        services.account_action(account=user, moderator=other, action="warn", template=_template())
    assert User.objects.get(pk=user.pk).is_active


def _comment(author: User, note: Note, body: str = "so pretty") -> Any:
    from bridgenote.engage import services as engage

    return engage.comment_create(author=author, note=note, body=body, check_rate=False)


def _thread_ids(viewer: User, note: Note) -> set[int]:
    from bridgenote.engage.queries import comment_thread

    thread = comment_thread(viewer=viewer, note=note)
    return {c.pk for root in thread.roots for c in [root, *root.reply_list]}


def test_limited_account_comments_and_bio_are_limited_and_come_back(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Limiting: the account's published comments and bio become "limited" (still shown in
    threads and on the profile, still counted), held ones stay held, new comments are
    limited too; lifting the limit publishes exactly what it limited."""
    from bridgenote.engage.models import Comment

    author, reader = ava(), liwei()
    note = _note(reader)
    shown = _comment(author, note)
    held = _comment(author, note, "waiting")
    Comment.objects.filter(pk=held.pk).update(moderation="pending")
    Note.objects.filter(pk=note.pk).update(comment_count=1)
    Profile.objects.filter(user=author).update(bio="Brunch in Chengdu")
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action(
            account=author, moderator=moderator, action="limit_account", template=_template()
        )
    later = _comment(author, note, "and another")
    states = dict(Comment.objects.filter(author=author).values_list("pk", "moderation"))
    assert states == {shown.pk: "limited", held.pk: "pending", later.pk: "limited"}
    assert Profile.objects.get(user=author).bio_moderation == "limited"
    assert _thread_ids(reader, note) == {shown.pk, later.pk}
    assert Note.objects.get(pk=note.pk).comment_count == 2
    client = Client()
    client.force_login(reader)
    assert "Brunch in Chengdu" in client.get("/@ava").content.decode()
    services.account_action(
        account=author, moderator=moderator, action="unlimit_account", reason_en="Lifted."
    )
    states = dict(Comment.objects.filter(author=author).values_list("pk", "moderation"))
    assert states == {shown.pk: "published", held.pk: "pending", later.pk: "published"}
    assert Profile.objects.get(user=author).bio_moderation == "published"
    assert AccountStanding.objects.get(user=author).limited_comments == []


def test_limit_and_unlimit_wait_for_the_end_of_a_suspension(moderator: User) -> None:
    """While suspended, the content is removed with its earlier states saved: a limit then would
    be undone by the unsuspension, so it is refused with a clear message, and nothing moves."""
    author = ava()
    note = _note(author)
    services.account_action(account=author, moderator=moderator, action="suspend",
                            template=_template())  # fmt: skip
    for action in ("limit_account", "unlimit_account"):
        with pytest.raises(services.ModerationError) as refused:
            services.account_action(account=author, moderator=moderator, action=action,
                                    template=_template())  # fmt: skip
        assert refused.value.code == "suspended"
    assert not AccountStanding.objects.get(user=author).limited
    services.account_action(account=author, moderator=moderator, action="unsuspend",
                            template=_template())  # fmt: skip
    note.refresh_from_db()
    assert note.moderation == "published"


def test_approving_held_content_of_a_limited_account_limits_it(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """A held note, comment or bio of a limited account that a moderator approves is limited
    like the rest of the account's content (the author is told it is limited), and lifting
    the account's limit publishes it with the rest."""
    from bridgenote.engage.models import Comment

    author, reader = ava(), liwei()
    note, other_note = _note(author, "held note"), _note(reader, "theirs")
    comment = _comment(author, other_note, "held comment")
    services.account_action(account=author, moderator=moderator, action="limit_account",
                            template=_template())  # fmt: skip
    Note.objects.filter(pk=note.pk).update(moderation="pending")
    Comment.objects.filter(pk=comment.pk).update(moderation="pending")
    Profile.objects.filter(user=author).update(bio_pending="new bio", bio_moderation="pending")
    cases = [
        services.case_open(note=note, matches=[]),
        services.case_open(comment=comment, matches=[]),
        services.case_open(account_id=author.pk, matches=[]),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for case in cases:
            services.decision_record(case=case, moderator=moderator, action="approve")
    assert Note.objects.get(pk=note.pk).moderation == "limited"
    assert Comment.objects.get(pk=comment.pk).moderation == "limited"
    profile = Profile.objects.get(user=author)
    assert (profile.bio, profile.bio_moderation) == ("new bio", "limited")
    assert Notification.objects.filter(recipient=author, detail__outcome="limited").exists()
    services.account_action(account=author, moderator=moderator, action="unlimit_account",
                            template=_template())  # fmt: skip
    assert Note.objects.get(pk=note.pk).moderation == "published"
    assert Comment.objects.get(pk=comment.pk).moderation == "published"
    assert Profile.objects.get(user=author).bio_moderation == "published"


def test_suspended_account_comments_and_bio_are_hidden_and_come_back(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Suspending removes the account's shown comments from everyone (and from the note's
    count) and hides its bio with its profile; unsuspending gives back the states."""
    from bridgenote.engage.models import Comment

    author, reader = ava(), liwei()
    note = _note(reader)
    shown = _comment(author, note)
    limited = _comment(author, note, "limited one")
    Comment.objects.filter(pk=limited.pk).update(moderation="limited")
    reply = _comment(reader, note, "thanks")
    Profile.objects.filter(user=author).update(bio="Brunch in Chengdu")
    assert Note.objects.get(pk=note.pk).comment_count == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.account_action(
            account=author, moderator=moderator, action="suspend", template=_template()
        )
    assert _thread_ids(reader, note) == {reply.pk}
    assert Note.objects.get(pk=note.pk).comment_count == 1
    client = Client()
    client.force_login(reader)
    assert client.get("/@ava").status_code == 404  # the bio goes with the profile
    assert Client().get(f"/api/v1/accounts/{author.pk}").status_code == 404
    services.account_action(
        account=author, moderator=moderator, action="unsuspend", reason_en="Lifted."
    )
    states = dict(Comment.objects.filter(author=author).values_list("pk", "moderation"))
    assert states == {shown.pk: "published", limited.pk: "limited"}
    assert Note.objects.get(pk=note.pk).comment_count == 3
    assert "Brunch in Chengdu" in client.get("/@ava").content.decode()


def test_suspension_ends_the_accounts_sessions_by_key(
    moderator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the suspended account's sessions go, found by their account column
    (``AccountSession.user_id``), without decoding anyone's session, also a session whose key
    changed since its log-in (a password change cycles it); other people stay signed in, and
    lifting the suspension signs nobody back in."""
    from bridgenote.accounts.models import AccountSession
    from bridgenote.accounts.sessions import SessionStore

    user, other = ava(), liwei()
    phone, laptop, bystander = Client(), Client(), Client()
    phone.force_login(user)
    laptop.force_login(user)
    bystander.force_login(other)
    cycled = SessionStore(laptop.session.session_key)
    cycled.cycle_key()  # what a password change does to the session it is made in
    laptop.cookies[settings.SESSION_COOKIE_NAME] = cycled.session_key
    assert AccountSession.objects.filter(user_id=user.pk).count() == 2

    def no_decoding(self: Any) -> None:
        raise AssertionError("a session was decoded")

    monkeypatch.setattr(AccountSession, "get_decoded", no_decoding)
    services.account_action(account=user, moderator=moderator, action="suspend",
                            template=_template())  # fmt: skip
    assert not AccountSession.objects.filter(user_id=user.pk).exists()
    services.account_action(account=user, moderator=moderator, action="unsuspend",
                            template=_template())  # fmt: skip
    assert phone.get("/notifications/").status_code == 302  # signed out: to the sign-in page
    assert laptop.get("/notifications/").status_code == 302
    assert bystander.get("/notifications/").status_code == 200
    bystander.post("/accounts/logout/")
    assert not AccountSession.objects.filter(user_id=other.pk).exists()


def test_unsuspension_restores_notes_set_based_and_feeds_and_search_follow(
    moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Lifting a suspension gives the notes back their states with one UPDATE per earlier
    state (not one per note); a note removed before the suspension stays removed; the
    follower's feed and search show exactly what they showed before; counters do not move."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bridgenote.engage import services as engage
    from bridgenote.feeds.queries import following_page
    from bridgenote.notes import services as notes
    from bridgenote.search.queries import search_notes, search_request

    capture = django_capture_on_commit_callbacks
    author, reader = ava(), liwei()
    engage.follow_create(follower=reader, followee=author)
    made = [_note(author, title=f"Brunch {i}") for i in range(8)]
    Profile.objects.filter(user=author).update(note_count=len(made))
    with capture(execute=True):  # what publishing does after commit: feeds, search
        notes.notes_changed(note_ids=[n.pk for n in made])
    limited, removed = made[1], made[2]
    Note.objects.filter(pk=limited.pk).update(moderation="limited")
    with capture(execute=True):
        Note.objects.filter(pk=removed.pk).update(moderation="removed")
        notes.notes_changed(note_ids=[removed.pk])
    states = dict(Note.objects.filter(author=author).values_list("pk", "moderation"))

    def shown() -> tuple[set[int], set[int]]:
        feed = following_page(reader, cursor=None).notes
        found = search_notes(search_request("brunch"), viewer=reader).notes
        return {n.pk for n in feed}, {n.pk for n in found}

    before = shown()
    assert before[0] == {n.pk for n in made} - {removed.pk}
    assert before[1] == before[0] - {limited.pk}  # a limited note is out of search
    with capture(execute=True):
        services.account_action(account=author, moderator=moderator, action="suspend",
                                template=_template())  # fmt: skip
    assert shown() == (set(), set())

    with capture(execute=True), CaptureQueriesContext(connection) as queries:
        services.account_action(account=author, moderator=moderator, action="unsuspend",
                                reason_en="Lifted.")  # fmt: skip
    note_updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "notes_note"')
    ]
    assert len(note_updates) == 2  # published, limited: whatever the number of notes
    assert dict(Note.objects.filter(author=author).values_list("pk", "moderation")) == states
    assert shown() == before
    assert Profile.objects.get(user=author).note_count == len(made)
    assert AccountStanding.objects.get(user=author).suspended_notes == {}
