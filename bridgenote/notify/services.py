"""Writing notifications. The engagement services call these in their own transaction;
nothing here is triggered by signals.

The ``*_notification(s)`` functions make the checks and return unsaved rows, so that a like or
a comment checks before its write transaction and saves them inside it with
``notifications_save`` (one INSERT in the same transaction as the like: on SQLite no write
outside the writers' queue, on PostgreSQL no commit of its own). The ``notify_*`` functions
check and save at once.

Rules every ``notify_*`` keeps: never notify yourself; nothing across a block (either way);
nothing from an account the recipient muted; the same actor doing the same thing to the same
target again (like, unlike, like) does not notify twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, Q

from bridgenote.accounts.models import User
from bridgenote.core.fastsql import Precompiled
from bridgenote.core.writes import insert_rows
from bridgenote.engage import queries
from bridgenote.engage.models import Block, Comment, Mute
from bridgenote.notes.models import Note
from bridgenote.notes.parsing import mentions_in
from bridgenote.notify.models import TAB_OF_VERB, ModerationOutcome, Notification, Verb

MENTIONS_MAX = 20


def _checks(recipient: Any, actor: Any, verb: Any, note: Any, comment: Any) -> Any:
    """One row: (either blocks the other, the recipient mutes the actor, the same
    notification exists). ``note`` / ``comment`` are ids, or None (compiled separately)."""
    same = Notification.objects.filter(recipient_id=recipient, actor_id=actor, verb=verb)
    same = same.filter(note__isnull=True) if note is None else same.filter(note_id=note)
    same = same.filter(comment__isnull=True) if comment is None else same.filter(comment_id=comment)
    return (
        User.objects.filter(pk=recipient)
        .annotate(
            blocked=Exists(
                Block.objects.filter(
                    Q(blocker_id=recipient, blocked_id=actor)
                    | Q(blocker_id=actor, blocked_id=recipient)
                )
            ),
            muted=Exists(Mute.objects.filter(muter_id=recipient, muted_id=actor)),
            told=Exists(same),
        )
        .values_list("blocked", "muted", "told")
    )


# Precompiled per (has a note, has a comment); the verb is compiled in (a handful of values).
_CHECKS = {
    (with_note, with_comment): Precompiled(
        (lambda r, a, verb, n, c: _checks(r, a, verb, n, c))
        if with_note and with_comment
        else (lambda r, a, verb, n: _checks(r, a, verb, n, None))
        if with_note
        else (lambda r, a, verb, c: _checks(r, a, verb, None, c))
        if with_comment
        else (lambda r, a, verb: _checks(r, a, verb, None, None)),
        static=("verb",),
    )
    for with_note in (False, True)
    for with_comment in (False, True)
}


def _notification(
    *,
    recipient_id: int,
    actor: User,
    verb: str,
    note: Note | None = None,
    comment: Comment | None = None,
    once: bool = True,
) -> Notification | None:
    """The notification as an unsaved row, or None when a rule says nobody is told (one
    query; ``note`` and ``comment`` may be unsaved rows whose IDs are set)."""
    if recipient_id == actor.pk:
        return None
    arguments: dict[str, Any] = {"r": recipient_id, "a": actor.pk, "verb": str(verb)}
    if note is not None:
        arguments["n"] = note.pk
    if comment is not None:
        arguments["c"] = comment.pk
    rows = _CHECKS[(note is not None, comment is not None)].rows(**arguments)
    if not rows:  # no such recipient
        return None
    blocked, muted, told = rows[0]
    if blocked or muted or (once and told):
        return None
    return Notification(
        recipient_id=recipient_id,
        actor=actor,
        verb=verb,
        tab=TAB_OF_VERB[verb],
        note=note,
        comment=comment,
    )


def _notify(**checked: Any) -> Notification | None:
    notification = _notification(**checked)
    if notification is not None:
        notification.save(force_insert=True)
    return notification


def notifications_save(notifications: Iterable[Notification | None]) -> None:
    """Save rows made by the ``*_notification(s)`` functions (one INSERT; Nones skipped).
    Call it inside the transaction of the action they tell about."""
    insert_rows([notification for notification in notifications if notification is not None])


def like_notification(*, actor: User, note: Note) -> Notification | None:
    """The note's author is told of a like (unsaved; see ``notifications_save``)."""
    return _notification(recipient_id=note.author_id, actor=actor, verb=Verb.LIKE, note=note)


def notify_like(*, actor: User, note: Note) -> None:
    notifications_save([like_notification(actor=actor, note=note)])


