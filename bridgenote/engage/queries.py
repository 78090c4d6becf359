"""Reads shared by the engagement views, API, template tags and the notify app."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from bridgenote.accounts.models import User
from bridgenote.core.fastsql import Precompiled, padded
from bridgenote.engage.errors import Invalid, NotFound
from bridgenote.engage.models import Block, Board, Collect, Comment, CommentLike, Follow, Like, Mute
from bridgenote.notes.models import Note

CURSOR_MAX = 2**63 - 1


def parse_cursor(raw: str | None) -> int | None:
    """A page cursor is the last seen ID (IDs are time-sortable). Anything else is refused."""
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > CURSOR_MAX:
        raise Invalid("bad_cursor", _("This page link is not valid."))
    return int(raw)


def _uid(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def blocked_between(a_id: int | None, b_id: int | None) -> bool:
    """True when either user blocks the other."""
    if a_id is None or b_id is None or a_id == b_id:
        return False
    return Block.objects.filter(
        Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    ).exists()


def is_muted(*, muter_id: int, muted_id: int) -> bool:
    return Mute.objects.filter(muter_id=muter_id, muted_id=muted_id).exists()


def _hidden_q(viewer_id: int | None, field: str) -> Q:
    """Q excluding rows whose ``field`` (a user FK) is a user hidden from the viewer."""
    if viewer_id is None:
        return Q()
    return ~Q(
        **{f"{field}__in": Block.objects.filter(blocker_id=viewer_id).values("blocked_id")}
    ) & ~Q(**{f"{field}__in": Block.objects.filter(blocked_id=viewer_id).values("blocker_id")})


def visible_notes(viewer: Any) -> QuerySet[Note]:
    """Notes the viewer may see, and therefore like, collect and comment on: the notes app's
    rule (``Note.objects.visible_to``: published, media ready, not removed, audience, blocks
    either way)."""
    return Note.objects.visible_to(viewer)


def note_for(viewer: Any, note_id: int) -> Note:
    """The note, if the viewer may see it; NotFound otherwise (a hidden note looks missing).
    The rules of ``visible_notes`` for one note (``notes.queries.visible_note``: one
    precompiled query, plus one for follows and blocks when they matter); the author is
    loaded when it is used."""
    from bridgenote.notes.queries import visible_note

    note = visible_note(note_id, viewer)
    if note is None:
        raise NotFound("note_not_found", _("This note does not exist or is not visible to you."))
    return note


def user_by_handle(handle: str) -> User:
    user = User.objects.filter(handle__iexact=handle, is_active=True).first()
    if user is None:
        raise NotFound("user_not_found", _("There is no such account."))
    return user


@dataclass
class NoteState:
    liked: bool = False
    collected: bool = False


def note_state(viewer: Any, note: Note) -> NoteState:
    viewer_id = _uid(viewer)
    if viewer_id is None:
        return NoteState()
    return NoteState(
        liked=Like.objects.filter(user_id=viewer_id, note=note).exists(),
        collected=Collect.objects.filter(user_id=viewer_id, note=note).exists(),
    )


@dataclass
class PageRelations:
    """Everything the note page asks about the viewer and the note's author, in one query."""

    follow: FollowState
    note: NoteState


@functools.cache
def _page_relations_sql(vendor: str) -> str:
    """One statement of EXISTS tests (viewer follows author, author follows viewer, viewer
    blocks / is blocked by / mutes author, viewer liked / collected the note), built once per
    database vendor from the models' table and column names; values are parameters."""
    quote = connection.ops.quote_name

    def table(model: Any) -> str:
        return str(quote(model._meta.db_table))

    def column(model: Any, name: str) -> str:
        return str(quote(model._meta.get_field(name).column))

    def exists(model: Any, a: str, b: str) -> str:
        return (
            f"EXISTS(SELECT 1 FROM {table(model)} WHERE {column(model, a)} = %s"  # noqa: S608
            f" AND {column(model, b)} = %s)"
        )

    tests = [
        exists(Follow, "follower", "followee"),
        exists(Follow, "follower", "followee"),
        exists(Block, "blocker", "blocked"),
        exists(Block, "blocker", "blocked"),
        exists(Mute, "muter", "muted"),
        exists(Like, "user", "note"),
        exists(Collect, "user", "note"),
    ]
    return "SELECT " + ", ".join(tests)


