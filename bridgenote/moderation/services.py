"""Every write of the moderation app: rules, cases, reports, decisions, appeals, rescans.

Applying a decision sets ``Note.moderation`` and calls ``notes.services.note_changed`` (feeds
follow from there). A moderator's decision and an appeal's outcome are told to the note's
author by ``notify.tasks.moderation_outcome``, enqueued after commit (``_tell_author``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bridgenote.moderation.models import (
    AllowPhrase,
    Appeal,
    KeywordRule,
    ModerationCase,
    ModerationDecision,
    ReasonTemplate,
    Report,
    RescanJob,
    RuleSetVersion,
)
from bridgenote.moderation.normalize import normalize
from bridgenote.moderation.rules import (
    Decision,
    Match,
    ScanResult,
    current_version,
    decide,
    forget_matcher,
    scan_image_hash,
    scan_text,
)
from bridgenote.notes.models import Note

if TYPE_CHECKING:
    from bridgenote.accounts.models import User


class ModerationError(Exception):
    """A request the moderation services refuse; ``message`` is translated, ``code`` stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ModerationRefused(ModerationError):
    """Submitted text matched a "refuse at submit" rule. The form shows ``message`` next to
    the field named ``field`` and keeps the draft; ``term`` is what matched, as written."""

    def __init__(self, *, term: str, field: str, start: int, end: int) -> None:
        super().__init__(
            "refused",
            _("“%(term)s” isn't allowed on Bridgenote. Please edit it and try again.")
            % {"term": term},
        )
        self.term = term
        self.field = field
        self.start = start
        self.end = end


def _note_changed(note_id: int) -> None:
    """Who may see the note changed: feeds, search and notifications follow after commit."""
    # Imported here: the notes services call moderation while a note is written.
    from bridgenote.notes.services import note_changed

    note_changed(note_id=note_id)


# --- rules --------------------------------------------------------------------------------
def rules_changed() -> int:
    """Bump the rule-set version so every process rebuilds its matcher; returns the version."""
    RuleSetVersion.objects.get_or_create(pk=1)
    RuleSetVersion.objects.filter(pk=1).update(version=F("version") + 1)
    transaction.on_commit(forget_matcher)
    forget_matcher()
    return current_version()


@transaction.atomic
def rule_save(
    *,
    term: str,
    category: str,
    action: str,
    languages: list[str] | None = None,
    pinyin: bool = False,
    enabled: bool = True,
    note: str = "",
    created_by: User | None = None,
) -> KeywordRule:
    """Create or update the rule for ``term`` (rules are unique by normalised term)."""
    normalized = _normalized_term(term)
    rule, _created = KeywordRule.objects.update_or_create(
        normalized=normalized,
        defaults={
            "term": term.strip(), "category": category, "action": action,
            "languages": sorted(set(languages or [])), "pinyin": pinyin, "enabled": enabled,
            "note": note, "updated_at": timezone.now(),
        },
        create_defaults={
            "term": term.strip(), "category": category, "action": action,
            "languages": sorted(set(languages or [])), "pinyin": pinyin, "enabled": enabled,
            "note": note, "created_by": created_by,
        },
    )  # fmt: skip
    rules_changed()
    return rule


def _normalized_term(term: str) -> str:
    term = term.strip()
    prefix = term.endswith("*") and len(term) > 1
    normalized = normalize(term[:-1] if prefix else term).strip()
    if not normalized:
        raise ModerationError("empty_term", _("The term is empty once normalised."))
    return normalized + ("*" if prefix else "")


@transaction.atomic
def allow_phrase_save(
    *, phrase: str, note: str = "", created_by: User | None = None
) -> AllowPhrase:
    """Create (or re-enable) an allow-phrase."""
    normalized = normalize(phrase).strip()
    if not normalized:
        raise ModerationError("empty_phrase", _("The phrase is empty once normalised."))
    allow, _created = AllowPhrase.objects.update_or_create(
        normalized=normalized,
        defaults={"phrase": phrase.strip(), "enabled": True, "note": note},
        create_defaults={"phrase": phrase.strip(), "note": note, "created_by": created_by},
    )
    rules_changed()
    return allow