def notify_collect(*, actor: User, note: Note) -> None:
    _notify(recipient_id=note.author_id, actor=actor, verb=Verb.COLLECT, note=note)


def notify_follow(*, actor: User, followee: User) -> None:
    _notify(recipient_id=followee.pk, actor=actor, verb=Verb.FOLLOW)


def comment_like_notification(*, actor: User, comment: Comment) -> Notification | None:
    """The comment's author is told of a like (unsaved; see ``notifications_save``)."""
    return _notification(
        recipient_id=comment.author_id,
        actor=actor,
        verb=Verb.COMMENT_LIKE,
        note=comment.note,
        comment=comment,
    )


def notify_comment_like(*, actor: User, comment: Comment) -> None:
    notifications_save([comment_like_notification(actor=actor, comment=comment)])


def _comment_notification(comment: Comment) -> Notification | None:
    """A new comment tells the note's author; a reply tells the person it answers."""
    if comment.reply_to_user_id is not None:
        recipient_id, verb = comment.reply_to_user_id, Verb.REPLY
    else:
        recipient_id, verb = comment.note.author_id, Verb.COMMENT
    return _notification(
        recipient_id=recipient_id,
        actor=comment.author,
        verb=verb,
        note=comment.note,
        comment=comment,
        once=False,
    )


def comment_notifications(*, comment: Comment) -> list[Notification]:
    """Everyone a published comment tells: the note's author or the answered person, and the
    @mentioned (each once). Unsaved rows (see ``notifications_save``); ``comment`` may be an
    unsaved row whose ID is set, so the checks can run before its write transaction."""
    told = _comment_notification(comment)
    exclude = {told.recipient_id} if told is not None else set()
    mentions = mention_notifications(note=comment.note, comment=comment, exclude=exclude)
    return [told, *mentions] if told is not None else mentions


def notify_comment(*, comment: Comment) -> set[int]:
    """Save the comment's or reply's notification (``_comment_notification``). Returns who
    was told (so mentions don't tell them twice)."""
    made = _comment_notification(comment)
    if made is None:
        return set()
    made.save(force_insert=True)
    return {made.recipient_id}


def mentioned_handles(text: str) -> list[str]:
    """The distinct @handles in a text, in order, at most MENTIONS_MAX; the notes parser
    decides what a mention is, so notes and comments agree."""
    return mentions_in(text)[:MENTIONS_MAX]


def notify_mentions(
    *, note: Note, comment: Comment | None = None, exclude: Collection[int] = ()
) -> list[int]:
    """Tell the people @mentioned in a note (its title, body and ``note.mentions``) or, with
    ``comment``, in that comment. Only people who can see the note are told, once per note or
    comment. Call it when a note is published (the notes app) and for a comment approved
    later (moderation). Returns the IDs of the people told."""
    made = mention_notifications(note=note, comment=comment, exclude=exclude)
    notifications_save(made)
    return [notification.recipient_id for notification in made]


def mention_notifications(
    *, note: Note, comment: Comment | None = None, exclude: Collection[int] = ()
) -> list[Notification]:
    """The notifications of ``notify_mentions``, unsaved (see ``notifications_save``)."""
    if comment is not None:
        actor, text, extra_ids = comment.author, comment.body, set()
    else:
        actor, text = note.author, f"{note.title}\n{note.body}"
        extra_ids = set(note.mentions.values_list("pk", flat=True)) if note.pk else set()
    handles = mentioned_handles(text)
    if not handles and not extra_ids:
        return []
    by_handle = Q()
    for handle in handles:
        by_handle |= Q(handle__iexact=handle)
    users = User.objects.filter(is_active=True).filter(
        (by_handle if handles else Q(pk__in=[])) | Q(pk__in=extra_ids)
    )
    made: list[Notification] = []
    for user in users[:MENTIONS_MAX]:
        if user.pk in exclude or not queries.visible_notes(user).filter(pk=note.pk).exists():
            continue
        notification = _notification(
            recipient_id=user.pk, actor=actor, verb=Verb.MENTION, note=note, comment=comment
        )
        if notification is not None:
            made.append(notification)
    return made


