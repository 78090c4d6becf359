"""Engagement pages and htmx partials. Each view parses, calls one service or query, and
renders; without JavaScript every form posts and comes back to the page it came from."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from bridgenote.accounts.models import User
from bridgenote.engage import queries, services
from bridgenote.engage.errors import EngageError, NotFound
from bridgenote.engage.models import Board, Comment, CommentLike
from bridgenote.notes.models import Note


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _back(request: HttpRequest, fallback: str = "/") -> HttpResponseRedirect:
    """Back where the form was, if that is on this site."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return HttpResponseRedirect(target)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _note(request: HttpRequest, note_id: int) -> Note:
    try:
        return queries.note_for(request.user, note_id)
    except NotFound as error:
        raise Http404(str(error.message)) from error


def _comment(request: HttpRequest, comment_id: int) -> Comment:
    try:
        return queries.comment_for(request.user, comment_id)
    except NotFound as error:
        raise Http404(str(error.message)) from error


def _failed(request: HttpRequest, error: EngageError) -> HttpResponseRedirect | None:
    """Without htmx, a refused action comes back to the page with the reason as a message."""
    if isinstance(error, NotFound):
        raise Http404(str(error.message))
    if _is_htmx(request):
        return None
    messages.error(request, str(error.message))
    return _back(request)


# --- note actions: like, collect -------------------------------------------------------------


def _actions(request: HttpRequest, note_id: int, error: str = "") -> HttpResponse:
    return render(
        request, "engage/_note_actions.html", {"note": _note(request, note_id), "error": error}
    )