# --- checking submissions -----------------------------------------------------------------
def note_check_submission(
    *,
    author: User,
    title: str,
    body: str,
    language: str | None = None,
    phashes: list[str] | None = None,
) -> Decision:
    """Check a note before it is saved. Raises ``ModerationRefused`` for a "refuse at submit"
    match (nothing is saved; the form keeps the draft). Otherwise returns the decision to
    apply once the note is saved (``after_note_saved``): allow, mask, limit or hold. A new
    account's first ``MODERATION_NEW_ACCOUNT_REVIEW_NOTES`` notes are held at least.
    """
    fields = {
        "title": scan_text(title, language=language),
        "body": scan_text(body, language=language),
    }
    for field, result in fields.items():
        for match in result.matches:
            if match.action == "refuse":
                raise ModerationRefused(
                    term=result.text[match.start : match.end], field=field,
                    start=match.start, end=match.end,
                )  # fmt: skip
    decision = decide(list(fields.values()))
    image_action = "allow"
    for phash in phashes or []:
        for image in scan_image_hash(phash):
            if image.action == "refuse":
                raise ModerationError(
                    "image_refused", _("One of the images isn't allowed on Bridgenote.")
                )
            image_action = "hold"
    if image_action == "hold":
        decision = decision.stricter("hold", "image")
    if _is_new_account(author):
        decision = decision.stricter("hold", "new_account")
    return decision


def _is_new_account(author: User) -> bool:
    limit = settings.MODERATION_NEW_ACCOUNT_REVIEW_NOTES
    if limit <= 0:
        return False
    published = Note.objects.filter(
        author=author, status=Note.Status.PUBLISHED, moderation=Note.Moderation.PUBLISHED
    ).count()
    return published < limit


def note_matches(note: Note) -> list[dict[str, Any]]:
    """Every rule match in a note's title and body, as stored on a case."""
    language = note.language or None
    out: list[dict[str, Any]] = []
    for field, text in (("title", note.title), ("body", note.body)):
        out.extend(
            {"field": field, **m.as_dict()} for m in scan_text(text, language=language).matches
        )
    return out


@transaction.atomic
def after_note_saved(*, note: Note, decision: Decision | None = None) -> Decision:
    """Apply moderation to a note that was just created or edited (call it from the notes
    service inside its transaction, after saving). Re-scans unless ``decision`` (from
    ``note_check_submission``) is given. hold -> ``pending`` + an open case; limit ->
    ``limited`` + an open case; mask and allow leave the note published. A note a moderator
    already limited or removed keeps that state. Returns the decision applied."""
    if decision is None:
        decision = decide(
            [
                scan_text(note.title, language=note.language or None),
                scan_text(note.body, language=note.language or None),
            ]
        )
        if _is_new_account(note.author):
            decision = decision.stricter("hold", "new_account")
    if note.moderation in (Note.Moderation.LIMITED, Note.Moderation.REMOVED):
        return decision
    if decision.action in ("hold", "limit", "refuse"):
        source = (
            ModerationCase.Source.NEW_ACCOUNT
            if decision.action == "hold" and not decision.matches
            else ModerationCase.Source.SCAN
        )
        case_open_for_note(note=note, matches=note_matches(note), source=source)
        state = Note.Moderation.LIMITED if decision.action == "limit" else Note.Moderation.PENDING
        Note.objects.filter(pk=note.pk).update(moderation=state)
        note.moderation = state
        ModerationDecision.objects.create(
            note=note,
            action=ModerationDecision.Action.LIMIT
            if decision.action == "limit"
            else ModerationDecision.Action.HOLD,
            reason_en=", ".join(decision.reasons) or "rules",
        )
    return decision


