"""Reading notifications: the unread badge, and a tab's page grouped for display."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from bridgenote.accounts.models import User
from bridgenote.accounts.sessions import SessionStore
from bridgenote.core.fastsql import Precompiled
from bridgenote.engage.models import Comment
from bridgenote.notes.models import Note
from bridgenote.notify.models import ModerationOutcome, Notification, Tab, Verb


def _unread_of(recipient: Any) -> Any:
    """The count of ``recipient``'s unread notifications, as a one-row queryset (over the
    partial index of unread notifications); ``recipient`` may be an ``OuterRef``."""
    return (
        Notification.objects.filter(recipient_id=recipient, is_read=False)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("id"))
    )


# Asked where the badge is not read with the session: compiled once per process.
_UNREAD = Precompiled(lambda user: _unread_of(user).values_list("n"))


def unread_count(user: Any) -> int:
    """One indexed COUNT over the partial index of unread notifications."""
    if not getattr(user, "is_authenticated", False):
        return 0
    rows = _UNREAD.rows(user=user.pk)
    return int(rows[0][0]) if rows else 0


def unread_expression() -> Any:
    """``unread_count`` as an expression over an outer query's ``user_id``: the session's
    query reads it with the session (``accounts/sessions.py``, ``ACCOUNT_VALUES``)."""
    return Coalesce(Subquery(_unread_of(OuterRef("user_id")).values("n")), 0)


def unread_count_on_page(request: HttpRequest) -> int:
    """``unread_count`` of the signed-in user as read with the session at the start of this
    request, with no query of its own. For pages that change no notification before they
    show the badge (the feed and note pages); anything else asks ``unread_count``."""
    user = request.user
    if not user.is_authenticated:
        return 0
    session = getattr(request, "session", None)
    value = (
        session.account_value(user.pk, "notify.unread")
        if isinstance(session, SessionStore)
        else None
    )
    return int(value) if value is not None else unread_count(user)


def unread_by_tab(user: Any) -> dict[str, int]:
    counts = {t.value: 0 for t in Tab}
    if getattr(user, "is_authenticated", False):
        rows = (
            Notification.objects.filter(recipient_id=user.pk, is_read=False)
            .values("tab")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update({row["tab"]: row["n"] for row in rows})
    return counts


@dataclass
class Group:
    """Notifications shown as one line: the same verb on the same target."""

    verb: str
    note: Note | None
    comment: Comment | None
    created_at: datetime
    latest_id: int
    unread: bool = False
    actors: list[User] = field(default_factory=list)
    actor_count: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    language: str = ""  # the recipient's language (moderation notices are rendered in it)

    @property
    def actor(self) -> User | None:
        return self.actors[0] if self.actors else None

    @property
    def outcome(self) -> str:
        return str(self.detail.get("outcome", ""))

    @property
    def target(self) -> str:
        """What a moderation notice is about: "note", "comment" or "bio"."""
        return str(self.detail.get("target", "note"))

    @property
    def appealable(self) -> bool:
        """A hold, limit or removal the author may appeal (the link goes to the appeal page)."""
        return self.outcome in (
            ModerationOutcome.LIMITED, ModerationOutcome.REMOVED, ModerationOutcome.HELD,
            ModerationOutcome.RULE_LIMITED,
        )  # fmt: skip

    @property
    def appeal_url(self) -> str:
        """The appeal page of what the notice is about ("" when there is nothing to appeal)."""
        from django.urls import reverse

        if not self.appealable:
            return ""
        if self.target == "comment" and self.comment is not None:
            return reverse("moderation:appeal_comment", args=[self.comment.pk])
        if self.target == "bio":
            return reverse("moderation:appeal_bio")
        return reverse("moderation:appeal", args=[self.note.pk]) if self.note else ""

    @property
    def reason(self) -> str:
        """The decision's reason in the recipient's language (the other one if it is empty)."""
        en, zh = str(self.detail.get("reason_en", "")), str(self.detail.get("reason_zh", ""))
        if (self.language or translation.get_language() or "").startswith("zh"):
            return zh or en
        return en or zh

    @property
    def sentence(self) -> str:
        """ "ava liked your note" / "ava and 12 others liked your note", whole sentences."""
        if self.verb == Verb.MODERATION:
            sentences = MODERATION_OF_TARGET.get(self.target, MODERATION)
            with translation.override(self.language or translation.get_language()):
                return str(sentences.get(self.outcome, sentences[""])())
        assert self.actor is not None
        name = _name(self.actor)
        others = self.actor_count - 1
        if others == 0:
            return SINGLE[self.verb]() % {"actor": name}
        return GROUPED[self.verb](others) % {"actor": name, "count": others}


def _name(user: User) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or f"@{user.handle}"


SINGLE: dict[str, Callable[[], str]] = {
    Verb.LIKE: lambda: gettext("%(actor)s liked your note"),
    Verb.COLLECT: lambda: gettext("%(actor)s collected your note"),
    Verb.COMMENT_LIKE: lambda: gettext("%(actor)s liked your comment"),
    Verb.FOLLOW: lambda: gettext("%(actor)s started following you"),
    Verb.COMMENT: lambda: gettext("%(actor)s commented on your note"),
    Verb.REPLY: lambda: gettext("%(actor)s replied to your comment"),
    Verb.MENTION: lambda: gettext("%(actor)s mentioned you"),
}
GROUPED: dict[str, Callable[[int], str]] = {
    Verb.LIKE: lambda n: ngettext(
        "%(actor)s and %(count)d other liked your note",
        "%(actor)s and %(count)d others liked your note",
        n,
    ),
    Verb.COLLECT: lambda n: ngettext(
        "%(actor)s and %(count)d other collected your note",
        "%(actor)s and %(count)d others collected your note",
        n,
    ),
    Verb.COMMENT_LIKE: lambda n: ngettext(
        "%(actor)s and %(count)d other liked your comment",
        "%(actor)s and %(count)d others liked your comment",
        n,
    ),
    Verb.FOLLOW: lambda n: ngettext(
        "%(actor)s and %(count)d other started following you",
        "%(actor)s and %(count)d others started following you",
        n,
    ),
}
MODERATION: dict[str, Callable[[], str]] = {
    ModerationOutcome.LIMITED: lambda: gettext(
        "A moderator limited your note: it stays on your profile but is not shown in Discover."
    ),
    ModerationOutcome.REMOVED: lambda: gettext("A moderator removed your note."),
    ModerationOutcome.APPROVED: lambda: gettext("A moderator approved your note: it is public."),
    ModerationOutcome.APPEAL_UPHELD: lambda: gettext(
        "A moderator reviewed your appeal and kept the decision."
    ),
    ModerationOutcome.APPEAL_OVERTURNED: lambda: gettext(
        "Your appeal was accepted: your note is public again."
    ),
    ModerationOutcome.HELD: lambda: gettext(
        "Your note is under review: only you can see it until a moderator checks it."
    ),
    ModerationOutcome.RULE_LIMITED: lambda: gettext(
        "Your note is limited: it stays on your profile but is not shown in Discover."
    ),
    "": lambda: gettext("A moderator reviewed your note."),
}
MODERATION_COMMENT: dict[str, Callable[[], str]] = {
    ModerationOutcome.LIMITED: lambda: gettext(
        "A moderator limited your comment: it stays in the thread, but nobody is notified."
    ),
    ModerationOutcome.REMOVED: lambda: gettext("A moderator removed your comment."),
    ModerationOutcome.APPROVED: lambda: gettext(
        "A moderator approved your comment: everyone can see it."
    ),
    ModerationOutcome.APPEAL_UPHELD: MODERATION[ModerationOutcome.APPEAL_UPHELD],
    ModerationOutcome.APPEAL_OVERTURNED: lambda: gettext(
        "Your appeal was accepted: your comment is visible again."
    ),
    ModerationOutcome.HELD: lambda: gettext(
        "Your comment is under review: only you can see it until a moderator checks it."
    ),
    ModerationOutcome.RULE_LIMITED: lambda: gettext(
        "Your comment is limited: it stays in the thread, but nobody is notified."
    ),
    "": lambda: gettext("A moderator reviewed your comment."),
}
MODERATION_BIO: dict[str, Callable[[], str]] = {
    ModerationOutcome.LIMITED: lambda: gettext("A moderator limited your bio."),
    ModerationOutcome.REMOVED: lambda: gettext("A moderator removed your bio."),
    ModerationOutcome.APPROVED: lambda: gettext(
        "A moderator approved your bio: it is on your profile."
    ),
    ModerationOutcome.APPEAL_UPHELD: MODERATION[ModerationOutcome.APPEAL_UPHELD],
    ModerationOutcome.APPEAL_OVERTURNED: lambda: gettext(
        "Your appeal was accepted: your bio is on your profile again."
    ),
    ModerationOutcome.HELD: lambda: gettext(
        "Your new bio is under review: others see the previous one until a moderator checks it."
    ),
    ModerationOutcome.RULE_LIMITED: lambda: gettext("Your bio is limited."),
    "": lambda: gettext("A moderator reviewed your bio."),
}
MODERATION_ACCOUNT: dict[str, Callable[[], str]] = {
    ModerationOutcome.WARNED: lambda: gettext(
        "A moderator warned you about your activity on Bridgenote."
    ),
    ModerationOutcome.ACCOUNT_LIMITED: lambda: gettext(
        "A moderator limited your account: your notes stay on your profile and reach your "
        "followers, but are not shown in Discover, search or topic pages."
    ),
    ModerationOutcome.ACCOUNT_UNLIMITED: lambda: gettext(
        "A moderator lifted the limit on your account: your notes can appear in Discover again."
    ),
    ModerationOutcome.SUSPENDED: lambda: gettext(
        "A moderator suspended your account: you can't sign in and your notes are hidden."
    ),
    ModerationOutcome.UNSUSPENDED: lambda: gettext(
        "A moderator lifted the suspension of your account: your notes are visible again."
    ),
    "": lambda: gettext("A moderator reviewed your account."),
}
MODERATION_OF_TARGET = {
    "note": MODERATION, "comment": MODERATION_COMMENT, "bio": MODERATION_BIO,
    "account": MODERATION_ACCOUNT,
}  # fmt: skip
# Comments, replies, mentions and moderation notices each carry their own text, so they are
# never grouped.
GROUPABLE = set(GROUPED)


@dataclass
class Page:
    groups: list[Group]
    next_cursor: int | None


def recipient_language(user: User) -> str:
    """The language a user reads their notifications in: Profile.ui_language, else the
    request's."""
    profile = getattr(user, "profile", None)
    return (getattr(profile, "ui_language", "") or "") or translation.get_language() or "en"


