"""Every engagement write: follow, block, mute, like, boards and collects, comments.

Each service runs in one transaction, keeps the denormalised counters right with ``F()``
updates (changed only when a row was really added or removed, so repeating a call is a
no-op), and calls the notify services itself (no signals). Errors are ``engage.errors``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bridgenote.accounts.models import Profile, User
from bridgenote.accounts.services import profile_touch_territory
from bridgenote.core import ratelimit
from bridgenote.core.text import detect_language
from bridgenote.core.writes import counters_add, insert_if_absent, insert_rows, write_transaction
from bridgenote.engage import queries
from bridgenote.engage.errors import Forbidden, Invalid, NotFound, RateLimited
from bridgenote.engage.models import (
    SHOWN_STATES,
    Block,
    Board,
    Collect,
    Comment,
    CommentLike,
    Follow,
    Like,
    Mute,
)
from bridgenote.moderation.rules import Decision
from bridgenote.notes.models import Note
from bridgenote.notify import services as notify

BOARD_NAME_MAX = 40


def _profile_add(user_id: int, **deltas: int) -> None:
    counters_add(Profile, user_id, **deltas)


def _refuse_if_blocked(actor_id: int, other_id: int) -> None:
    if queries.blocked_between(actor_id, other_id):
        raise Forbidden("blocked", _("You can't interact with this account."))


# --- follows ---------------------------------------------------------------------------------


def _after_follow_changed(follower: User, followee: User, created: bool) -> None:
    """Called inside the transaction whenever a follow starts (``created``) or ends: the
    follower's Following feed gains the followee's recent notes, or loses them."""
    # Imported here: feeds reads engage's models, so engage must not import feeds at load.
    from bridgenote.feeds.services import follow_changed

    follow_changed(follower=follower, followee=followee, created=created)


def _after_taste_changed(*user_ids: int) -> None:
    """Called inside the transaction of a like, collect, block or mute (and their undoing):
    what Discover knows about these users' tastes and hidden accounts changed."""
    # Imported here, as above.
    from bridgenote.feeds.services import viewer_changed

    for user_id in user_ids:
        viewer_changed(user_id=user_id)


def follow_create(*, follower: User, followee: User) -> bool:
    """``follower`` follows ``followee``. Idempotent: returns False when already following.

    Refuses following yourself and following across a block (either way). Updates both
    profiles' counters and notifies the followee.
    """
    if follower.pk == followee.pk:
        raise Invalid("follow_self", _("You can't follow yourself."))
    with transaction.atomic():
        _refuse_if_blocked(follower.pk, followee.pk)
        _rate_limit(follower, "follow", limit=settings.FOLLOW_RATE_PER_HOUR, window=3600)
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            return False
        _profile_add(follower.pk, following_count=1)
        _profile_add(followee.pk, follower_count=1)
        notify.notify_follow(actor=follower, followee=followee)
        _after_follow_changed(follower, followee, True)
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    """``follower`` stops following ``followee``. Idempotent: False when not following."""
    with transaction.atomic():
        deleted, _rows = Follow.objects.filter(follower=follower, followee=followee).delete()
        if not deleted:
            return False
        _profile_add(follower.pk, following_count=-1)
        _profile_add(followee.pk, follower_count=-1)
        _after_follow_changed(follower, followee, False)
    return True


