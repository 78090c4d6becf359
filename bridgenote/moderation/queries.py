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
    cases = ModerationCase.objects.open().select_related(
        "note", "note__author", "comment", "comment__author", "account", "account__profile"
    )
    if order == "reports":
        return cases.order_by("-report_count", "opened_at", "id")
    return cases.order_by("opened_at", "id")


def audit_log() -> QuerySet[ModerationDecision]:
    return ModerationDecision.objects.select_related("moderator", "note", "template").order_by(
        "-created_at", "-id"
    )


def public_log() -> QuerySet[ModerationDecision]:
    """Moderators' decisions (not the automatic holds by rules), newest first, for the
    public log: it shows the action, the kind of content, the category and the reason,
    never the moderator, the author or the content."""
    return (
        ModerationDecision.objects.filter(moderator__isnull=False)
        .select_related("case")
        .order_by("-created_at", "-id")
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
    """What the case is about, with matched terms highlighted: a note's title, body,
    second-language version and image alt texts; a comment's body; an account's bio (the one
    waiting for review, else the public one). Also the kind, the author and the terms."""
    from bridgenote.moderation.services import note_texts

    texts: dict[str, str] = {}
    kind, author = "note", None
    if case.note is not None:
        texts = {field: text for field, text, _lang in note_texts(case.note)}
        author = case.note.author
    elif case.comment is not None:
        kind, author = "comment", case.comment.author
        texts = {"body": case.comment.body}
    elif case.account is not None:
        kind, author = "bio", case.account
        profile = getattr(case.account, "profile", None)
        texts = {"body": (profile.bio_pending or profile.bio) if profile else ""}
    spans: dict[str, list[tuple[int, int]]] = {field: [] for field in texts}
    for match in case.matches:
        if match.get("field") in spans:
            spans[match["field"]].append((int(match["start"]), int(match["end"])))
        elif match.get("field") == "bio":
            spans.setdefault("body", []).append((int(match["start"]), int(match["end"])))
    extra = [
        {"field": field, "text": highlight(text, spans[field])}
        for field, text in texts.items()
        if field not in ("title", "body") and text
    ]
    return {
        "kind": kind,
        "author": author,
        "title": highlight(texts.get("title", ""), spans.get("title", [])),
        "body": highlight(texts.get("body", ""), spans.get("body", [])),
        "extra": extra,
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
    if note.moderation not in ("pending", "limited", "removed"):
        return None
    return _view(
        state=str(note.moderation),
        decisions=ModerationDecision.objects.filter(note=note),
        cases=ModerationCase.objects.filter(note=note),
        open_appeal=Appeal.objects.filter(note=note, state=Appeal.State.OPEN).exists(),
        language=language,
        reasons=_PENDING_REASONS,
    )


# Comments and bios: the same reasons, without the word "note".
_OTHER_PENDING_REASONS: dict[str, Callable[[], str]] = {
    "report": lambda: gettext("People reported it, so it is hidden until a moderator looks at it."),
    "": _PENDING_REASONS[""],
}


def comment_author_view(comment: Any, *, language: str) -> AuthorView | None:
    """``author_view`` for a comment (its author sees it in the thread)."""
    if comment.moderation not in ("pending", "limited", "removed"):
        return None
    return _view(
        state=str(comment.moderation),
        decisions=ModerationDecision.objects.filter(comment=comment),
        cases=ModerationCase.objects.filter(comment=comment),
        open_appeal=Appeal.objects.filter(comment=comment, state=Appeal.State.OPEN).exists(),
        language=language,
        reasons=_OTHER_PENDING_REASONS,
    )


def bio_author_view(profile: Any, *, language: str) -> AuthorView | None:
    """``author_view`` for a bio (its owner sees it on their profile)."""
    if profile.bio_moderation not in ("pending", "limited", "removed"):
        return None
    return _view(
        state=str(profile.bio_moderation),
        decisions=ModerationDecision.objects.filter(account_id=profile.user_id),
        cases=ModerationCase.objects.filter(account_id=profile.user_id),
        open_appeal=Appeal.objects.filter(
            author_id=profile.user_id, note=None, comment=None, state=Appeal.State.OPEN
        ).exists(),
        language=language,
        reasons=_OTHER_PENDING_REASONS,
    )


def _view(
    *,
    state: str,
    decisions: QuerySet[ModerationDecision],
    cases: QuerySet[ModerationCase],
    open_appeal: bool,
    language: str,
    reasons: dict[str, Callable[[], str]],
) -> AuthorView:
    from bridgenote.moderation.models import Category

    decision = decisions.order_by("-created_at", "-id").first()
    case = (
        cases.filter(state=ModerationCase.State.OPEN).order_by("-id").first()
        if state == "pending"
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
        if state == "pending":
            source = case.source if case else ""
            reason = reasons.get(source, reasons[""])()
        elif decision is None or decision.moderator_id is None:
            reason = ""  # limited by a rule: no moderator's words (the rule is never quoted)
        elif language.startswith("zh"):
            reason = decision.reason_zh or decision.reason_en
        else:
            reason = decision.reason_en or decision.reason_zh
    return AuthorView(state=state, category=category, reason=reason, open_appeal=open_appeal)
