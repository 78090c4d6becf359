"""Rendering feed cards fast: a process-local cache of rendered ``notes/_card.html``.

A feed page shows 20 cards; rendering the card template is most of a page's cost. The key
holds everything the card shows (like count, edit time, cover, author name and avatar,
language, whether the viewer is the author), so a change renders afresh; entries also expire
after ``CARD_SECONDS`` and the cache is bounded.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

CARD_SECONDS = 60.0
CARD_MAX = 5000
_cards: OrderedDict[tuple[Any, ...], tuple[float, str]] = OrderedDict()
_lock = threading.Lock()


def _key(note: Any, user: Any) -> tuple[Any, ...]:
    profile = getattr(note.author, "profile", None)
    return (
        note.pk,
        note.like_count,
        note.edited_at,
        note.cover_id,
        note.status,
        note.moderation,
        note.visibility,
        note.media_ready,
        getattr(profile, "display_name", ""),
        getattr(profile, "avatar", ""),
        note.author.handle,
        get_language(),
        getattr(user, "pk", None) == note.author_id,
    )


@register.simple_tag(takes_context=True)
def feed_card(context: Any, note: Any) -> SafeString:
    """``notes/_card.html`` for ``note``, rendered once per change and reused."""
    user = context.get("user")
    key = _key(note, user)
    now = time.monotonic()
    with _lock:
        hit = _cards.get(key)
        if hit is not None and now - hit[0] < CARD_SECONDS:
            _cards.move_to_end(key)
            return mark_safe(hit[1])  # noqa: S308 - rendered by our autoescaping template
    html = get_template("notes/_card.html").render({"note": note, "user": user})
    with _lock:
        _cards[key] = (now, html)
        while len(_cards) > CARD_MAX:
            _cards.popitem(last=False)
    return mark_safe(html)  # noqa: S308 - rendered by our autoescaping template
