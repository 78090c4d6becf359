"""Reads for the moderator console and for other apps (masking, the author's view)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from bridgenote.moderation.models import (
    Appeal,
    ModerationCase,
    ModerationDecision,
    RescanJob,
)
from bridgenote.moderation.rules import mask, scan_text
from bridgenote.notes.models import Note


def case_queue(*, order: str = "oldest") -> QuerySet[ModerationCase]:
    """Open cases, oldest first or most reported first."""
    cases = ModerationCase.objects.open().select_related("note", "note__author")
    if order == "reports":
        return cases.order_by("-report_count", "opened_at", "id")
    return cases.order_by("opened_at", "id")


def audit_log() -> QuerySet[ModerationDecision]:
    return ModerationDecision.objects.select_related("moderator", "note", "template").order_by(
        "-created_at", "-id"
    )


def open_appeals() -> QuerySet[Appeal]:
    return Appeal.objects.filter(state=Appeal.State.OPEN).select_related("note", "author")


def latest_rescan() -> RescanJob | None:
    return RescanJob.objects.order_by("-id").first()


def highlight(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` HTML-escaped, with each span wrapped in <mark>. Escaping happens per segment
    of the original text, before any markup is added, so user text can never inject HTML."""
    pieces: list[str] = []
    cursor = 0
    for start, end in _merge(spans, len(text)):
        pieces.append(escape(text[cursor:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece of user text is escaped above)


def _merge(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans if s < e):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def case_preview(case: ModerationCase) -> dict[str, Any]:
    """The note's title and body with matched terms highlighted, and the matched terms."""
    note = case.note
    title, body = (note.title, note.body) if note else ("", "")
    spans: dict[str, list[tuple[int, int]]] = {"title": [], "body": []}
    for match in case.matches:
        if match.get("field") in spans:
            spans[match["field"]].append((int(match["start"]), int(match["end"])))
    return {
        "title": highlight(title, spans["title"]),
        "body": highlight(body, spans["body"]),
        "terms": sorted({m["term"] for m in case.matches}),
        "via_pinyin": any(m.get("via_pinyin") for m in case.matches),
    }


def last_decision(note: Note) -> ModerationDecision | None:
    """The latest decision on a note (what the author sees and may appeal)."""
    return ModerationDecision.objects.filter(note=note).order_by("-created_at", "-id").first()


def masked(text: str, *, language: str | None = None) -> str:
    """``text`` with every "mask" rule's matches replaced by asterisks, for display."""
    return mask(text, scan_text(text, language=language))


@dataclass
class AuthorView:
    """What the author of a note that is not simply public is shown on the note page."""

    state: str  # "pending", "limited" or "removed"
    category: str  # the rule category's label, "" when no rule matched
    reason: str  # in the author's language
    open_appeal: bool


_PENDING_REASONS: dict[str, Callable[[], str]] = {
    "new_account": lambda: gettext(
        "The first notes of a new account are checked by a moderator before everyone can see them."
    ),
    "report": lambda: gettext(
        "People reported this note, so it is hidden until a moderator looks at it."
    ),
    "image": lambda: gettext("A moderator checks one of its photos before everyone can see it."),
    "": lambda: gettext("Some of its words are checked by a moderator before everyone can see it."),
}


def author_view(note: Note, *, language: str) -> AuthorView | None:
    """The moderation state of ``note`` as its author sees it, in ``language``; None when the
    note is public. A held note explains why it waits (by the case's source, never quoting the
    rule); a limited or removed one gives the moderator's reason."""
    from bridgenote.moderation.models import Category

    if note.moderation not in ("pending", "limited", "removed"):
        return None
    decision = last_decision(note)
    case = (
        ModerationCase.objects.filter(note=note).open().order_by("-id").first()
        if note.moderation == "pending"
        else (decision.case if decision else None)
    )
    code = next(
        (
            m["category"]
            for m in (case.matches if case else None) or []
            if m.get("category") in Category.values
        ),
        "",
    )
    with translation.override(language):
        category = str(Category(code).label) if code else ""
        if note.moderation == "pending":
            source = case.source if case else ""
            reason = _PENDING_REASONS.get(source, _PENDING_REASONS[""])()
        elif decision is None:
            reason = ""
        elif language.startswith("zh"):
            reason = decision.reason_zh or decision.reason_en
        else:
            reason = decision.reason_en or decision.reason_zh
    return AuthorView(
        state=note.moderation,
        category=category,
        reason=reason,
        open_appeal=Appeal.objects.filter(note=note, state=Appeal.State.OPEN).exists(),
    )