def page_relations(viewer: Any, author_id: int, note_id: int) -> PageRelations:
    """``follow_state(viewer, author)`` and ``note_state(viewer, note)`` in one query."""
    viewer_id = _uid(viewer)
    if viewer_id is None:
        return PageRelations(FollowState(), NoteState())
    if viewer_id == author_id:
        follow = FollowState(is_self=True)
        with connection.cursor() as cursor:
            cursor.execute(_page_relations_sql(connection.vendor), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           viewer_id, note_id, viewer_id, note_id])  # fmt: skip
            row = cursor.fetchone()
        return PageRelations(follow, NoteState(liked=bool(row[5]), collected=bool(row[6])))
    params = [
        viewer_id, author_id,
        author_id, viewer_id,
        viewer_id, author_id,
        author_id, viewer_id,
        viewer_id, author_id,
        viewer_id, note_id,
        viewer_id, note_id,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_page_relations_sql(connection.vendor), params)
        row = [bool(value) for value in cursor.fetchone()]
    follow = FollowState(
        following=row[0], followed_by=row[1], blocking=row[2], blocked_by=row[3], muting=row[4]
    )
    return PageRelations(follow, NoteState(liked=row[5], collected=row[6]))


@dataclass
class FollowState:
    is_self: bool = False
    following: bool = False
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False


def follow_state(viewer: Any, target: User) -> FollowState:
    viewer_id = _uid(viewer)
    if viewer_id is None:
        return FollowState()
    if viewer_id == target.pk:
        return FollowState(is_self=True)
    pairs = set(
        Follow.objects.filter(
            Q(follower_id=viewer_id, followee_id=target.pk)
            | Q(follower_id=target.pk, followee_id=viewer_id)
        ).values_list("follower_id", flat=True)
    )
    blocks = set(
        Block.objects.filter(
            Q(blocker_id=viewer_id, blocked_id=target.pk)
            | Q(blocker_id=target.pk, blocked_id=viewer_id)
        ).values_list("blocker_id", flat=True)
    )
    return FollowState(
        following=viewer_id in pairs,
        followed_by=target.pk in pairs,
        blocking=viewer_id in blocks,
        blocked_by=target.pk in blocks,
        muting=Mute.objects.filter(muter_id=viewer_id, muted_id=target.pk).exists(),
    )


def follow_list(
    *, viewer: Any, user: User, direction: str, cursor: int | None, limit: int = 30
) -> list[Follow]:
    """Followers (``direction="followers"``) or followees of ``user``, newest first, without
    the accounts hidden from the viewer. The cursor is the last Follow ID seen."""
    if blocked_between(_uid(viewer), user.pk):
        raise NotFound("user_not_found", _("There is no such account."))
    if direction == "followers":
        rows = Follow.objects.filter(followee=user).select_related("follower__profile")
        rows = rows.filter(_hidden_q(_uid(viewer), "follower_id"))
    else:
        rows = Follow.objects.filter(follower=user).select_related("followee__profile")
        rows = rows.filter(_hidden_q(_uid(viewer), "followee_id"))
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    return list(rows.order_by("-pk")[:limit])


def boards_of(*, viewer: Any, owner: User) -> QuerySet[Board]:
    if blocked_between(_uid(viewer), owner.pk):
        raise NotFound("user_not_found", _("There is no such account."))
    return Board.objects.visible_to(viewer).filter(owner=owner).order_by("-is_default", "-id")


def board_for(viewer: Any, board_id: int) -> Board:
    board = Board.objects.visible_to(viewer).select_related("owner").filter(pk=board_id).first()
    if board is None or blocked_between(_uid(viewer), board.owner_id):
        raise NotFound("board_not_found", _("This board does not exist or is private."))
    return board


def board_notes(*, viewer: Any, board: Board, cursor: int | None, limit: int = 30) -> list[Collect]:
    """Collects of a board, newest first, keeping only notes the viewer may see."""
    rows = (
        Collect.objects.filter(board=board, note__in=visible_notes(viewer))
        .select_related("note__author__profile", "note__cover")
        .order_by("-pk")
    )
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    return list(rows[:limit])


def picker_boards(*, user: User, note: Note) -> list[Board]:
    """The user's boards for the collect picker, each with ``has_note``."""
    return list(
        Board.objects.filter(owner=user)
        .annotate(has_note=Exists(Collect.objects.filter(board=OuterRef("pk"), note=note)))
        .order_by("-is_default", "-id")
    )


# Replies shown under each top-level comment on the note page; "Show more replies" loads
# REPLIES_PAGE more at a time (cursor: the last reply's id).
# As on Xiaohongshu, the note page opens with a short thread (the first ten top-level
# comments, two replies under each); "More comments" and "Show more replies" load the rest.
REPLIES_PREVIEW = 2
REPLIES_PAGE = 10
COMMENTS_PAGE = 10


@dataclass
class Thread:
    note: Note
    # Comments annotated with ``liked``, ``reply_list`` (the first replies) and
    # ``replies_cursor`` (where "Show more replies" continues, None when all are shown).
    roots: list[Any] = field(default_factory=list)
    next_cursor: int | None = None


