"""Reads for the moderator console and for other apps (masking, the author's view)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
