from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("notes/_profile_grid.html", takes_context=True)
def profile_notes_grid(context: dict[str, Any], author: Any) -> dict[str, Any]:
    """The grid of an author's notes on their profile page, as the viewer may see them."""
    # Filled in by the notes work: query the author's notes visible to context["user"].
    return {"notes": [], "author": author, "user": context.get("user")}