@transaction.atomic
def after_attachment_ready(*, note: Note, phash: str) -> str:
    """Check a note's image once its perceptual hash is known (call it from the media
    pipeline when an attachment of a note becomes ready). An image rule match holds the note
    for review with a case (a "refuse" image rule also only holds here: the note is already
    out, and a moderator decides). Returns "hold" or "allow"."""
    matches = scan_image_hash(phash)
    if not matches or note.moderation in (Note.Moderation.LIMITED, Note.Moderation.REMOVED):
        return "allow"
    case = case_open_for_note(note=note, source=ModerationCase.Source.IMAGE)
    if case.source != ModerationCase.Source.IMAGE and not case.matches:
        ModerationCase.objects.filter(pk=case.pk).update(source=ModerationCase.Source.IMAGE)
    Note.objects.filter(pk=note.pk).update(moderation=Note.Moderation.PENDING)
    note.moderation = Note.Moderation.PENDING
    ModerationDecision.objects.create(
        note=note, action=ModerationDecision.Action.HOLD,
        reason_en=f"image rule {matches[0].rule_id} (distance {matches[0].distance})",
    )  # fmt: skip
    return "hold"


# --- cases --------------------------------------------------------------------------------
@transaction.atomic
def case_open_for_note(
    *,
    note: Note,
    matches: list[dict[str, Any]] | ScanResult | None = None,
    source: str = ModerationCase.Source.SCAN,
    field: str = "body",
) -> ModerationCase:
    """The open case for ``note``, created if there is none; new matches are merged in.
    Guarantees at most one open case per note (database constraint)."""
    if isinstance(matches, ScanResult):
        matches = [{"field": field, **m.as_dict()} for m in matches.matches]
    case = ModerationCase.objects.select_for_update().filter(note=note).open().first()
    if case is None:
        case = ModerationCase.objects.create(note=note, source=source, matches=matches or [])
        return case
    known = {(m["field"], m["start"], m["end"], m["rule_id"]) for m in case.matches}
    merged = case.matches + [
        m for m in matches or [] if (m["field"], m["start"], m["end"], m["rule_id"]) not in known
    ]
    if merged != case.matches:
        case.matches = merged
        case.save(update_fields=["matches"])
    return case


_ACTION_STATE: dict[str, str] = {
    ModerationDecision.Action.APPROVE: Note.Moderation.PUBLISHED,
    ModerationDecision.Action.LIMIT: Note.Moderation.LIMITED,
    ModerationDecision.Action.REMOVE: Note.Moderation.REMOVED,
}


def case_category(case: ModerationCase | None) -> str:
    """The rule category of a case (its first match's), "" when no rule matched."""
    for match in (case.matches if case else None) or []:
        if match.get("category"):
            return str(match["category"])
    return ""


def _tell_author(
    *, note_id: int, outcome: str, reason_en: str = "", reason_zh: str = "", category: str = ""
) -> None:
    """After commit: a moderation notification to the note's author (notify app)."""
    from bridgenote.core.jobs import enqueue_on_commit
    from bridgenote.notify.tasks import moderation_outcome

    enqueue_on_commit(
        moderation_outcome, note_id, outcome, reason_en=reason_en, reason_zh=reason_zh,
        category=category,
    )  # fmt: skip


_OUTCOME_OF_ACTION: dict[str, str] = {
    ModerationDecision.Action.APPROVE: "approved",
    ModerationDecision.Action.LIMIT: "limited",
    ModerationDecision.Action.REMOVE: "removed",
}