@require_POST
@login_required
def note_like(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note(request, note_id)
    try:
        if request.POST.get("action") == "unlike":
            services.like_delete(user=_user(request), note=note)
        else:
            services.like_create(user=_user(request), note=note)
    except EngageError as error:
        return _failed(request, error) or _actions(request, note_id, str(error.message))
    return _actions(request, note_id) if _is_htmx(request) else _back(request)


def _picker(
    request: HttpRequest, note: Note, *, error: str = "", name: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "note": note,
        "boards": queries.picker_boards(user=_user(request), note=note),
        "error": error,
        "name": name,
        "next": request.GET.get("next") or request.POST.get("next") or "",
    }
    template = "engage/_board_picker.html" if _is_htmx(request) else "engage/board_picker.html"
    return render(request, template, context, status=status)


@require_GET
@login_required
def note_boards(request: HttpRequest, note_id: int) -> HttpResponse:
    """The board picker of the collect button."""
    return _picker(request, _note(request, note_id))


def _own_board(request: HttpRequest, raw: str) -> Board | None:
    if raw in ("", "default"):
        return None
    board = Board.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    if board is None:
        raise Http404
    return board


@require_POST
@login_required
def note_collect(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _note(request, note_id)
    try:
        board = _own_board(request, request.POST.get("board", ""))
        if request.POST.get("action") == "uncollect":
            services.collect_delete(user=_user(request), note=note, board=board)
        else:
            services.collect_create(user=_user(request), note=note, board=board)
    except EngageError as error:
        return _failed(request, error) or _picker(request, note, error=str(error.message))
    if not _is_htmx(request):
        return _back(request)
    return _picker(request, _note(request, note_id))


@require_POST
@login_required
def note_board_new(request: HttpRequest, note_id: int) -> HttpResponse:
    """Make a board from the picker and collect the note into it."""
    note = _note(request, note_id)
    name = request.POST.get("name", "")
    try:
        board = services.board_create(
            owner=_user(request), name=name, is_private=bool(request.POST.get("is_private"))
        )
        services.collect_create(user=_user(request), note=note, board=board)
    except EngageError as error:
        if _is_htmx(request):
            return _picker(request, note, error=str(error.message), name=name)
        return _picker(request, note, error=str(error.message), name=name, status=400)
    if not _is_htmx(request):
        return _back(request)
    return _picker(request, _note(request, note_id))


@require_GET
def note_actions(request: HttpRequest, note_id: int) -> HttpResponse:
    return _actions(request, note_id)


# --- comments --------------------------------------------------------------------------------


def _thread(
    request: HttpRequest,
    note: Note,
    *,
    error: str = "",
    draft: str = "",
    reply_to: Comment | None = None,
) -> HttpResponse:
    return render(
        request,
        "engage/_comments.html",
        {"note": note, "error": error, "draft": draft, "reply_to": reply_to},
    )


@require_GET
def note_comments(request: HttpRequest, note_id: int) -> HttpResponse:
    """More top-level comments after ``cursor`` (the "more comments" button)."""
    note = _note(request, note_id)
    try:
        cursor = queries.parse_cursor(request.GET.get("cursor"))
    except EngageError as error:
        return HttpResponse(str(error.message), status=400)
    thread = queries.comment_thread(viewer=request.user, note=note, cursor=cursor)
    return render(request, "engage/_comment_page.html", {"note": note, "thread": thread})


@require_GET
def comment_replies(request: HttpRequest, comment_id: int) -> HttpResponse:
    """More replies of a top-level comment after ``cursor`` (the "Show more replies" link):
    list items for htmx, a page of their own without it."""
    root = _comment(request, comment_id)
    if root.root_id is not None:
        raise Http404
    try:
        cursor = queries.parse_cursor(request.GET.get("cursor"))
    except EngageError as error:
        return HttpResponse(str(error.message), status=400)
    page = queries.comment_replies(viewer=request.user, root=root, cursor=cursor)
    root.liked = request.user.is_authenticated and (  # type: ignore[attr-defined]
        CommentLike.objects.filter(comment=root, user_id=request.user.pk).exists()
    )
    context = {"note": root.note, "root": root, "page": page}
    template = "engage/_replies_page.html" if _is_htmx(request) else "engage/replies_page.html"
    return render(request, template, context)


@require_POST
@login_required
def comment_create(request: HttpRequest, note_id: int) -> HttpResponse:
    """Post a comment, or a reply when ``reply_to`` is given. A refused comment comes back
    with the reason next to the box and the text still in it (a full page without htmx)."""
    note = _note(request, note_id)
    body = request.POST.get("body", "")
    raw_reply_to = request.POST.get("reply_to", "")
    reply_to = _comment(request, int(raw_reply_to)) if raw_reply_to.isdigit() else None
    try:
        services.comment_create(
            author=_user(request),
            note=note,
            body=body,
            reply_to=reply_to,
            ip=getattr(request, "client_ip", ""),
            checked=True,
        )
    except NotFound as error:
        raise Http404 from error
    except EngageError as error:
        context = {"note": note, "error": error.message, "draft": body, "reply_to": reply_to}
        if _is_htmx(request):
            return render(request, "engage/_comments.html", context)
        return render(request, "engage/comment_page.html", context, status=400)
    if not _is_htmx(request):
        return _back(request)
    return _thread(request, _note(request, note_id))


@require_GET
@login_required
def comment_reply_form(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The reply box under a comment: "Replying to @ava"."""
    comment = _comment(request, comment_id)
    context = {"note": comment.note, "reply_to": comment}
    if _is_htmx(request):
        return render(request, "engage/_reply_form.html", context)
    return render(request, "engage/comment_page.html", context)


def _comment_action(request: HttpRequest, comment_id: int, action: Any) -> HttpResponse:
    comment = _comment(request, comment_id)
    try:
        action(comment)
    except EngageError as error:
        return _failed(request, error) or render(
            request,
            "engage/_comments.html",
            {"note": comment.note, "action_error": error.message},
        )
    if not _is_htmx(request):
        return _back(request)
    return _thread(request, _note(request, comment.note_id))


@require_POST
@login_required
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    return _comment_action(
        request,
        comment_id,
        lambda c: services.comment_delete(user=_user(request), comment=c),
    )


@require_POST
@login_required
def comment_like(request: HttpRequest, comment_id: int) -> HttpResponse:
    def act(comment: Comment) -> None:
        if request.POST.get("action") == "unlike":
            services.comment_like_delete(user=_user(request), comment=comment)
        else:
            services.comment_like_create(user=_user(request), comment=comment)

    return _comment_action(request, comment_id, act)


@require_POST
@login_required
def comment_pin(request: HttpRequest, comment_id: int) -> HttpResponse:
    pinned = request.POST.get("action") != "unpin"
    return _comment_action(
        request,
        comment_id,
        lambda c: services.comment_pin(user=_user(request), comment=c, pinned=pinned),
    )


# --- follows, blocks, mutes ------------------------------------------------------------------

RELATION_ACTIONS = {
    "follow": lambda me, them: services.follow_create(follower=me, followee=them),
    "unfollow": lambda me, them: services.follow_delete(follower=me, followee=them),
    "block": lambda me, them: services.block_create(blocker=me, blocked=them),
    "unblock": lambda me, them: services.block_delete(blocker=me, blocked=them),
    "mute": lambda me, them: services.mute_create(muter=me, muted=them),
    "unmute": lambda me, them: services.mute_delete(muter=me, muted=them),
}


def _target(handle: str) -> User:
    try:
        return queries.user_by_handle(handle)
    except NotFound as error:
        raise Http404 from error


@require_POST
@login_required
def relation(request: HttpRequest, handle: str) -> HttpResponse:
    """Follow, unfollow, block, unblock, mute or unmute ``handle``; returns the button."""
    target = _target(handle)
    action = RELATION_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse(status=400)
    error = ""
    try:
        action(_user(request), target)
    except EngageError as failure:
        if not _is_htmx(request):
            messages.error(request, str(failure.message))
            return _back(request)
        error = str(failure.message)
    if not _is_htmx(request):
        return _back(request)
    return render(request, "engage/_follow_button.html", {"target": target, "error": error})


def _people(request: HttpRequest, handle: str, direction: str) -> HttpResponse:
    owner = _target(handle)
    try:
        cursor = queries.parse_cursor(request.GET.get("cursor"))
        rows = queries.follow_list(
            viewer=request.user, user=owner, direction=direction, cursor=cursor
        )
    except NotFound as error:
        raise Http404 from error
    except EngageError as error:
        return render(
            request,
            "engage/people.html",
            {"owner": owner, "direction": direction, "people": [], "error": error.message},
            status=400,
        )
    people = [r.follower if direction == "followers" else r.followee for r in rows]
    following_ids = queries.following_among(request.user, [p.pk for p in people])
    return render(
        request,
        "engage/people.html",
        {
            "owner": owner,
            "direction": direction,
            "people": people,
            "following_ids": following_ids,
            "next_cursor": rows[-1].pk if len(rows) == 30 else None,
        },
    )


@require_GET
def followers(request: HttpRequest, handle: str) -> HttpResponse:
    return _people(request, handle, "followers")


@require_GET
def following(request: HttpRequest, handle: str) -> HttpResponse:
    return _people(request, handle, "following")


# --- boards ----------------------------------------------------------------------------------


@require_GET
def board_detail(request: HttpRequest, board_id: int) -> HttpResponse:
    try:
        board = queries.board_for(request.user, board_id)
        cursor = queries.parse_cursor(request.GET.get("cursor"))
    except NotFound as error:
        raise Http404 from error
    except EngageError:
        cursor = None
    collects = queries.board_notes(viewer=request.user, board=board, cursor=cursor)
    return render(
        request,
        "engage/board.html",
        {
            "board": board,
            "notes": [c.note for c in collects],
            "next_cursor": collects[-1].pk if len(collects) == 30 else None,
            "nav": "me" if board.owner_id == getattr(request.user, "pk", None) else "",
        },
    )


@require_POST
@login_required
def board_edit(request: HttpRequest, board_id: int) -> HttpResponse:
    """Rename, make private/public, or delete one of your boards."""
    board = Board.objects.filter(pk=board_id, owner_id=request.user.pk).first()
    if board is None:
        raise Http404
    try:
        if request.POST.get("action") == "delete":
            services.board_delete(user=_user(request), board=board)
            return HttpResponseRedirect(f"/@{_user(request).handle}/boards")
        services.board_update(
            user=_user(request),
            board=board,
            name=request.POST.get("name"),
            is_private=bool(request.POST.get("is_private")),
        )
    except EngageError as error:
        messages.error(request, str(error.message))
    return HttpResponseRedirect(f"/boards/{board.pk}/")


@require_GET
def user_boards(request: HttpRequest, handle: str) -> HttpResponse:
    owner = _target(handle)
    try:
        boards = list(queries.boards_of(viewer=request.user, owner=owner))
    except NotFound as error:
        raise Http404 from error
    return render(request, "engage/boards.html", {"owner": owner, "boards": boards})
