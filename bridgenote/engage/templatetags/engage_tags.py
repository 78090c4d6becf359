from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language

from bridgenote.engage import queries
from bridgenote.notes.rendermemo import CSRF_SLOT, HERE_SLOT, RenderMemo, fill

register = template.Library()
_comments = RenderMemo(20_000)


@register.simple_tag(takes_context=True)
def note_engagement(context: dict[str, Any], note: Any) -> queries.NoteState:
    """Whether the viewer liked / collected ``note`` (two indexed lookups)."""
    return queries.note_state(context.get("user"), note)


@register.simple_tag(takes_context=True)
def follow_state(context: dict[str, Any], target: Any) -> queries.FollowState:
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
        timesince(comment.created_at),
        viewer_id is not None,
        bool(getattr(comment, "liked", False)),
        viewer_id == comment.author_id,
        viewer_id == note.author_id,
    )


@register.simple_tag(takes_context=True)
def rendered_comment(context: Any, comment: Any) -> SafeString:
    """``engage/_comment.html`` for ``comment``, rendered once per key (``_comment_key``) and
    kept in process memory; the CSRF token and the page address are filled in per request.
    The author's own held or removed comment (with its moderation notice) is never kept."""
    request = context.get("request")
    user = context.get("user")
    note = context["note"]
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    here = back_url(context)

    def render(csrf: str, address: str) -> str:
        return render_to_string(
            "engage/_comment.html",
            {
                "comment": comment,
                "note": note,
                "user": user,
                "request": request,
                "csrf_token": csrf,
                "here": address,
            },
        )

    csrf = get_token(request) if request is not None and viewer_id is not None else ""
    if comment.moderation not in ("published", "limited") or request is None:
        return mark_safe(render(csrf, here))  # noqa: S308 - our autoescaping template
    html = _comments.get(
        _comment_key(comment, note, viewer_id), lambda: render(CSRF_SLOT, HERE_SLOT)
    )
    return mark_safe(fill(html, csrf=csrf, here=here))  # noqa: S308 - slots filled escaped
