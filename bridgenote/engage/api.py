"""Native JSON API for engagement, mounted at /api/engage. Same services as the web pages.

IDs are strings (64-bit IDs do not fit a JavaScript number). Errors are
``{"error": code, "message": text}`` with 400 (bad input), 403 (not yours) or 404 (missing or
not visible to you).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from bridgenote.accounts.models import User
from bridgenote.engage import queries, services
from bridgenote.engage.errors import EngageError, NotFound
from bridgenote.engage.models import Board, Comment

router = Router(auth=django_auth, tags=["engage"])

ERRORS = frozenset({400, 403, 404})


class ErrorOut(Schema):
    error: str
    message: str


class DoneOut(Schema):
    changed: bool  # False when the call was a no-op (already liked, not following...)


class NoteCountsOut(Schema):
    id: str
    liked: bool
    collected: bool
    like_count: int
    collect_count: int
    comment_count: int


class UserOut(Schema):
    id: str
    handle: str
    display_name: str


class PeopleOut(Schema):
    items: list[UserOut]
    next_cursor: str | None


class BoardIn(Schema):
    name: str
    is_private: bool = False


class BoardPatch(Schema):
    name: str | None = None
    is_private: bool | None = None


class BoardOut(Schema):
    id: str
    name: str
    is_default: bool
    is_private: bool
    note_count: int


class BoardNotesOut(Schema):
    board: BoardOut
    note_ids: list[str]
    next_cursor: str | None


class CollectIn(Schema):
    board_id: str | None = None


class CommentIn(Schema):
    body: str
    reply_to: str | None = None


class CommentOut(Schema):
    id: str
    note_id: str
    author: UserOut | None
    body: str
    root_id: str | None
    reply_to_id: str | None
    reply_to_handle: str | None
    ip_territory: str
    like_count: int
    reply_count: int
    liked: bool
    is_pinned: bool
    is_deleted: bool
    created_at: datetime
    replies: list[CommentOut] = []
    # Top-level comments in a thread: where GET /comments/{id}/replies continues after the
    # replies above (None when they are all there).
    replies_next_cursor: str | None = None


class ThreadOut(Schema):
    items: list[CommentOut]
    next_cursor: str | None


def _error(error: EngageError) -> Status[dict[str, str]]:
    return Status(error.status, {"error": error.code, "message": str(error.message)})


def answers(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the services' errors into the API's one error shape."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except EngageError as error:
            return _error(error)

    return wrapper


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


MISSING = {
    "note": _("This note does not exist or is not visible to you."),
    "board": _("This board does not exist or is private."),
    "comment": _("This comment does not exist or is not visible."),
}


def _id(raw: str | None, what: str) -> int:
    """A path or body ID; anything that is not one is simply not found."""
    if raw is None or not raw.isdigit() or len(raw) > 19:
        raise NotFound(f"{what}_not_found", MISSING[what])
    return int(raw)


def _user_out(user: User) -> dict[str, Any]:
    profile = getattr(user, "profile", None)
    return {
        "id": str(user.pk),
        "handle": user.handle,
        "display_name": getattr(profile, "display_name", "") or "",
    }


def _board_out(board: Board) -> dict[str, Any]:
    return {
        "id": str(board.pk),
        "name": board.name,
        "is_default": board.is_default,
        "is_private": board.is_private,
        "note_count": board.note_count,
    }


def _comment_out(comment: Comment) -> dict[str, Any]:
    deleted = comment.is_deleted
    return {
        "id": str(comment.pk),
        "note_id": str(comment.note_id),
        "author": None if deleted else _user_out(comment.author),
        "body": "" if deleted else comment.body,
        "root_id": str(comment.root_id) if comment.root_id else None,
        "reply_to_id": str(comment.reply_to_id) if comment.reply_to_id else None,
        "reply_to_handle": comment.reply_to_user.handle if comment.reply_to_user else None,
        "ip_territory": "" if deleted else comment.ip_territory,
        "like_count": comment.like_count,
        "reply_count": comment.reply_count,
        "liked": bool(getattr(comment, "liked", False)),
        "is_pinned": comment.is_pinned,
        "is_deleted": deleted,
        "created_at": comment.created_at,
        "replies": [_comment_out(r) for r in getattr(comment, "reply_list", [])],
        "replies_next_cursor": _str_or_none(getattr(comment, "replies_cursor", None)),
    }


def _str_or_none(value: int | None) -> str | None:
    return str(value) if value else None


def _counts(request: HttpRequest, note_id: int, *, checked: bool = False) -> dict[str, Any]:
    """The note's counters and the viewer's liked / collected state, read again after a
    change (two small queries when the caller has just checked the note is visible)."""
    from bridgenote.notes.queries import note_row

    note = note_row(note_id) if checked else None
    if note is None:
        note = queries.note_for(request.user, note_id)
    state = queries.page_relations(request.user, note.author_id, note.pk).note
    return {
        "id": str(note.pk),
        "liked": state.liked,
        "collected": state.collected,
        "like_count": note.like_count,
        "collect_count": note.collect_count,
        "comment_count": note.comment_count,
    }


# --- follows, blocks, mutes ------------------------------------------------------------------

RELATIONS: dict[tuple[str, str], Callable[[User, User], bool]] = {
    ("follow", "POST"): lambda me, them: services.follow_create(follower=me, followee=them),
    ("follow", "DELETE"): lambda me, them: services.follow_delete(follower=me, followee=them),
    ("block", "POST"): lambda me, them: services.block_create(blocker=me, blocked=them),
    ("block", "DELETE"): lambda me, them: services.block_delete(blocker=me, blocked=them),
    ("mute", "POST"): lambda me, them: services.mute_create(muter=me, muted=them),
    ("mute", "DELETE"): lambda me, them: services.mute_delete(muter=me, muted=them),
}


def _relation(request: HttpRequest, handle: str, kind: str) -> dict[str, bool]:
    target = queries.user_by_handle(handle)
    return {"changed": RELATIONS[(kind, request.method or "")](_me(request), target)}


for _kind in ("follow", "block", "mute"):

    def _make(kind: str) -> None:
        def relation(request: HttpRequest, handle: str) -> Any:
            return _relation(request, handle, kind)

        relation.__name__ = f"{kind}_user"
        router.api_operation(
            ["POST", "DELETE"],
            f"/users/{{handle}}/{kind}",
            response={200: DoneOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
            summary=f"{kind.capitalize()} (POST) or undo (DELETE)",
        )(answers(relation))

    _make(_kind)


@router.get(
    "/users/{handle}/followers", response={200: PeopleOut, 400: ErrorOut, 404: ErrorOut}, auth=None
)
@answers
def followers(request: HttpRequest, handle: str, cursor: str | None = None) -> Any:
    return _people(request, handle, "followers", cursor)


@router.get(
    "/users/{handle}/following", response={200: PeopleOut, 400: ErrorOut, 404: ErrorOut}, auth=None
)
@answers
def following(request: HttpRequest, handle: str, cursor: str | None = None) -> Any:
    return _people(request, handle, "following", cursor)


def _people(request: HttpRequest, handle: str, direction: str, cursor: str | None) -> Any:
    owner = queries.user_by_handle(handle)
    rows = queries.follow_list(
        viewer=request.user, user=owner, direction=direction, cursor=queries.parse_cursor(cursor)
    )
    people = [r.follower if direction == "followers" else r.followee for r in rows]
    return {
        "items": [_user_out(p) for p in people],
        "next_cursor": str(rows[-1].pk) if len(rows) == 30 else None,
    }


# --- likes, collects, boards -----------------------------------------------------------------


@router.api_operation(
    ["POST", "DELETE"],
    "/notes/{note_id}/like",
    response={200: NoteCountsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@answers
def like(request: HttpRequest, note_id: str) -> Any:
    """Like (POST) or unlike (DELETE) a note; both are idempotent."""
    note = queries.note_for(request.user, _id(note_id, "note"))
    if request.method == "POST":
        services.like_create(user=_me(request), note=note, checked=True)
    else:
        services.like_delete(user=_me(request), note=note)
    return _counts(request, note.pk, checked=True)


def _my_board(request: HttpRequest, raw: str | None) -> Board | None:
    if raw is None:
        return None
    board = Board.objects.filter(pk=_id(raw, "board")).first()
    if board is None:
        raise NotFound("board_not_found", MISSING["board"])
    return board


@router.post(
    "/notes/{note_id}/collect",
    response={200: NoteCountsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@answers
def collect(request: HttpRequest, note_id: str, payload: CollectIn) -> Any:
    """Collect into ``board_id`` (one of yours) or the default board."""
    note = queries.note_for(request.user, _id(note_id, "note"))
    services.collect_create(
        user=_me(request), note=note, board=_my_board(request, payload.board_id)
    )
    return _counts(request, note.pk)


@router.delete(
    "/notes/{note_id}/collect",
    response={200: NoteCountsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@answers
def uncollect(request: HttpRequest, note_id: str, board_id: str | None = None) -> Any:
    """Uncollect from ``board_id``, or from all your boards."""
    note = queries.note_for(request.user, _id(note_id, "note"))
    services.collect_delete(user=_me(request), note=note, board=_my_board(request, board_id))
    return _counts(request, note.pk)


@router.get("/boards", response={200: list[BoardOut], 404: ErrorOut})
@answers
def boards(request: HttpRequest, owner: str | None = None) -> Any:
    """Your boards, or the public boards of ``owner`` (a handle)."""
    user = queries.user_by_handle(owner) if owner else _me(request)
    return [_board_out(b) for b in queries.boards_of(viewer=request.user, owner=user)]


@router.post("/boards", response={201: BoardOut, 400: ErrorOut})
@answers
def board_create(request: HttpRequest, payload: BoardIn) -> Any:
    board = services.board_create(
        owner=_me(request), name=payload.name, is_private=payload.is_private
    )
    return Status(201, _board_out(board))


@router.get(
    "/boards/{board_id}", response={200: BoardNotesOut, 400: ErrorOut, 404: ErrorOut}, auth=None
)
@answers
def board_detail(request: HttpRequest, board_id: str, cursor: str | None = None) -> Any:
    board = queries.board_for(request.user, _id(board_id, "board"))
    rows = queries.board_notes(
        viewer=request.user, board=board, cursor=queries.parse_cursor(cursor)
    )
    return {
        "board": _board_out(board),
        "note_ids": [str(c.note_id) for c in rows],
        "next_cursor": str(rows[-1].pk) if len(rows) == 30 else None,
    }


@router.patch(
    "/boards/{board_id}", response={200: BoardOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
@answers
def board_update(request: HttpRequest, board_id: str, payload: BoardPatch) -> Any:
    board = queries.board_for(request.user, _id(board_id, "board"))
    board = services.board_update(
        user=_me(request), board=board, name=payload.name, is_private=payload.is_private
    )
    return _board_out(board)


@router.delete(
    "/boards/{board_id}", response={204: None, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
@answers
def board_delete(request: HttpRequest, board_id: str) -> Any:
    board = queries.board_for(request.user, _id(board_id, "board"))
    services.board_delete(user=_me(request), board=board)
    return Status(204, None)


# --- comments --------------------------------------------------------------------------------


@router.get(
    "/notes/{note_id}/comments", response={200: ThreadOut, 400: ErrorOut, 404: ErrorOut}, auth=None
)
@answers
def comments(request: HttpRequest, note_id: str, cursor: str | None = None) -> Any:
    """Top-level comments (pinned first, then oldest first), each with its replies."""
    note = queries.note_for(request.user, _id(note_id, "note"))
    thread = queries.comment_thread(
        viewer=request.user, note=note, cursor=queries.parse_cursor(cursor)
    )
    return {
        "items": [_comment_out(c) for c in thread.roots],
        "next_cursor": str(thread.next_cursor) if thread.next_cursor else None,
    }


@router.get(
    "/comments/{comment_id}/replies",
    response={200: ThreadOut, 400: ErrorOut, 404: ErrorOut},
    auth=None,
)
@answers
def comment_replies(request: HttpRequest, comment_id: str, cursor: str | None = None) -> Any:
    """Replies of a top-level comment after ``cursor`` (oldest first), ``REPLIES_PAGE`` at a
    time: where a thread's ``replies_next_cursor`` continues."""
    root = queries.comment_for(request.user, _id(comment_id, "comment"))
    if root.root_id is not None:
        raise NotFound("comment_not_found", MISSING["comment"])
    page = queries.comment_replies(
        viewer=request.user, root=root, cursor=queries.parse_cursor(cursor)
    )
    return {
        "items": [_comment_out(c) for c in page.items],
        "next_cursor": _str_or_none(page.next_cursor),
    }