@transaction.atomic
def decision_record(
    *,
    case: ModerationCase,
    moderator: User,
    action: str,
    template: ReasonTemplate | None = None,
    reason_en: str = "",
    reason_zh: str = "",
    notify_author: bool = True,
) -> ModerationDecision:
    """A moderator's decision on a case: sets ``Note.moderation`` (approve -> published,
    limit -> limited, remove -> removed), closes the case and writes the audit entry. The
    reason shown to the author is the template's text followed by the free text. After
    commit the author is notified of a limit or removal, and of an approval when the note
    was not already public (an approval after reports on a public note changes nothing for
    them)."""
    if not (moderator.is_moderator or moderator.is_staff):
        raise ModerationError("forbidden", _("Only moderators can decide."))
    if action not in _ACTION_STATE:
        raise ModerationError("bad_action", _("Choose approve, limit or remove."))
    case = ModerationCase.objects.select_for_update().get(pk=case.pk)
    if case.state != ModerationCase.State.OPEN:
        raise ModerationError("closed", _("Another moderator already decided this case."))
    note = case.note
    assert note is not None  # the case_has_target constraint
    before = Note.objects.filter(pk=note.pk).values_list("moderation", flat=True).first()
    Note.objects.filter(pk=note.pk).update(moderation=_ACTION_STATE[action])
    _note_changed(note.pk)
    case.state = ModerationCase.State.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["state", "closed_at"])
    decision = ModerationDecision.objects.create(
        case=case, note=note, moderator=moderator, action=action, template=template,
        reason_en=_join_reason(template.text_en if template else "", reason_en),
        reason_zh=_join_reason(template.text_zh if template else "", reason_zh),
    )  # fmt: skip
    if notify_author and (action != "approve" or before != Note.Moderation.PUBLISHED):
        _tell_author(
            note_id=note.pk, outcome=_OUTCOME_OF_ACTION[action], reason_en=decision.reason_en,
            reason_zh=decision.reason_zh, category=case_category(case),
        )  # fmt: skip
    return decision


def _join_reason(template_text: str, free_text: str) -> str:
    return "\n\n".join(t for t in (template_text.strip(), free_text.strip()) if t)


def decisions_bulk(
    *,
    cases: list[ModerationCase],
    moderator: User,
    action: str,
    template: ReasonTemplate | None = None,
) -> list[ModerationDecision]:
    """``decision_record`` for each open case; cases already decided are skipped."""
    done = []
    for case in cases:
        try:
            done.append(
                decision_record(case=case, moderator=moderator, action=action, template=template)
            )
        except ModerationError as error:
            if error.code != "closed":
                raise
    return done


# --- reports ------------------------------------------------------------------------------
@transaction.atomic
def report_create(*, reporter: User, note: Note, category: str, text: str = "") -> Report:
    """File a report: opens (or joins) the note's case and counts it. One report per
    reporter and note; at most ``MODERATION_REPORTS_PER_HOUR`` per reporter and hour; nobody
    reports their own note. With ``MODERATION_REPORTS_TO_HOLD`` > 0, that many reports hide a
    published note until a moderator decides."""
    if category not in Report.Category.values:
        raise ModerationError("bad_category", _("Choose what is wrong with this note."))
    if note.author_id == reporter.pk:
        raise ModerationError("own_note", _("You can't report your own note."))
    if len(text) > 500:
        raise ModerationError("too_long", _("Keep the details under 500 characters."))
    since = timezone.now() - timedelta(hours=1)
    if (
        Report.objects.filter(reporter=reporter, created_at__gte=since).count()
        >= settings.MODERATION_REPORTS_PER_HOUR
    ):
        raise ModerationError(
            "rate_limited", _("You have sent many reports. Please try again later.")
        )
    if Report.objects.filter(reporter=reporter, note=note).exists():
        raise ModerationError("duplicate", _("You already reported this note. Thank you."))
    case = case_open_for_note(note=note, matches=note_matches(note), source="report")
    report = Report.objects.create(
        reporter=reporter, case=case, note=note, category=category, text=text.strip()
    )
    ModerationCase.objects.filter(pk=case.pk).update(report_count=F("report_count") + 1)
    threshold = settings.MODERATION_REPORTS_TO_HOLD
    if threshold and case.report_count + 1 >= threshold:
        Note.objects.filter(pk=note.pk, moderation=Note.Moderation.PUBLISHED).update(
            moderation=Note.Moderation.PENDING
        )
        _note_changed(note.pk)
    return report