def notification_page(*, user: User, tab: str, cursor: int | None, limit: int = 40) -> Page:
    """One page of a tab, newest first, grouped. The cursor is the last notification ID seen;
    a group never spans two pages (the next page may start a new line for the same target)."""
    language = recipient_language(user)
    rows = (
        Notification.objects.filter(recipient=user, tab=tab)
        .select_related("actor__profile", "note", "comment__reply_to_user")
        .order_by("-pk")
    )
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    batch = list(rows[: limit + 1])
    more = len(batch) > limit
    batch = batch[:limit]
    groups: dict[tuple[Any, ...], Group] = {}
    for n in batch:
        if n.verb in GROUPABLE:
            day = n.created_at.date() if n.verb == Verb.FOLLOW else None
            key: tuple[Any, ...] = (n.verb, n.note_id, n.comment_id, day)
        else:
            key = ("single", n.pk)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(
                verb=n.verb,
                note=n.note,
                comment=n.comment,
                created_at=n.created_at,
                latest_id=n.pk,
                detail=n.detail or {},
                language=language,
            )
        if n.actor is not None and all(a.pk != n.actor_id for a in group.actors):
            group.actors.append(n.actor)
            group.actor_count += 1
        group.unread = group.unread or not n.is_read
    return Page(groups=list(groups.values()), next_cursor=batch[-1].pk if more else None)