def notify_moderation(
    *,
    note_id: int | None = None,
    outcome: str,
    reason_en: str = "",
    reason_zh: str = "",
    category: str = "",
    comment_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
) -> Notification | None:
    """Tell the author of a note, a comment (``comment_id``) or a bio (``account_id``) what
    moderation did (``outcome``: a ``ModerationOutcome``; "held" and "rule_limited" are the
    rules' doing), with the decision's reason in both languages; the page shows the
    recipient's. The moderation services call it (through ``tasks.moderation_outcome``)
    after their transaction commits. No actor: moderators are not named. Nothing when the
    content is gone. ``detail["target"]`` is "note", "comment" or "bio", or "account" (with
    ``account_id`` and ``target="account"``: an account action, warn, limit or suspend)."""
    written = _moderation_notices(
        [
            {
                "note_id": note_id, "outcome": outcome, "reason_en": reason_en,
                "reason_zh": reason_zh, "category": category, "comment_id": comment_id,
                "account_id": account_id, "target": target,
            }
        ]
    )  # fmt: skip
    return written[0] if written else None


def notify_moderation_many(items: list[dict[str, Any]]) -> int:
    """``notify_moderation(**item)`` for each item (a moderation rescan's batch), in one
    insert. Returns how many notifications were written."""
    return len(_moderation_notices(items))


def _moderation_notices(items: list[dict[str, Any]]) -> list[Notification]:
    """The notifications of ``notify_moderation`` for ``items`` (its keyword arguments), in
    their order, skipping gone content: one query per kind of target, one insert. An unknown
    outcome raises ValueError before anything is written."""
    for item in items:
        if item.get("outcome") not in ModerationOutcome.values:
            raise ValueError(f"unknown moderation outcome {item.get('outcome')!r}")
    wanted: dict[str, set[int]] = {"comment": set(), "account": set(), "note": set()}
    for item in items:
        kind, pk = _moderation_target(item)
        if pk is not None:
            wanted[kind].add(pk)
    comments = {
        pk: (author_id, note_id)
        for pk, author_id, note_id in Comment.objects.filter(pk__in=wanted["comment"]).values_list(
            "pk", "author_id", "note_id"
        )
    }
    accounts = set(User.objects.filter(pk__in=wanted["account"]).values_list("pk", flat=True))
    note_authors = dict(Note.objects.filter(pk__in=wanted["note"]).values_list("pk", "author_id"))
    rows = []
    for item in items:
        kind, pk = _moderation_target(item)
        fields: dict[str, Any]
        if kind == "comment" and pk in comments:
            author_id, note_id = comments[pk]
            fields, target = {"recipient_id": author_id, "note_id": note_id, "comment_id": pk}, kind
        elif kind == "account" and pk in accounts:
            fields = {"recipient_id": pk}
            target = "account" if item.get("target") == "account" else "bio"
        elif kind == "note" and pk in note_authors:
            fields, target = {"recipient_id": note_authors[pk], "note_id": pk}, kind
        else:
            continue  # the content is gone
        detail = {
            "outcome": item["outcome"],
            "reason_en": item.get("reason_en", ""),
            "reason_zh": item.get("reason_zh", ""),
            "category": item.get("category", ""),
            "target": target,
        }
        rows.append(
            Notification(
                actor=None,
                verb=Verb.MODERATION,
                tab=TAB_OF_VERB[Verb.MODERATION],
                detail=detail,
                **fields,
            )
        )
    return Notification.objects.bulk_create(rows)


def _moderation_target(item: dict[str, Any]) -> tuple[str, int | None]:
    """What a ``notify_moderation`` item is about: ("comment" | "account" | "note", its id)."""
    if item.get("comment_id") is not None:
        return "comment", item["comment_id"]
    if item.get("account_id") is not None:
        return "account", item["account_id"]
    return "note", item.get("note_id")


def notifications_forget_between(*, a: User, b: User) -> None:
    """After a block: remove what each of the two was told about the other."""
    Notification.objects.filter(Q(recipient=a, actor=b) | Q(recipient=b, actor=a)).delete()


def notifications_forget_comment(*, comment: Comment) -> None:
    """A deleted comment's notifications go with it."""
    Notification.objects.filter(comment=comment).delete()


def notifications_mark_read(*, user: User, tab: str | None = None) -> int:
    """Mark the user's unread notifications read, in one tab or all. Returns how many."""
    with transaction.atomic():
        unread = Notification.objects.filter(recipient=user, is_read=False)
        if tab is not None:
            unread = unread.filter(tab=tab)
        return unread.update(is_read=True)


@transaction.atomic
def notification_dismiss(*, user: User, notification_id: int) -> bool:
    """Delete one of the user's own notifications; False when there was none (idempotent)."""
    deleted, _ = Notification.objects.filter(pk=notification_id, recipient=user).delete()
    return bool(deleted)


@transaction.atomic
def notifications_clear(*, user: User) -> int:
    """Delete all of the user's notifications. Returns how many."""
    deleted, _ = Notification.objects.filter(recipient=user).delete()
    return deleted