# --- appeals ------------------------------------------------------------------------------
# What an author may appeal: a note held for review (pending), limited or removed.
APPEALABLE = (Note.Moderation.PENDING, Note.Moderation.LIMITED, Note.Moderation.REMOVED)


@transaction.atomic
def appeal_create(*, author: User, note: Note, text: str) -> Appeal:
    """The author appeals the decision that held, limited or removed their note (one open
    appeal per note). The appeal opens a case so it appears in the moderators' queue."""
    if note.author_id != author.pk:
        raise ModerationError("not_author", _("Only the author can appeal."))
    if note.moderation not in APPEALABLE:
        raise ModerationError("nothing_to_appeal", _("This note has no decision to appeal."))
    text = text.strip()
    if not text:
        raise ModerationError("empty", _("Tell the moderators why the decision is wrong."))
    if len(text) > 1000:
        raise ModerationError("too_long", _("Keep the appeal under 1000 characters."))
    if Appeal.objects.filter(note=note, state=Appeal.State.OPEN).exists():
        raise ModerationError("open_appeal", _("This note already has an appeal waiting."))
    last = ModerationDecision.objects.filter(note=note).order_by("-created_at", "-id").first()
    appeal = Appeal.objects.create(note=note, author=author, decision=last, text=text)
    case_open_for_note(note=note, matches=note_matches(note), source="appeal")
    return appeal


@transaction.atomic
def appeal_decide(*, appeal: Appeal, moderator: User, overturn: bool, outcome: str = "") -> Appeal:
    """Decide an appeal: overturning publishes the note again (an "approve" in the audit
    log); upholding keeps it as it is. The appeal's case is closed (a held note's stays open
    when upheld, since it still needs a decision). After commit the author is told."""
    if not (moderator.is_moderator or moderator.is_staff):
        raise ModerationError("forbidden", _("Only moderators can decide."))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.state != Appeal.State.OPEN:
        raise ModerationError("closed", _("This appeal was already decided."))
    case = ModerationCase.objects.filter(note_id=appeal.note_id).open().first()
    category = case_category(case)
    if overturn:
        if case is None:
            case = ModerationCase.objects.create(note_id=appeal.note_id, source="appeal")
        decision_record(
            case=case, moderator=moderator, action="approve", reason_en=outcome,
            reason_zh=outcome, notify_author=False,
        )  # fmt: skip
    elif (
        case is not None
        and not Note.objects.filter(pk=appeal.note_id, moderation=Note.Moderation.PENDING).exists()
    ):
        # A held note's case stays open: upholding the hold still leaves it to be decided.
        ModerationCase.objects.filter(pk=case.pk).update(
            state=ModerationCase.State.CLOSED, closed_at=timezone.now()
        )
    appeal.state = Appeal.State.OVERTURNED if overturn else Appeal.State.UPHELD
    appeal.outcome = outcome.strip()
    appeal.decided_by = moderator
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["state", "outcome", "decided_by", "decided_at"])
    # The author hears the outcome; the reason is the moderator's words, else (upheld) the
    # reason of the decision they appealed, in both languages.
    appealed = appeal.decision
    _tell_author(
        note_id=appeal.note_id,
        outcome="appeal_overturned" if overturn else "appeal_upheld",
        reason_en=appeal.outcome or (appealed.reason_en if appealed and not overturn else ""),
        reason_zh=appeal.outcome or (appealed.reason_zh if appealed and not overturn else ""),
        category=category,
    )
    return appeal


# --- rescans ------------------------------------------------------------------------------
@transaction.atomic
def rescan_start(*, started_by: User | None = None) -> RescanJob:
    """Queue a rescan of every published note against the current rules."""
    from bridgenote.core.jobs import enqueue_on_commit
    from bridgenote.moderation.tasks import rescan_run

    job = RescanJob.objects.create(
        rules_version=current_version(),
        total=Note.objects.filter(
            status=Note.Status.PUBLISHED, moderation=Note.Moderation.PUBLISHED
        ).count(),
        started_by=started_by,
    )
    enqueue_on_commit(rescan_run, job.pk)
    return job


