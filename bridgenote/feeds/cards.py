"""Feed cards as plain rows, and their rendered HTML.

A feed page shows 20 cards. Building 20 notes with their author, profile and cover as model
instances, and rendering ``notes/_card.html`` 20 times, was most of a page's cost. Here a card is
one row of a precompiled query (``Card``), and its HTML is rendered once per change of anything
it shows and kept in process memory (``card_html``); only the cards not in that cache are
loaded as model instances and rendered with the notes app's template, so there is one card
template for the whole site.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from bridgenote.core.fastsql import Precompiled, padded
from bridgenote.feeds import localcache
from bridgenote.feeds.visibility import discoverable, following_visible, without_hidden
from bridgenote.notes.models import Note

FIELDS = (
    "id",
    "author_id",
    "title",
    "language",
    "like_count",
    "collect_count",
    "comment_count",
    "published_at",
    "edited_at",
    "cover_id",
    "status",
    "moderation",
    "visibility",
    "media_ready",
    "author__handle",
    "author__profile__display_name",
    "author__profile__avatar",
    "cover__width",
    "cover__height",
    "cover__blurhash",
    "cover__renditions",
)
# IN lists are padded to one of these lengths (one compiled query per length).
SIZES = (8, 24, 44, 84, 124)


class Card:
    """What a feed shows of a note, from one row."""

    __slots__ = tuple(f.replace("author__profile__", "").replace("__", "_") for f in FIELDS)
    id: int
    author_id: int
    title: str
    language: str
    like_count: int
    collect_count: int
    comment_count: int
    published_at: Any
    edited_at: Any
    cover_id: int | None
    status: str
    moderation: str
    visibility: str
    media_ready: bool
    author_handle: str
    display_name: str | None
    avatar: str | None
    cover_width: int | None
    cover_height: int | None
    cover_blurhash: str | None
    cover_renditions: dict[str, Any] | None

    def __init__(self, row: Sequence[Any]) -> None:
        # Card's own names (a subclass adds columns after these).
        for name, value in zip(Card.__slots__, row, strict=True):
            object.__setattr__(self, name, value)

    @property
    def pk(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<Card {self.id}>"


def _following_cards(viewer: int, ids: list[int]) -> Any:
    return following_visible(viewer).filter(pk__in=ids).values_list(*FIELDS)


def _discover_cards(viewer: int, ids: list[int]) -> Any:
    return without_hidden(discoverable(), viewer).filter(pk__in=ids).values_list(*FIELDS)


_FOLLOWING = Precompiled(_following_cards)
_DISCOVER = Precompiled(_discover_cards)


def following_cards(viewer_id: int, ids: Sequence[int]) -> dict[int, Card]:
    """The notes among ``ids`` that may show in the Following feed of ``viewer_id``."""
    if not ids:
        return {}
    rows = _FOLLOWING.rows(viewer=viewer_id, ids=padded(ids, SIZES))
    return {row[0]: Card(row) for row in rows}


def discover_cards(viewer_id: int | None, ids: Sequence[int]) -> dict[int, Card]:
    """The notes among ``ids`` that may show on Discover to ``viewer_id`` (None: anyone)."""
    if not ids:
        return {}
    rows = _DISCOVER.rows(viewer=viewer_id or 0, ids=padded(ids, SIZES))
    return {row[0]: Card(row) for row in rows}


# --- HTML ----------------------------------------------------------------------------------------
CARD_MAX = 10_000
_html: OrderedDict[tuple[Any, ...], tuple[float, str]] = OrderedDict()
_lock = threading.Lock()


def _key(card: Any, viewer_id: int | None, language: str) -> tuple[Any, ...]:
    """Everything ``notes/_card.html`` shows. A note's texts, language and cover change only
    with an edit (``edited_at``); the cover's renditions are ready when ``media_ready`` is."""
    return (
        card.id,
        card.like_count,
        card.edited_at,
        card.cover_id,
        card.status,
        card.moderation,
        card.visibility,
        card.media_ready,
        card.display_name,
        card.avatar,
        card.author_handle,
        language,
        viewer_id == card.author_id,
    )


def card_html(cards: Sequence[Card], user: Any) -> list[SafeString]:
    """The rendered card of each of ``cards``, in order, for ``user`` (the viewer)."""
    viewer_id = getattr(user, "pk", None)
    language = get_language() or ""
    now = time.monotonic()
    seconds = settings.FEEDS_RENDER_CACHE_SECONDS
    keys = [_key(card, viewer_id, language) for card in cards]
    out: list[str | None] = []
    with _lock:
        for key in keys:
            hit = _html.get(key)
            if hit is not None and now - hit[0] < seconds:
                _html.move_to_end(key)
                out.append(hit[1])
            else:
                out.append(None)
    missing = [card.id for card, html in zip(cards, out, strict=True) if html is None]
    if missing:
        notes = {
            n.pk: n
            for n in Note.objects.filter(pk__in=missing).select_related(
                "author", "author__profile", "cover"
            )
        }
        template = get_template("notes/_card.html")
        rendered = []
        for index, card in enumerate(cards):
            if out[index] is None:
                note = notes.get(card.id)
                html = template.render({"note": note, "user": user}) if note is not None else ""
                out[index] = html
                rendered.append((keys[index], html))
        with _lock:
            for key, html in rendered:
                _html[key] = (now, html)
                _html.move_to_end(key)
            while len(_html) > CARD_MAX:
                _html.popitem(last=False)
    return [mark_safe(html or "") for html in out]  # noqa: S308 - rendered by our autoescaping template


@localcache.on_clear
def clear() -> None:
    with _lock:
        _html.clear()