@router.post(
    "/notes/{note_id}/comments",
    response={201: CommentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
)
@answers
def comment_create(request: HttpRequest, note_id: str, payload: CommentIn) -> Any:
    """Comment on a note, or reply to one of its comments with ``reply_to``."""
    note = queries.note_for(request.user, _id(note_id, "note"))
    reply_to = (
        queries.comment_for(request.user, _id(payload.reply_to, "comment"))
        if payload.reply_to
        else None
    )
    comment = services.comment_create(
        author=_me(request),
        note=note,
        body=payload.body,
        reply_to=reply_to,
        ip=getattr(request, "client_ip", ""),
        checked=True,
    )
    return Status(201, _comment_out(comment))


@router.delete("/comments/{comment_id}", response={200: DoneOut, 403: ErrorOut, 404: ErrorOut})
@answers
def comment_delete(request: HttpRequest, comment_id: str) -> Any:
    comment = queries.comment_for(request.user, _id(comment_id, "comment"))
    return {"changed": services.comment_delete(user=_me(request), comment=comment)}


@router.api_operation(
    ["POST", "DELETE"],
    "/comments/{comment_id}/like",
    response={200: DoneOut, 400: ErrorOut, 404: ErrorOut},
)
@answers
def comment_like(request: HttpRequest, comment_id: str) -> Any:
    comment = queries.comment_for(request.user, _id(comment_id, "comment"))
    if request.method == "POST":
        return {"changed": services.comment_like_create(user=_me(request), comment=comment)}
    return {"changed": services.comment_like_delete(user=_me(request), comment=comment)}


@router.api_operation(
    ["POST", "DELETE"],
    "/comments/{comment_id}/pin",
    response={200: DoneOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@answers
def comment_pin(request: HttpRequest, comment_id: str) -> Any:
    """The note's author pins (POST) or unpins (DELETE) a top-level comment."""
    comment = queries.comment_for(request.user, _id(comment_id, "comment"))
    services.comment_pin(user=_me(request), comment=comment, pinned=request.method == "POST")
    return {"changed": True}