@dataclass
class Replies:
    root_id: int
    items: list[Any] = field(default_factory=list)
    next_cursor: int | None = None


# Columns of a comment row as the thread reads them (precompiled, see ``core.fastsql``).
_COMMENT_COLUMNS = (
    "id",
    "note_id",
    "author_id",
    "root_id",
    "reply_to_id",
    "reply_to_user_id",
    "body",
    "language",
    "ip_territory",
    "like_count",
    "reply_count",
    "is_pinned",
    "is_deleted",
    "moderation",
    "created_at",
    "deleted_at",
)
_JOINED_COLUMNS = ("author__handle", "author__profile__display_name", "reply_to_user__handle")
_NO_VIEWER = 0  # no account has id 0: the viewer filters select nothing for a signed-out visitor


def _seen_by(viewer: Any) -> QuerySet[Comment]:
    """Comments the viewer may see in a thread: not by an account that blocks them or that
    they block, and held (pending) or removed ones only by their author. ``viewer`` is an id
    (a precompiled argument): 0 for a signed-out visitor."""
    shown = Q(moderation__in=("published", "limited")) | Q(author_id=viewer)
    return (
        Comment.objects.filter(shown)
        .exclude(author_id__in=Block.objects.filter(blocker_id=viewer).values("blocked_id"))
        .exclude(author_id__in=Block.objects.filter(blocked_id=viewer).values("blocker_id"))
        .annotate(liked=Exists(CommentLike.objects.filter(comment=OuterRef("pk"), user_id=viewer)))
    )


def _rows(queryset: QuerySet[Comment]) -> QuerySet[Any]:
    return queryset.values_list(*_COMMENT_COLUMNS, *_JOINED_COLUMNS, "liked")


_ROOTS_FIRST = Precompiled(
    lambda note, viewer, limit: _rows(
        _seen_by(viewer)
        .filter(note_id=note, root__isnull=True)
        .filter(Q(is_deleted=False) | Q(reply_count__gt=0))
        .order_by("-is_pinned", "id")[:limit]
    ),
    static=("limit",),
)
_ROOTS_AFTER = Precompiled(
    lambda note, viewer, cursor, limit: _rows(
        _seen_by(viewer)
        .filter(note_id=note, root__isnull=True, is_pinned=False, id__gt=cursor)
        .filter(Q(is_deleted=False) | Q(reply_count__gt=0))
        .order_by("id")[:limit]
    ),
    static=("limit",),
)
# The first ``limit`` live replies of each of ``roots`` (one query for the whole page: the
# reply's position in its thread is a window function, served by the (root, id) index).
_REPLIES_FIRST = Precompiled(
    lambda roots, viewer, limit: _rows(
        _seen_by(viewer)
        .filter(root_id__in=roots, is_deleted=False)
        .annotate(position=Window(RowNumber(), partition_by=[F("root_id")], order_by=F("id").asc()))
        .filter(position__lte=limit)
        .order_by("root_id", "id")
    ),
    static=("limit",),
)
_REPLIES_AFTER = Precompiled(
    lambda root, viewer, cursor, limit: _rows(
        _seen_by(viewer)
        .filter(root_id=root, is_deleted=False, id__gt=cursor)
        .order_by("root_id", "id")[:limit]
    ),
    static=("limit",),
)


def _comment(row: tuple[Any, ...]) -> Comment:
    """A Comment (with ``author.profile``, ``reply_to_user`` and ``liked``) from a row of
    ``_rows``, without touching the database."""
    from bridgenote.accounts.models import Profile

    size = len(_COMMENT_COLUMNS)
    comment = Comment(**dict(zip(_COMMENT_COLUMNS, row[:size], strict=True)))
    comment._state.adding, comment._state.db = False, "default"  # as if loaded (all columns)
    handle, display_name, reply_handle, liked = row[size:]
    author = User(id=comment.author_id, handle=handle)
    author.profile = Profile(user_id=comment.author_id, display_name=display_name or "")
    comment.author = author
    comment.reply_to_user = (
        User(id=comment.reply_to_user_id, handle=reply_handle)
        if comment.reply_to_user_id is not None
        else None
    )
    comment.liked = bool(liked)  # type: ignore[attr-defined]
    comment.reply_list = []  # type: ignore[attr-defined]
    comment.replies_cursor = None  # type: ignore[attr-defined]
    return comment


