from __future__ import annotations

from typing import Any

from django import template

from bridgenote.engage import queries

register = template.Library()


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