@dataclass
class BatchResult:
    scanned: int
    flagged: int
    done: bool


def rescan_step(*, job_id: int, batch_size: int | None = None) -> BatchResult:
    """Scan the next id-ordered batch of published notes. The batch is claimed with a
    conditional UPDATE on ``last_id``, so concurrent workers never scan the same notes and a
    crashed job resumes after its last committed batch. Hold/refuse/limit matches open a
    case and hide the note (pending) or limit it; a note is never refused after the fact."""
    size = batch_size or settings.MODERATION_RESCAN_BATCH
    job = RescanJob.objects.get(pk=job_id)
    if job.state in (RescanJob.State.DONE, RescanJob.State.FAILED):
        return BatchResult(0, 0, True)
    rows = list(
        Note.objects.filter(
            id__gt=job.last_id, status=Note.Status.PUBLISHED,
            moderation=Note.Moderation.PUBLISHED,
        )
        .order_by("id")
        .values_list("id", "title", "body", "language")[:size]
    )  # fmt: skip
    if not rows:
        RescanJob.objects.filter(pk=job.pk, last_id=job.last_id).update(
            state=RescanJob.State.DONE, finished_at=timezone.now()
        )
        return BatchResult(0, 0, True)
    flagged: list[tuple[int, str, list[dict[str, Any]]]] = []
    for note_id, title, body, language in rows:
        results = [("title", scan_text(title, language=language or None)),
                   ("body", scan_text(body, language=language or None))]  # fmt: skip
        action = decide([r for _, r in results]).action
        if action in ("hold", "limit", "refuse"):
            matches = [{"field": f, **m.as_dict()} for f, r in results for m in r.matches]
            flagged.append((note_id, action, matches))
    with transaction.atomic():
        claimed = RescanJob.objects.filter(pk=job.pk, last_id=job.last_id).update(
            last_id=rows[-1][0], processed=F("processed") + len(rows),
            flagged=F("flagged") + len(flagged), state=RescanJob.State.RUNNING,
        )  # fmt: skip
        if not claimed:
            return BatchResult(0, 0, False)  # another worker took this batch
        for note_id, action, matches in flagged:
            _flag_note(note_id, action, matches)
    return BatchResult(len(rows), len(flagged), False)


def _flag_note(note_id: int, action: str, matches: list[dict[str, Any]]) -> None:
    note = Note.objects.get(pk=note_id)
    case_open_for_note(note=note, matches=matches, source="rescan")
    state = Note.Moderation.LIMITED if action == "limit" else Note.Moderation.PENDING
    Note.objects.filter(pk=note_id, moderation=Note.Moderation.PUBLISHED).update(moderation=state)
    _note_changed(note_id)
    ModerationDecision.objects.create(
        note=note,
        action=ModerationDecision.Action.LIMIT
        if action == "limit"
        else ModerationDecision.Action.HOLD,
        reason_en="rescan",
    )


def rescan_run(*, job_id: int) -> RescanJob:
    """Run a rescan job to the end, batch by batch (the job entry point calls this)."""
    try:
        while not rescan_step(job_id=job_id).done:
            pass
    except Exception as error:
        RescanJob.objects.filter(pk=job_id).update(
            state=RescanJob.State.FAILED, error=str(error)[:200], finished_at=timezone.now()
        )
        raise
    return RescanJob.objects.get(pk=job_id)


__all__ = [
    "Match",
    "ModerationError",
    "ModerationRefused",
    "after_note_saved",
    "appeal_create",
    "appeal_decide",
    "case_open_for_note",
    "decision_record",
    "note_check_submission",
    "report_create",
    "rescan_start",
]