def comment_thread(
    *, viewer: Any, note: Note, cursor: int | None = None, limit: int = COMMENTS_PAGE
) -> Thread:
    """Top-level comments of a note (the pinned one first, then oldest first), each with its
    first ``REPLIES_PREVIEW`` live replies in ``.reply_list`` and ``.replies_cursor`` for
    the rest (``comment_replies``), without comments from accounts hidden from the viewer.

    A deleted top-level comment is kept as "comment deleted" while it has visible replies.
    ``liked`` on each comment says whether the viewer liked it. Three small precompiled
    queries: the page of top-level comments, their first replies, nothing else.
    """
    viewer_id = _uid(viewer) or _NO_VIEWER
    if cursor is None:
        rows = _ROOTS_FIRST.rows(note=note.pk, viewer=viewer_id, limit=limit + 1)
    else:
        rows = _ROOTS_AFTER.rows(note=note.pk, viewer=viewer_id, cursor=cursor, limit=limit + 1)
    roots = [_comment(row) for row in rows]
    thread = Thread(note=note, roots=roots[:limit])
    if len(roots) > limit:
        thread.next_cursor = roots[limit - 1].pk
    # reply_count counts what readers see; a signed-in viewer may also have a held reply of
    # their own under any root, so their replies are asked for every root.
    signed_in = viewer_id != _NO_VIEWER
    with_replies = [c for c in thread.roots if c.reply_count > 0 or signed_in]
    if with_replies:
        by_root = {c.pk: c for c in with_replies}
        ids = padded([c.pk for c in with_replies], (4, 8, 16, 32, 64))
        for row in _REPLIES_FIRST.rows(roots=ids, viewer=viewer_id, limit=REPLIES_PREVIEW + 1):
            reply = _comment(row)
            by_root[reply.root_id].reply_list.append(reply)
        for root in with_replies:
            replies = root.reply_list
            if len(replies) > REPLIES_PREVIEW:
                del replies[REPLIES_PREVIEW:]
                root.replies_cursor = replies[-1].pk
    thread.roots = [c for c in thread.roots if not c.is_deleted or c.reply_list]
    return thread


def comment_replies(
    *, viewer: Any, root: Comment, cursor: int | None, limit: int = REPLIES_PAGE
) -> Replies:
    """The live replies of top-level comment ``root`` after reply ``cursor`` (oldest first),
    as the viewer may see them: the "Show more replies" page. ``next_cursor`` is None on the
    last page."""
    viewer_id = _uid(viewer) or _NO_VIEWER
    rows = _REPLIES_AFTER.rows(root=root.pk, viewer=viewer_id, cursor=cursor or 0, limit=limit + 1)
    items = [_comment(row) for row in rows]
    page = Replies(root_id=root.pk, items=items[:limit])
    if len(items) > limit:
        page.next_cursor = items[limit - 1].pk
    return page


def comment_for(viewer: Any, comment_id: int) -> Comment:
    """A comment on a note the viewer may see, by an author not hidden from them."""
    comment = (
        Comment.objects.select_related("note__author", "author", "root")
        .filter(pk=comment_id, note__in=visible_notes(viewer))
        .first()
    )
    hidden = comment is not None and _held_from(comment, _uid(viewer))
    if comment is None or hidden or blocked_between(_uid(viewer), comment.author_id):
        raise NotFound("comment_not_found", _("This comment does not exist or is not visible."))
    return comment


def _held_from(comment: Comment, viewer_id: int | None) -> bool:
    """Held or removed by moderation: shown to its author only."""
    return comment.moderation not in ("published", "limited") and comment.author_id != viewer_id


def comment_for_translation(viewer: Any, comment_id: int) -> Comment:
    """``comment_for``'s answer (same rules) without building the note visibility query: the
    comment's own columns in one query, ``notes.queries.note_visible_to`` for its note, and
    one small query for blocks with the comment's author. Deleted comments are NotFound."""
    from bridgenote.notes.queries import note_visible_to, valid_id, viewer_relations

    viewer_id = _uid(viewer)
    comment = (
        Comment.objects.filter(pk=comment_id).only(
            "note_id", "author_id", "moderation", "is_deleted", "body"
        )
        if valid_id(comment_id)
        else Comment.objects.none()
    ).first()
    if (
        comment is None
        or comment.is_deleted
        or _held_from(comment, viewer_id)
        or (
            viewer_id is not None
            and viewer_id != comment.author_id
            and viewer_relations(viewer_id, comment.author_id)[1]
        )
        or not note_visible_to(comment.note_id, viewer)
    ):
        raise NotFound("comment_not_found", _("This comment does not exist or is not visible."))
    return comment


def following_among(viewer: Any, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` the viewer follows (one query, for lists of people)."""
    viewer_id = _uid(viewer)
    if viewer_id is None or not user_ids:
        return set()
    return set(
        Follow.objects.filter(follower_id=viewer_id, followee_id__in=user_ids).values_list(
            "followee_id", flat=True
        )
    )