def block_create(*, blocker: User, blocked: User) -> bool:
    """``blocker`` blocks ``blocked``: follows both ways end, notifications between them are
    removed, and from now on neither sees the other's notes, comments or lists, and the
    blocked account can't follow, like, collect, comment or mention. Idempotent."""
    if blocker.pk == blocked.pk:
        raise Invalid("block_self", _("You can't block yourself."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                Block.objects.create(blocker=blocker, blocked=blocked)
        except IntegrityError:
            return False
        follow_delete(follower=blocker, followee=blocked)
        follow_delete(follower=blocked, followee=blocker)
        notify.notifications_forget_between(a=blocker, b=blocked)
        _after_taste_changed(blocker.pk, blocked.pk)
    return True


def block_delete(*, blocker: User, blocked: User) -> bool:
    with transaction.atomic():
        deleted, _rows = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            _after_taste_changed(blocker.pk, blocked.pk)
    return bool(deleted)


def mute_create(*, muter: User, muted: User) -> bool:
    """``muter`` stops hearing from ``muted`` (no notifications; feeds leave them out).
    The muted account is not told and can still interact. Idempotent."""
    if muter.pk == muted.pk:
        raise Invalid("mute_self", _("You can't mute yourself."))
    try:
        with transaction.atomic():
            Mute.objects.create(muter=muter, muted=muted)
            _after_taste_changed(muter.pk)
    except IntegrityError:
        return False
    return True


def mute_delete(*, muter: User, muted: User) -> bool:
    with transaction.atomic():
        deleted, _rows = Mute.objects.filter(muter=muter, muted=muted).delete()
        if deleted:
            _after_taste_changed(muter.pk)
    return bool(deleted)


# --- likes -----------------------------------------------------------------------------------


def like_create(*, user: User, note: Note, checked: bool = False) -> bool:
    """``user`` likes ``note``. Requires the note to be visible to the user (so a block either
    way refuses; ``checked=True`` when the caller has just looked it up with
    ``queries.note_for``). Idempotent: False when already liked. +1 to the note's likes and to
    its author's "likes and collects"; the author is notified in the same transaction.

    The checks (the notification's included) run before the write transaction; the
    transaction is one INSERT, the notification, the Discover version and two
    single-statement counter UPDATEs (``writes.write_transaction``). The counters come last:
    on PostgreSQL their rows (the note, its author's profile) are what concurrent likes of
    the same author wait for, and their locks are then held only until the commit."""
    if not checked:
        note = queries.note_for(user, note.pk)
    if Like.objects.filter(user=user, note_id=note.pk).exists():
        return False  # a repeat: nothing to write, no write lock taken
    notification = notify.like_notification(actor=user, note=note)
    with write_transaction():
        if not insert_if_absent(Like, user=user, note=note):
            return False
        notify.notifications_save([notification])
        _after_taste_changed(user.pk)
        counters_add(Note, note.pk, like_count=1)
        _profile_add(note.author_id, likes_and_collects_count=1)
    return True


def like_delete(*, user: User, note: Note) -> bool:
    """Undo a like. Idempotent; allowed even if the note has become invisible meanwhile."""
    if not Like.objects.filter(user=user, note_id=note.pk).exists():
        return False
    with write_transaction():
        deleted, _rows = Like.objects.filter(user=user, note=note).delete()
        if not deleted:
            return False
        counters_add(Note, note.pk, like_count=-1)
        _profile_add(note.author_id, likes_and_collects_count=-1)
        _after_taste_changed(user.pk)
    return True


# --- boards and collects ---------------------------------------------------------------------


def board_default(*, user: User) -> Board:
    """The user's default board, created on first use (safe against a concurrent creation)."""
    board = Board.objects.filter(owner=user, is_default=True).first()
    if board is not None:
        return board
    try:
        with transaction.atomic():
            return Board.objects.create(owner=user, name="", is_default=True)
    except IntegrityError:
        return Board.objects.get(owner=user, is_default=True)


def _clean_board_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("board_name_required", _("Give the board a name."))
    if len(name) > BOARD_NAME_MAX:
        raise Invalid(
            "board_name_too_long",
            _("A board name can have at most %(max)d characters.") % {"max": BOARD_NAME_MAX},
        )
    return name


def board_create(
    *, owner: User, name: str, is_private: bool = False, description: str = ""
) -> Board:
    """A named board. Names are unique per owner, ignoring case."""
    name = _clean_board_name(name)
    if Board.objects.filter(owner=owner, name__iexact=name).exists():
        raise Invalid("board_name_taken", _("You already have a board with this name."))
    try:
        with transaction.atomic():
            return Board.objects.create(
                owner=owner, name=name, is_private=is_private, description=description[:200]
            )
    except IntegrityError as error:
        raise Invalid("board_name_taken", _("You already have a board with this name.")) from error


def board_update(
    *, user: User, board: Board, name: str | None = None, is_private: bool | None = None
) -> Board:
    """Rename a board or change its privacy; only its owner may. The default board keeps its
    (translated) name."""
    if board.owner_id != user.pk:
        raise Forbidden("not_your_board", _("This board belongs to someone else."))
    if name is not None and not board.is_default:
        name = _clean_board_name(name)
        if Board.objects.filter(owner=user, name__iexact=name).exclude(pk=board.pk).exists():
            raise Invalid("board_name_taken", _("You already have a board with this name."))
        board.name = name
    if is_private is not None:
        board.is_private = is_private
    board.save(update_fields=["name", "is_private"])
    return board


def board_delete(*, user: User, board: Board) -> None:
    """Delete one of your named boards, uncollecting its notes (counters follow)."""
    if board.owner_id != user.pk:
        raise Forbidden("not_your_board", _("This board belongs to someone else."))
    if board.is_default:
        raise Invalid("board_default", _("The default board can't be deleted."))
    with transaction.atomic():
        for note in Note.objects.filter(collects__board=board):
            collect_delete(user=user, note=note, board=board)
        board.delete()


def collect_create(*, user: User, note: Note, board: Board | None = None) -> bool:
    """Collect ``note`` into one of the user's boards (the default board when none is given).

    A note's ``collect_count`` counts *people*, not boards: collecting one note into two of
    your boards counts once, and it only goes down when the last of your collects of it goes.
    The same rule drives the author's "likes and collects". Idempotent per board.
    """
    if board is not None and board.owner_id != user.pk:
        raise Forbidden("not_your_board", _("You can only collect into your own boards."))
    with transaction.atomic():
        queries.note_for(user, note.pk)
        # Lock the note row so "is this the user's first collect of it" is decided serially.
        Note.objects.select_for_update().filter(pk=note.pk).first()
        board = board or board_default(user=user)
        first = not Collect.objects.filter(user=user, note=note).exists()
        try:
            with transaction.atomic():
                Collect.objects.create(board=board, note=note, user=user)
        except IntegrityError:
            return False
        Board.objects.filter(pk=board.pk).update(note_count=F("note_count") + 1)
        if first:
            Note.objects.filter(pk=note.pk).update(collect_count=F("collect_count") + 1)
            _profile_add(note.author_id, likes_and_collects_count=1)
            notify.notify_collect(actor=user, note=note)
        _after_taste_changed(user.pk)
    return True


def collect_delete(*, user: User, note: Note, board: Board | None = None) -> bool:
    """Take ``note`` out of one of your boards, or out of all of them when ``board`` is None.
    Idempotent: False when it was not collected there."""
    if board is not None and board.owner_id != user.pk:
        raise Forbidden("not_your_board", _("You can only change your own boards."))
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=note.pk).first()
        collects = Collect.objects.filter(user=user, note=note)
        if board is not None:
            collects = collects.filter(board=board)
        board_ids = list(collects.values_list("board_id", flat=True))
        if not board_ids:
            return False
        collects.delete()
        Board.objects.filter(pk__in=board_ids).update(note_count=F("note_count") - 1)
        if not Collect.objects.filter(user=user, note=note).exists():
            Note.objects.filter(pk=note.pk).update(collect_count=F("collect_count") - 1)
            _profile_add(note.author_id, likes_and_collects_count=-1)
        _after_taste_changed(user.pk)
    return True


def note_engagement_forget(*, note: Note) -> None:
    """Call inside the transaction that deletes ``note``, before deleting it: its likes,
    collects and comments go with it by cascade, so take them off the counters that live
    elsewhere (the author's "likes and collects", the collectors' board sizes)."""
    with transaction.atomic():
        counts = (
            Note.objects.select_for_update()
            .filter(pk=note.pk)
            .values("like_count", "collect_count")
        )
        row = counts.first()
        if row is None:
            return
        total = row["like_count"] + row["collect_count"]
        if total:
            _profile_add(note.author_id, likes_and_collects_count=-total)
        board_ids = list(Collect.objects.filter(note=note).values_list("board_id", flat=True))
        Board.objects.filter(pk__in=board_ids).update(note_count=F("note_count") - 1)


# --- comments --------------------------------------------------------------------------------


def _client_territory(user: User, ip: str) -> str:
    """The commenter's IP territory code, refreshed from the request's address (accounts
    keeps the stored one when the address tells nothing, e.g. a private network). Reads the
    profile once and keeps it on ``user`` (the API's answer shows the display name)."""
    profile = Profile.objects.filter(user_id=user.pk).first()
    if profile is None:
        return profile_touch_territory(user=user, ip=ip)
    user.profile = profile
    return profile_touch_territory(user=user, ip=ip, stored=profile.ip_territory)


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise Invalid("comment_empty", _("Write something first."))
    limit: int = settings.COMMENT_BODY_MAX
    if len(body) > limit:
        raise Invalid(
            "comment_too_long",
            _("A comment can have at most %(max)d characters (this one has %(count)d).")
            % {"max": limit, "count": len(body)},
        )
    return body


def _rate_limit(user: User, action: str, *, limit: int, window: int) -> None:
    """Refuse an account doing ``action`` more than ``limit`` times per ``window`` seconds."""
    if not _rate_allowed(user, action, limit=limit, window=window):
        _rate_refuse(action)


def _rate_allowed(user: User, action: str, *, limit: int, window: int) -> bool:
    """Count one ``action`` of the account; whether it is within the limit."""
    return ratelimit.hit(_rate_key(user, action), limit=limit, window=window).allowed


def _rate_key(user: User, action: str) -> str:
    return f"engage:{action}:{user.pk}"


def _rate_refuse(action: str) -> NoReturn:
    if action == "comment":
        raise RateLimited("rate_limited", _("You are commenting too fast. Wait a minute."))
    raise RateLimited("rate_limited", _("You are doing this too often. Try again later."))


def comment_create(
    *,
    author: User,
    note: Note,
    body: str,
    reply_to: Comment | None = None,
    ip: str = "",
    check_rate: bool = True,
    checked: bool = False,
) -> Comment:
    """A comment on ``note``, or, with ``reply_to``, a reply in that comment's thread.

    Requires the note to be visible to the author (blocks included; ``checked=True`` when the
    caller has just looked it up with ``queries.note_for``), a non-empty body within
    COMMENT_BODY_MAX, and for a reply a live comment on the same note whose author doesn't
    block the replier (or is blocked by them). A reply's root is the top-level comment of the
    thread. +1 to the note's comment count (and the root's reply count); the note's author
    (comment) or the answered person (reply) is notified in the same transaction, and so is
    every @mention. At most COMMENT_RATE_PER_MINUTE per account (refused attempts count too);
    ``check_rate=False`` is for trusted callers only (the demo loader, imports).

    An account already over the limit is refused (and counted) first, before any other
    check (``ratelimit.peek``). Every check (visibility, blocks, moderation rules, the IP
    territory, the notifications) runs before the write transaction, which holds the rate
    counter, the INSERT, the counter UPDATEs, the moderation state and the notifications
    only (``writes.write_transaction``: on SQLite, nothing of a comment writes outside the
    writers' queue).
    """
    body = _clean_body(body)
    rate = {"limit": settings.COMMENT_RATE_PER_MINUTE, "window": 60}
    if check_rate and not ratelimit.peek(_rate_key(author, "comment"), **rate).allowed:
        # Already over the limit: refused before the reply lookup, the language detection, the
        # moderation, the territory, the notifications and the write transaction. The attempt
        # still counts (one counter statement), as every refused attempt does.
        _rate_limit(author, "comment", **rate)
    if not checked:
        note = queries.note_for(author, note.pk)
    root: Comment | None = None
    if reply_to is not None:
        reply_to = Comment.objects.filter(pk=reply_to.pk).select_related("root").first()
        if reply_to is None or reply_to.note_id != note.pk:
            raise NotFound("comment_not_found", _("That comment does not exist."))
        if reply_to.is_deleted:
            raise Invalid("comment_deleted", _("That comment was deleted; you can't reply."))
        _refuse_if_blocked(author.pk, reply_to.author_id)
        root = reply_to if reply_to.root_id is None else reply_to.root
    language = detect_language(body)
    try:
        verdict = _moderate_comment(body, language)
    except Invalid:
        if check_rate:  # a refused attempt counts, and a rate refusal comes first
            _rate_limit(author, "comment", **rate)
        raise
    territory = _client_territory(author, ip)
    # The ID is drawn now, so the notifications can be checked before the transaction.
    comment = Comment(
        note=note,
        author=author,
        root=root,
        reply_to=reply_to,
        reply_to_user_id=reply_to.author_id if reply_to is not None else None,
        body=body,
        language=language,
        ip_territory=territory,
    )
    notifications = notify.comment_notifications(comment=comment)
    from bridgenote.moderation.services import after_comment_saved

    with write_transaction():
        # Counted in the transaction (no write of its own); a refusal commits the count only.
        if check_rate and not _rate_allowed(author, "comment", **rate):
            refused = True
        else:
            refused = False
            _comment_insert(comment, reply_to)
            # Held (pending) or limited comments tell nobody; an approval tells them later.
            if after_comment_saved(comment=comment, decision=verdict) == "published":
                notify.notifications_save(notifications)
    if refused:
        _rate_refuse("comment")
    return comment


def _comment_insert(comment: Comment, reply_to: Comment | None) -> None:
    """Inside ``comment_create``'s transaction: the row and the counters (before the
    moderation state, which takes a held comment off them again: counters never go
    below zero, not even inside a transaction)."""
    # Deleted meanwhile? The row lock (PostgreSQL) or the write lock (SQLite) orders this
    # with ``comment_delete``, so this is the last word.
    if reply_to is not None and (
        Comment.objects.select_for_update()
        .filter(pk=reply_to.pk)
        .values_list("is_deleted", flat=True)
        .first()
    ):
        raise Invalid("comment_deleted", _("That comment was deleted; you can't reply."))
    insert_rows([comment])
    counters_add(Note, comment.note_id, comment_count=1)
    if comment.root_id is not None:
        counters_add(Comment, comment.root_id, reply_count=1)


def _moderate_comment(body: str, language: str) -> Decision:
    """The moderation rules' verdict on a comment; a "refuse at submit" rule is an
    ``Invalid`` error with the reason (the view keeps the draft)."""
    from bridgenote.moderation.services import ModerationRefused, comment_check_submission

    try:
        return comment_check_submission(body=body, language=language or None)
    except ModerationRefused as refused:
        raise Invalid("refused", refused.message) from None


def comment_reply(
    *, author: User, reply_to: Comment, body: str, ip: str = "", check_rate: bool = True
) -> Comment:
    """Reply to ``reply_to`` (see ``comment_create``)."""
    return comment_create(
        author=author,
        note=reply_to.note,
        body=body,
        reply_to=reply_to,
        ip=ip,
        check_rate=check_rate,
    )


def comments_moderation_set(
    *, comment_ids: Iterable[int], state: str, only_from: Collection[str] | None = None
) -> dict[int, str]:
    """Set the moderation state of comments (the moderation app's only way to), keeping the
    counters to what readers can see: a comment leaving ``SHOWN_STATES`` (held, removed)
    no longer counts in its note's ``comment_count`` nor its root's ``reply_count``, and
    counts again when it comes back. ``only_from``: change only comments in these states.
    Returns each changed comment's state before."""
    with transaction.atomic():
        rows = Comment.objects.select_for_update().filter(pk__in=list(comment_ids))
        if only_from is not None:
            rows = rows.filter(moderation__in=list(only_from))
        found = list(rows.values_list("pk", "moderation", "note_id", "root_id", "is_deleted"))
        if not found:
            return {}
        Comment.objects.filter(pk__in=[row[0] for row in found]).update(moderation=state)
        notes: Counter[int] = Counter()
        roots: Counter[int] = Counter()
        for _pk, before, note_id, root_id, is_deleted in found:
            delta = (state in SHOWN_STATES) - (before in SHOWN_STATES)
            if delta and not is_deleted:
                notes[note_id] += delta
                if root_id is not None:
                    roots[root_id] += delta
        for note_id, delta in notes.items():
            if delta:
                Note.objects.filter(pk=note_id).update(comment_count=F("comment_count") + delta)
        for root_id, delta in roots.items():
            if delta:
                Comment.objects.filter(pk=root_id).update(reply_count=F("reply_count") + delta)
    return {pk: str(before) for pk, before, *_ in found}


def comment_delete(*, user: User, comment: Comment) -> bool:
    """Delete a comment: its author or the note's author may. The row stays, emptied and
    marked deleted, so replies keep their place ("comment deleted"). -1 to the note's comment
    count (and the root's reply count); its notifications go. Idempotent."""
    with write_transaction():
        comment = Comment.objects.select_for_update().select_related("note").get(pk=comment.pk)
        if user.pk not in (comment.author_id, comment.note.author_id):
            raise Forbidden("not_your_comment", _("You can only delete your own comments."))
        if comment.is_deleted:
            return False
        Comment.objects.filter(pk=comment.pk).update(
            is_deleted=True, is_pinned=False, body="", deleted_at=timezone.now()
        )
        if comment.moderation in SHOWN_STATES:  # a held or removed one was not counted
            Note.objects.filter(pk=comment.note_id).update(comment_count=F("comment_count") - 1)
            if comment.root_id is not None:
                Comment.objects.filter(pk=comment.root_id).update(reply_count=F("reply_count") - 1)
        notify.notifications_forget_comment(comment=comment)
    return True


def comment_like_create(*, user: User, comment: Comment) -> bool:
    """Like a live comment you can see. Idempotent. The comment's author is notified in the
    same transaction (as ``like_create``)."""
    comment = queries.comment_for(user, comment.pk)
    if comment.is_deleted:
        raise Invalid("comment_deleted", _("That comment was deleted."))
    if CommentLike.objects.filter(user=user, comment_id=comment.pk).exists():
        return False
    notification = notify.comment_like_notification(actor=user, comment=comment)
    with write_transaction():
        if not insert_if_absent(CommentLike, user=user, comment=comment):
            return False
        counters_add(Comment, comment.pk, like_count=1)
        notify.notifications_save([notification])
    return True


def comment_like_delete(*, user: User, comment: Comment) -> bool:
    with write_transaction():
        deleted, _rows = CommentLike.objects.filter(user=user, comment=comment).delete()
        if not deleted:
            return False
        counters_add(Comment, comment.pk, like_count=-1)
    return True


def comment_pin(*, user: User, comment: Comment, pinned: bool = True) -> None:
    """The note's author pins one top-level comment (replacing any pinned one) or unpins it."""
    with transaction.atomic():
        comment = Comment.objects.select_related("note").get(pk=comment.pk)
        if comment.note.author_id != user.pk:
            raise Forbidden("not_your_note", _("Only the note's author can pin a comment."))
        if not pinned:
            Comment.objects.filter(pk=comment.pk).update(is_pinned=False)
            return
        if comment.is_deleted or comment.root_id is not None:
            raise Invalid("cannot_pin", _("Only a top-level comment can be pinned."))
        Comment.objects.filter(note_id=comment.note_id, is_pinned=True).exclude(
            pk=comment.pk
        ).update(is_pinned=False)
        Comment.objects.filter(pk=comment.pk).update(is_pinned=True)
