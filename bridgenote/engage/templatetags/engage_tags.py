from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language

from bridgenote.core.fragments import CSRF_SLOT, HERE_SLOT, FragmentMemo, fill
from bridgenote.engage import queries

register = template.Library()
_comments = FragmentMemo(20_000)
_lists = FragmentMemo(4_000)


@register.simple_tag(takes_context=True)
def note_engagement(context: dict[str, Any], note: Any) -> queries.NoteState:
    """Whether the viewer liked / collected ``note`` (two indexed lookups, unless the view
    looked it up already: ``note_state`` in the context)."""
    known = context.get("note_state")
    if known is not None and context.get("note_state_of") == note.pk:
        return known
    return queries.note_state(context.get("user"), note)


@register.simple_tag(takes_context=True)
def follow_state(context: dict[str, Any], target: Any) -> queries.FollowState:
    known = context.get("follow_state")
    if known is not None and context.get("follow_state_of") == target.pk:
        return known
    return queries.follow_state(context.get("user"), target)


@register.simple_tag(takes_context=True)
def comment_thread(context: dict[str, Any], note: Any) -> queries.Thread:
    """The first page of a note's comments as the viewer may see them."""
    return queries.comment_thread(viewer=context.get("user"), note=note)


@register.filter
def display_name(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return (getattr(profile, "display_name", "") or "") or f"@{user.handle}"


@register.simple_tag(takes_context=True)
def back_url(context: dict[str, Any]) -> str:
    """The page the user is on: where a form without htmx comes back to."""
    request = context.get("request")
    if request is None:
        return "/"
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.current_url_abs_path:
        return str(htmx.current_url_abs_path)
    return str(request.get_full_path())


_AGO_MAX = 50_000
_agos: dict[tuple[Any, ...], str] = {}


def comment_ago(comment: Any) -> str:
    """``timesince`` of the comment's time as the thread shows it ("5 minutes"), worked out
    once per (language, minute of the comment, minute now) and remembered: a page asks for
    it for every comment on every view."""
    created = comment.created_at
    now = timezone.now()
    key = (
        get_language(),
        created.replace(second=0, microsecond=0),
        now.replace(second=0, microsecond=0),
        (now.second, now.microsecond) >= (created.second, created.microsecond),
    )
    ago = _agos.get(key)
    if ago is None:
        if len(_agos) > _AGO_MAX:
            _agos.clear()
        ago = _agos[key] = timesince(created, now)
    return ago


def _comment_key(comment: Any, note: Any, viewer_id: int | None) -> tuple[Any, ...]:
    """Everything ``engage/_comment.html`` shows of ``comment`` and every choice it makes
    for the viewer (signed in, liked it, wrote it, wrote the note)."""
    author = comment.author
    reply_to_user = comment.reply_to_user
    return (
        get_language(),
        comment.pk,
        comment.body,
        comment.language,
        comment.ip_territory,
        comment.like_count,
        comment.is_pinned,
        comment.is_deleted,
        comment.moderation,
        comment.root_id,
        comment.reply_to_id,
        reply_to_user.handle if reply_to_user is not None else None,
        author.handle,
        getattr(getattr(author, "profile", None), "display_name", ""),
        note.author_id == comment.author_id,
        _ago(comment),
        viewer_id is not None,
        bool(getattr(comment, "liked", False)),
        viewer_id == comment.author_id,
        viewer_id == note.author_id,
    )


def _viewer_id(context: Any) -> int | None:
    user = context.get("user")
    return int(user.pk) if user is not None and user.is_authenticated else None


def _csrf(context: Any, viewer_id: int | None) -> str:
    """The CSRF token of the context (signed-in viewers only: others see no forms)."""
    value = str(context.get("csrf_token") or "") if viewer_id is not None else ""
    return "" if value == "NOTPROVIDED" else value


def _held_for_viewer(comment: Any, viewer_id: int | None) -> bool:
    """The viewer's own held, limited or removed comment: shown with its moderation notice
    (reason, appeal state), which is looked up per request and never kept."""
    return comment.moderation != "published" and viewer_id == comment.author_id


@register.simple_tag
def ago_of(comment: Any) -> str:
    """``{% ago_of comment %}``: "5 minutes" (see ``comment_ago``)."""
    return _ago(comment)


def _ago(comment: Any) -> str:
    ago = getattr(comment, "ago", None)
    if ago is None:
        ago = comment.ago = comment_ago(comment)
    return str(ago)


_URL_NAMES = {
    "like": "engage:comment_like",
    "reply": "engage:reply_form",
    "pin": "engage:comment_pin",
    "delete": "engage:comment_delete",
}
_url_patterns: dict[str, tuple[str, str]] = {}


def comment_urls(comment_id: int) -> dict[str, str]:
    """The addresses of a comment's actions, reversed once per process and filled in (a
    page has dozens of comments with four actions each)."""
    if not _url_patterns:
        marker = 918273645
        for key, name in _URL_NAMES.items():
            head, _, tail = reverse(name, args=[marker]).partition(str(marker))
            _url_patterns[key] = (head, tail)
    return {key: f"{head}{comment_id}{tail}" for key, (head, tail) in _url_patterns.items()}


def _kept(
    context: Any,
    memo: FragmentMemo,
    template_name: str,
    values: dict[str, Any],
    *,
    key: Callable[[], Hashable],
    keep: bool,
) -> SafeString:
    """``template_name`` with ``values`` and the note, viewer and request of ``context``,
    remembered in ``memo`` by ``key()`` with the CSRF token and the page address as slots,
    which are filled in per request (``csrf_token`` and ``here`` of the context when set, e.g.
    to slots by ``comment_list``). Rendered afresh and never kept when not ``keep`` or
    without a request."""
    request = context.get("request")
    viewer_id = _viewer_id(context)
    here = context.get("here") or back_url(context)
    csrf = _csrf(context, viewer_id)

    def render(token: str, address: str) -> str:
        return render_to_string(
            template_name,
            {
                **values,
                "note": context["note"],
                "user": context.get("user"),
                "request": request,
                "csrf_token": token,
                "here": address,
            },
        )

    if not keep or request is None:
        return mark_safe(render(csrf, here))  # noqa: S308 - our autoescaping template
    html = memo.get(key(), lambda: render(CSRF_SLOT, HERE_SLOT))
    return mark_safe(fill(html, csrf=csrf, here=here))  # noqa: S308 - slots filled escaped


@register.simple_tag(takes_context=True)
def rendered_comment(context: Any, comment: Any) -> SafeString:
    """``engage/_comment.html`` for ``comment``, kept per ``_comment_key`` (see ``_kept``).
    The author's own held or removed comment (with its moderation notice) is never kept."""
    note, viewer_id = context["note"], _viewer_id(context)
    return _kept(
        context,
        _comments,
        "engage/_comment.html",
        {"comment": comment, "urls": comment_urls(comment.pk)},
        key=lambda: _comment_key(comment, note, viewer_id),
        keep=not _held_for_viewer(comment, viewer_id),
    )


@register.simple_tag(takes_context=True)
def comment_list(context: Any, thread: Any) -> SafeString:
    """``engage/_comment_page.html`` for ``thread`` (the list items of a page of comments),
    kept by the key of every comment in it, the threads' "more replies" cursors and the next
    page's cursor (see ``_kept``)."""
    note, viewer_id = context["note"], _viewer_id(context)
    everyone = [c for root in thread.roots for c in (root, *root.reply_list)]

    def key() -> Hashable:
        return (
            note.pk,
            thread.next_cursor,
            tuple(
                (
                    _comment_key(root, note, viewer_id),
                    root.replies_cursor,
                    tuple(_comment_key(reply, note, viewer_id) for reply in root.reply_list),
                )
                for root in thread.roots
            ),
        )

    return _kept(
        context,
        _lists,
        "engage/_comment_page.html",
        {"thread": thread},
        key=key,
        keep=not any(_held_for_viewer(c, viewer_id) for c in everyone),
    )
