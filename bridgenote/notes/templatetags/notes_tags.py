from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from bridgenote.media.models import Attachment
from bridgenote.notes import blurhash, parsing, queries
from bridgenote.notes.models import Note

register = template.Library()

# Cards keep the aspect ratio of their cover, within the bounds the two-column grid can show.
_CARD_RATIO_MIN, _CARD_RATIO_MAX = 3 / 4, 4 / 3


def profile_url(handle: str) -> str:
    return reverse("accounts:profile", args=[handle])


def topic_url(name: str) -> str:
    return reverse("topics:detail", args=[name])


def link_text(text: str, *, handles: set[str]) -> SafeString:
    """``text`` escaped, with topics linked to their pages and mentions of ``handles``
    (lower-case) linked to profiles. Everything the user wrote goes through ``escape``."""
    parts: list[str] = []
    for token in parsing.tokenize(text):
        if token.kind == "topic":
            parts.append(
                format_html('<a class="topic" href="{}">{}</a>', topic_url(token.value), token.raw)
            )
        elif token.kind == "mention" and token.value.lower() in handles:
            parts.append(
                format_html(
                    '<a class="mention" href="{}">{}</a>', profile_url(token.value), token.raw
                )
            )
        else:
            parts.append(escape(token.raw))
    return mark_safe("".join(parts))  # noqa: S308  (every piece is escaped above)


@register.filter
def note_html(note: Note, field: str = "body") -> SafeString:
    """A note's body (or "title", "alt_title", "alt_body") with its topics and mentions
    linked: ``{{ note|note_html }}``."""
    text = getattr(note, field) if field in ("title", "alt_title", "alt_body") else note.body
    handles = {u.handle.lower() for u in note.mentions.all()}
    return link_text(text, handles=handles)


@register.simple_tag
def note_version(note: Note, choice: str = "") -> dict[str, Any]:
    """Which version of a bilingual note to show first, and the other one.

    ``choice`` is the reader's pick ("alt" or "main", from the switch); otherwise readers
    whose interface language is the note's second language see that version first.
    Returns ``alt`` (bool), ``title``, ``body``, ``language`` (code of the version shown),
    ``other`` (code of the other version, "" when there is none) and the fields' names.
    """
    from django.utils.translation import get_language

    if not note.has_alt:
        alt = False
    elif choice in ("alt", "main"):
        alt = choice == "alt"
    else:
        alt = note.alt_first_for(get_language() or "")
    prefix = "alt_" if alt else ""
    return {
        "alt": alt,
        "title": getattr(note, f"{prefix}title"),
        "body": getattr(note, f"{prefix}body"),
        "title_field": f"{prefix}title",
        "body_field": f"{prefix}body",
        "language": note.alt_language if alt else note.language,
        "other": (note.language if alt else note.alt_language) if note.has_alt else "",
        "switch_to": "main" if alt else "alt",
    }


@register.filter
def note_language_name(code: str) -> str:
    """The translated name of a note language code ("" when unknown)."""
    from bridgenote.notes.forms import LANGUAGE_NAMES

    return str(LANGUAGE_NAMES.get(code, ""))


@register.filter
def help_label(code: str) -> str:
    """The badge of a note asking for language help ("" when it does not)."""
    from django.utils.translation import gettext

    labels = {
        "zh": gettext("Asks for help with Chinese"),
        "en": gettext("Asks for help with English"),
        "ja": gettext("Asks for help with Japanese"),
        "ko": gettext("Asks for help with Korean"),
    }
    return labels.get(code, "")


@register.filter
def html_lang(code: str) -> str:
    """A note language code as an HTML ``lang`` value ("" for mixed or unknown)."""
    if code == "zh":
        return "zh-Hans"
    return code if code in ("en", "ja", "ko") else ""


@register.filter
def topic_link(name: str) -> str:
    return topic_url(name)


@register.filter
def handle_link(handle: str) -> str:
    return profile_url(handle)


def _rendition(attachment: Attachment, names: tuple[str, ...]) -> tuple[str, int, int]:
    for name in names:
        url = attachment.rendition_url(name)
        if url:
            info = attachment.renditions.get(name, {})
            return (
                url,
                int(info.get("width") or attachment.width or 0),
                int(info.get("height") or attachment.height or 0),
            )
    return "", int(attachment.width or 0), int(attachment.height or 0)


@register.simple_tag
def media_view(attachment: Attachment | None, size: str = "card") -> dict[str, Any]:
    """What a template needs to show an attachment: url, width, height, aspect ratio and
    placeholder. ``size`` is "card" (grid) or "large" (the note page)."""
    if attachment is None:
        return {"url": "", "width": 0, "height": 0, "ratio": "1", "placeholder": "", "avif_url": ""}
    if attachment.kind == Attachment.Kind.VIDEO:
        names: tuple[str, ...] = ("poster",)
    else:
        names = ("card", "large") if size == "card" else ("large", "card")
    url, width, height = _rendition(attachment, names)
    ratio = width / height if width and height else 1.0
    if size == "card":
        ratio = max(_CARD_RATIO_MIN, min(_CARD_RATIO_MAX, ratio))
    return {
        "url": url,
        "width": width,
        "height": height,
        "ratio": f"{ratio:.4f}",
        "placeholder": blurhash.data_uri(attachment.blurhash, width, height),
        "avif_url": attachment.rendition_url("card_avif") if size == "card" else "",
        "video_url": attachment.rendition_url("video")
        if attachment.kind == Attachment.Kind.VIDEO
        else "",
    }


@register.inclusion_tag("notes/_profile_grid.html", takes_context=True)
def profile_notes_grid(context: dict[str, Any], author: Any) -> dict[str, Any]:
    """The grid of an author's notes on their profile page, as the viewer may see them,
    newest first; a "more" button loads the next page (cursor pagination)."""
    request = context.get("request")
    viewer = context.get("user")
    before = None
    if request is not None:
        raw = request.GET.get("before", "")
        before = int(raw) if raw.isdigit() else None
    page = queries.author_notes(author=author, viewer=viewer, before=before)
    return {
        "notes": page.notes,
        "next_cursor": page.next_cursor,
        "author": author,
        "user": viewer,
        "request": request,
    }
