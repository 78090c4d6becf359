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
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from bridgenote.moderation.models import (
    AccountStanding,
    AllowPhrase,
    Appeal,
    KeywordRule,
    ModerationCase,
    ModerationDecision,
    ReasonTemplate,
    Report,
    RescanChunk,
    RescanJob,
    RuleSetVersion,
)
from bridgenote.moderation.normalize import normalize
from bridgenote.moderation.rules import (
    ACTIONS,
    Decision,
    Match,
    ScanResult,
    current_version,
    decide,
    forget_matcher,
    get_matcher,
    scan_image_hash,
    scan_text,
    scan_texts_matched,
)
from bridgenote.notes.models import Note

if TYPE_CHECKING:
    from bridgenote.accounts.models import Profile, User
    from bridgenote.engage.models import Comment

_RANK_OF = {action: rank for rank, action in enumerate(ACTIONS)}


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


def _notes_changed(note_ids: list[int]) -> None:
    """``_note_changed`` for many notes (an account action, a rescan batch): one job."""
    from bridgenote.notes.services import notes_changed

    notes_changed(note_ids=note_ids)


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
    alt_texts: list[str] | None = None,
) -> Decision:
    """Check a note before it is saved (``alt_texts``: its images' alt texts). Raises
    ``ModerationRefused`` for a "refuse at submit" match (nothing is saved; the form keeps
    the draft). Otherwise returns the decision to apply once the note is saved
    (``after_note_saved``): allow, mask, limit or hold. A new account's first
    ``MODERATION_NEW_ACCOUNT_REVIEW_NOTES`` notes are held at least.
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
    if alt_texts:
        alt = alt_texts_check(alt_texts)
        if alt.action != "allow":
            stricter = decision.stricter(alt.action, "alt text")
            decision = Decision(stricter.action, decision.matches + alt.matches, stricter.reasons)
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


def note_texts(note: Note) -> list[tuple[str, str, str | None]]:
    """(field, text, language) of every text of a note that rules apply to: title and body,
    their second-language versions, and each image's alt text (``alt_text:<position>``)."""
    from bridgenote.notes.models import NoteAttachment

    language = note.language or None
    texts: list[tuple[str, str, str | None]] = [
        ("title", note.title, language),
        ("body", note.body, language),
    ]
    if note.alt_language:
        texts += [
            ("alt_title", note.alt_title, note.alt_language),
            ("alt_body", note.alt_body, note.alt_language),
        ]
    if note.pk:
        rows = NoteAttachment.objects.filter(note_id=note.pk).values_list(
            "position", "attachment__alt_text"
        )
        texts += [(f"alt_text:{position}", alt or "", None) for position, alt in rows if alt]
    return texts


def note_matches(note: Note) -> list[dict[str, Any]]:
    """Every rule match in a note's texts (``note_texts``), as stored on a case."""
    out: list[dict[str, Any]] = []
    for field, text, language in note_texts(note):
        out.extend(
            {"field": field, **m.as_dict()} for m in scan_text(text, language=language).matches
        )
    return out


def _refuse_if_matched(result: ScanResult, field: str) -> None:
    for match in result.matches:
        if match.action == "refuse":
            raise ModerationRefused(
                term=result.text[match.start : match.end], field=field,
                start=match.start, end=match.end,
            )  # fmt: skip


def alt_texts_check(alt_texts: list[str]) -> Decision:
    """Check image alt texts at submit: a "refuse" match raises ``ModerationRefused`` (field
    ``attachments``); otherwise the decision for them (joined into the note's by the caller)."""
    results = [scan_text(text) for text in alt_texts if text]
    for result in results:
        _refuse_if_matched(result, "attachments")
    return decide(results)


@transaction.atomic
def after_note_saved(*, note: Note, decision: Decision | None = None) -> Decision:
    """Apply moderation to a note that was just created or edited (call it from the notes
    service inside its transaction, after saving). Re-scans unless ``decision`` (from
    ``note_check_submission``) is given. hold -> ``pending`` + an open case; limit ->
    ``limited`` + an open case; mask and allow leave the note published. A note a moderator
    already limited or removed keeps that state. Returns the decision applied."""
    if decision is None:
        decision = decide([scan_text(t, language=lang) for _f, t, lang in note_texts(note)])
        if _is_new_account(note.author):
            decision = decision.stricter("hold", "new_account")
    if note.moderation in (Note.Moderation.LIMITED, Note.Moderation.REMOVED):
        return decision
    if decision.action in ("allow", "mask") and _limit_if_account_limited(note):
        return decision
    # Image alt texts are saved with the attachments, not the note: check them here too.
    alt = decide([scan_text(t) for f, t, _l in note_texts(note) if f.startswith("alt_text:")])
    if _RANK_OF[alt.action] > _RANK_OF[decision.action]:
        decision = decision.stricter(alt.action, "alt text")
    if decision.action in ("hold", "limit", "refuse"):
        source = (
            ModerationCase.Source.NEW_ACCOUNT
            if decision.action == "hold" and not decision.matches
            else ModerationCase.Source.SCAN
        )
        case = case_open_for_note(note=note, matches=note_matches(note), source=source)
        state = Note.Moderation.LIMITED if decision.action == "limit" else Note.Moderation.PENDING
        before = note.moderation
        Note.objects.filter(pk=note.pk).update(moderation=state)
        note.moderation = state
        ModerationDecision.objects.create(
            note=note,
            action=ModerationDecision.Action.LIMIT
            if decision.action == "limit"
            else ModerationDecision.Action.HOLD,
            reason_en=", ".join(decision.reasons) or "rules",
        )
        if before != state:  # an edit of a note already held is not told again
            _tell_author(
                note_id=note.pk,
                outcome="held" if state == Note.Moderation.PENDING else "rule_limited",
                category=case_category(case),
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
    return case_open(note=note, matches=matches, source=source)


@transaction.atomic
def case_open(
    *,
    note: Note | None = None,
    comment: Comment | None = None,
    account_id: int | None = None,
    matches: list[dict[str, Any]] | None = None,
    source: str = ModerationCase.Source.SCAN,
    replace: bool = False,
) -> ModerationCase:
    """The open case for one note, comment or account (its bio, or the account when
    reported), created if there is none; new matches are merged in (``replace``: the old
    ones are dropped, for a bio submitted again). At most one open case per target."""
    target: dict[str, Any]
    if note is not None:
        target = {"note": note}
    elif comment is not None:
        target = {"comment": comment}
    else:
        target = {"account_id": account_id}
    case = ModerationCase.objects.select_for_update().filter(**target).open().first()
    if case is None:
        return ModerationCase.objects.create(**target, source=source, matches=matches or [])
    if replace:
        case.matches = matches or []
        case.save(update_fields=["matches"])
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
    *,
    note_id: int | None = None,
    outcome: str,
    reason_en: str = "",
    reason_zh: str = "",
    category: str = "",
    comment_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
) -> None:
    """After commit: a moderation notification to the author of the note, the comment or
    the bio (``account_id``), or about the account itself (``target="account"``)."""
    from bridgenote.core.jobs import enqueue_on_commit
    from bridgenote.notify.tasks import moderation_outcome

    extra: dict[str, Any] = {}
    if comment_id is not None:
        extra["comment_id"] = comment_id
    if account_id is not None:
        extra["account_id"] = account_id
    if target:
        extra["target"] = target
    enqueue_on_commit(
        moderation_outcome, note_id, outcome, reason_en=reason_en, reason_zh=reason_zh,
        category=category, **extra,
    )  # fmt: skip


def _target_ids(case: ModerationCase) -> dict[str, Any]:
    if case.comment_id is not None:
        return {"comment_id": case.comment_id}
    if case.account_id is not None:
        return {"account_id": case.account_id}
    return {"note_id": case.note_id}


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
    state = _ACTION_STATE[action]
    # Approving the content of a limited account limits it, as the account's other content
    # (and the limit is lifted with the rest of it).
    standing = _limited_standing(case_author_id(case)) if state == "published" else None
    if standing is not None:
        state, action_told = Note.Moderation.LIMITED, "limit"
    else:
        action_told = action
    if case.comment_id is not None:
        before = _comment_apply(case.comment_id, state)
        if standing is not None:
            standing.limited_comments = [*standing.limited_comments, case.comment_id]
    elif case.account_id is not None:
        before = _bio_apply(case.account_id, state)
        if standing is not None:
            standing.limited_bio = True
    else:
        assert case.note_id is not None  # the case_has_one_target constraint
        before = str(
            Note.objects.filter(pk=case.note_id).values_list("moderation", flat=True).first()
        )
        Note.objects.filter(pk=case.note_id).update(moderation=state)
        _note_changed(case.note_id)
        if standing is not None:
            standing.limited_notes = [*standing.limited_notes, case.note_id]
    if standing is not None:
        standing.save(update_fields=["limited_notes", "limited_comments", "limited_bio"])
    case.state = ModerationCase.State.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["state", "closed_at"])
    kind = (
        "comment" if case.comment_id is not None
        else "bio" if case.account_id is not None
        else "note"
    )  # fmt: skip
    decision = ModerationDecision.objects.create(
        case=case, note_id=case.note_id, comment_id=case.comment_id, account_id=case.account_id,
        moderator=moderator, action=action, template=template,
        reason_en=_join_reason(template.text_for("en", kind) if template else "", reason_en),
        reason_zh=_join_reason(template.text_for("zh", kind) if template else "", reason_zh),
    )  # fmt: skip
    if notify_author and (action_told != "approve" or before != Note.Moderation.PUBLISHED):
        _tell_author(
            outcome=_OUTCOME_OF_ACTION[action_told], reason_en=decision.reason_en,
            reason_zh=decision.reason_zh, category=case_category(case), **_target_ids(case),
        )  # fmt: skip
    return decision


# --- comments and bios --------------------------------------------------------------------
def comment_check_submission(*, body: str, language: str | None = None) -> Decision:
    """Check a comment before it is saved: ``ModerationRefused`` (field "body") for a
    "refuse at submit" match, else the decision for ``after_comment_saved``."""
    result = scan_text(body, language=language)
    _refuse_if_matched(result, "body")
    return decide(result)


@transaction.atomic(savepoint=False)
def after_comment_saved(*, comment: Comment, decision: Decision) -> str:
    """Apply a submission decision to a saved comment (the engage service calls it inside
    its transaction): hold -> "pending" (only its author sees it) + an open case, limit ->
    "limited" + an open case; the author is told. Returns the comment's state. No savepoint:
    an error here fails the comment's whole transaction (two round trips fewer per comment
    on PostgreSQL)."""
    from bridgenote.engage.services import comments_moderation_set

    if decision.action not in ("hold", "limit", "refuse"):
        _limit_comment_if_account_limited(comment)
        return str(comment.moderation)
    state = Note.Moderation.LIMITED if decision.action == "limit" else Note.Moderation.PENDING
    comments_moderation_set(comment_ids=[comment.pk], state=state)
    comment.moderation = state
    matches = [{"field": "body", **m.as_dict()} for m in decision.matches]
    case = case_open(comment=comment, matches=matches, source=ModerationCase.Source.SCAN)
    ModerationDecision.objects.create(
        case=case, comment=comment,
        action=ModerationDecision.Action.LIMIT if state == "limited" else "hold",
        reason_en="rules",
    )  # fmt: skip
    _tell_author(
        comment_id=comment.pk, outcome="held" if state == "pending" else "rule_limited",
        category=case_category(case),
    )  # fmt: skip
    return state


def _comment_apply(comment_id: int, state: str) -> str:
    """Set a comment's state; a held comment approved now reaches the people it was for."""
    from bridgenote.engage.models import Comment as CommentModel
    from bridgenote.engage.services import comments_moderation_set

    comment = CommentModel.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        return ""
    before = str(comment.moderation)
    comments_moderation_set(comment_ids=[comment_id], state=state)
    if before == Note.Moderation.PENDING and state in ("published", "limited"):
        from bridgenote.notify import services as notify

        comment.moderation = state
        if state == "published":
            told = notify.notify_comment(comment=comment)
            notify.notify_mentions(note=comment.note, comment=comment, exclude=told)
    return before


@transaction.atomic
def bio_submit(*, profile: Profile, bio: str) -> list[str]:
    """Moderate a new bio before the accounts service saves ``profile``: a "refuse" match
    raises ``ModerationRefused`` (field "bio"); a hold keeps the public bio as it was and
    parks the new one in ``bio_pending`` with an open case (the author is told); otherwise
    the new bio is public ("limited" when a limit rule matched). Returns the fields set."""
    if bio == profile.bio and not profile.bio_pending:
        return []
    result = scan_text(bio)
    _refuse_if_matched(result, "bio")
    decision = decide(result)
    if decision.action in ("hold", "refuse"):
        profile.bio_pending = bio
        profile.bio_moderation = Note.Moderation.PENDING
        matches = [{"field": "bio", **m.as_dict()} for m in decision.matches]
        case = case_open(account_id=profile.user_id, matches=matches, replace=True)
        ModerationDecision.objects.create(
            case=case, account_id=profile.user_id, action="hold", reason_en="rules"
        )
        _tell_author(account_id=profile.user_id, outcome="held", category=case_category(case))
        return ["bio_pending", "bio_moderation"]
    profile.bio = bio
    profile.bio_pending = ""
    profile.bio_moderation = (
        Note.Moderation.LIMITED if decision.action == "limit" else Note.Moderation.PUBLISHED
    )
    standing = _limited_standing(profile.user_id)
    if standing is not None and profile.bio_moderation == Note.Moderation.PUBLISHED:
        # A limited account's new bio is limited too, and published again with the rest.
        profile.bio_moderation = Note.Moderation.LIMITED
        standing.limited_bio = True
        standing.save(update_fields=["limited_bio"])
    # A bio held before and replaced now: its case has nothing left to decide.
    ModerationCase.objects.filter(account_id=profile.user_id, source="scan").open().update(
        state=ModerationCase.State.CLOSED, closed_at=timezone.now()
    )
    return ["bio", "bio_pending", "bio_moderation"]


def _bio_apply(account_id: int, state: str) -> str:
    """A decision on a bio: approve publishes the waiting bio (limit too, marked limited);
    remove discards it, or empties the public bio when the public one was reported."""
    from bridgenote.accounts.models import Profile as ProfileModel

    profile = ProfileModel.objects.select_for_update().filter(user_id=account_id).first()
    if profile is None:
        return ""
    before = str(profile.bio_moderation)
    if state == Note.Moderation.REMOVED:
        if not profile.bio_pending:
            profile.bio = ""
        profile.bio_pending = ""
    elif profile.bio_pending:
        profile.bio, profile.bio_pending = profile.bio_pending, ""
    profile.bio_moderation = state
    profile.save(update_fields=["bio", "bio_pending", "bio_moderation"])
    return before


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
def report_create(
    *,
    reporter: User,
    note: Note | None = None,
    comment: Comment | None = None,
    account: User | None = None,
    category: str,
    text: str = "",
) -> Report:
    """File a report on a note, a comment or an account: opens (or joins) its case and
    counts it. One report per reporter and target; at most ``MODERATION_REPORTS_PER_HOUR``
    per reporter and hour; nobody reports their own content. With
    ``MODERATION_REPORTS_TO_HOLD`` > 0, that many reports hide a published note or comment
    until a moderator decides."""

    if category not in Report.Category.values:
        raise ModerationError(
            "bad_category",
            _("Choose what is wrong with this note.")
            if note
            else _("Choose what is wrong with it."),
        )
    owner_id = (
        note.author_id if note is not None
        else comment.author_id if comment is not None
        else account.pk if account is not None else None
    )  # fmt: skip
    if owner_id is None:
        raise ModerationError("no_target", _("Choose what to report."))
    if owner_id == reporter.pk:
        raise ModerationError(
            "own_note",
            _("You can't report your own note.")
            if note
            else _("You can't report yourself or your own content."),
        )
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
    target: dict[str, Any] = (
        {"note": note} if note is not None
        else {"comment": comment} if comment is not None else {"account": account}
    )  # fmt: skip
    if Report.objects.filter(reporter=reporter, **target).exists():
        raise ModerationError(
            "duplicate",
            _("You already reported this note. Thank you.")
            if note
            else _("You already reported this. Thank you."),
        )
    if note is not None:
        case = case_open_for_note(note=note, matches=note_matches(note), source="report")
    elif comment is not None:
        matches = [
            {"field": "body", **m.as_dict()}
            for m in scan_text(comment.body, language=comment.language or None).matches
        ]
        case = case_open(comment=comment, matches=matches, source="report")
    else:
        assert account is not None
        case = case_open(account_id=account.pk, source="report")
    report = Report.objects.create(
        reporter=reporter, case=case, category=category, text=text.strip(), **target
    )
    ModerationCase.objects.filter(pk=case.pk).update(report_count=F("report_count") + 1)
    threshold = settings.MODERATION_REPORTS_TO_HOLD
    if threshold and case.report_count + 1 >= threshold:
        if note is not None:
            Note.objects.filter(pk=note.pk, moderation=Note.Moderation.PUBLISHED).update(
                moderation=Note.Moderation.PENDING
            )
            _note_changed(note.pk)
        elif comment is not None:
            from bridgenote.engage.services import comments_moderation_set

            comments_moderation_set(
                comment_ids=[comment.pk], state=Note.Moderation.PENDING, only_from=["published"]
            )
    return report


# --- appeals ------------------------------------------------------------------------------
# What an author may appeal: content held for review (pending), limited or removed.
APPEALABLE = (Note.Moderation.PENDING, Note.Moderation.LIMITED, Note.Moderation.REMOVED)


def _appeal_target(
    author: User, note: Note | None, comment: Comment | None
) -> tuple[dict[str, Any], str, str]:
    """(the appeal's target as a filter, the target's state, its kind: note, comment, bio)."""
    from bridgenote.accounts.models import Profile as ProfileModel

    if note is not None:
        if note.author_id != author.pk:
            raise ModerationError("not_author", _("Only the author can appeal."))
        return {"note": note}, str(note.moderation), "note"
    if comment is not None:
        if comment.author_id != author.pk:
            raise ModerationError("not_author", _("Only the author can appeal."))
        return {"comment": comment}, str(comment.moderation), "comment"
    state = (
        ProfileModel.objects.filter(user_id=author.pk).values_list("bio_moderation", flat=True)
    ).first() or ""
    return {"note": None, "comment": None}, str(state), "bio"


@transaction.atomic
def appeal_create(
    *, author: User, note: Note | None = None, comment: Comment | None = None, text: str
) -> Appeal:
    """The author appeals the decision that held, limited or removed their note, comment or
    (with neither) bio: one open appeal per target. The appeal opens a case so it appears in
    the moderators' queue."""
    target, state, kind = _appeal_target(author, note, comment)
    if state not in APPEALABLE:
        raise ModerationError(
            "nothing_to_appeal",
            _("This note has no decision to appeal.")
            if note
            else _("There is no decision to appeal."),
        )
    text = text.strip()
    if not text:
        raise ModerationError("empty", _("Tell the moderators why the decision is wrong."))
    if len(text) > 1000:
        raise ModerationError("too_long", _("Keep the appeal under 1000 characters."))
    if Appeal.objects.filter(author=author, state=Appeal.State.OPEN, **target).exists():
        raise ModerationError(
            "open_appeal",
            _("This note already has an appeal waiting.")
            if note
            else _("There is already an appeal waiting."),
        )
    decisions = ModerationDecision.objects.all()
    if kind == "note":
        decisions = decisions.filter(note=note)
    elif kind == "comment":
        decisions = decisions.filter(comment=comment)
    else:
        decisions = decisions.filter(account_id=author.pk)
    last = decisions.order_by("-created_at", "-id").first()
    appeal = Appeal.objects.create(author=author, decision=last, text=text, **target)
    if note is not None:
        case_open_for_note(note=note, matches=note_matches(note), source="appeal")
    elif comment is not None:
        case_open(comment=comment, source="appeal")
    else:
        case_open(account_id=author.pk, source="appeal")
    return appeal


def _appeal_case(appeal: Appeal) -> ModerationCase | None:
    if appeal.note_id is not None:
        return ModerationCase.objects.filter(note_id=appeal.note_id).open().first()
    if appeal.comment_id is not None:
        return ModerationCase.objects.filter(comment_id=appeal.comment_id).open().first()
    return ModerationCase.objects.filter(account_id=appeal.author_id).open().first()


def _still_pending(appeal: Appeal) -> bool:
    from bridgenote.accounts.models import Profile as ProfileModel
    from bridgenote.engage.models import Comment as CommentModel

    if appeal.note_id is not None:
        return Note.objects.filter(pk=appeal.note_id, moderation="pending").exists()
    if appeal.comment_id is not None:
        return CommentModel.objects.filter(pk=appeal.comment_id, moderation="pending").exists()
    return ProfileModel.objects.filter(user_id=appeal.author_id, bio_moderation="pending").exists()


@transaction.atomic
def appeal_decide(*, appeal: Appeal, moderator: User, overturn: bool, outcome: str = "") -> Appeal:
    """Decide an appeal: overturning publishes the content again (an "approve" in the audit
    log); upholding keeps it as it is. The appeal's case is closed (held content's stays
    open when upheld, since it still needs a decision). After commit the author is told."""
    if not (moderator.is_moderator or moderator.is_staff):
        raise ModerationError("forbidden", _("Only moderators can decide."))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.state != Appeal.State.OPEN:
        raise ModerationError("closed", _("This appeal was already decided."))
    case = _appeal_case(appeal)
    category = case_category(case)
    if overturn:
        if case is None:
            target: dict[str, Any] = (
                {"note_id": appeal.note_id} if appeal.note_id is not None
                else {"comment_id": appeal.comment_id} if appeal.comment_id is not None
                else {"account_id": appeal.author_id}
            )  # fmt: skip
            case = ModerationCase.objects.create(source="appeal", **target)
        decision_record(
            case=case, moderator=moderator, action="approve", reason_en=outcome,
            reason_zh=outcome, notify_author=False,
        )  # fmt: skip
    elif case is not None and not _still_pending(appeal):
        # A held item's case stays open: upholding the hold still leaves it to be decided.
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
    ids: dict[str, Any] = (
        {"note_id": appeal.note_id} if appeal.note_id is not None
        else {"comment_id": appeal.comment_id} if appeal.comment_id is not None
        else {"account_id": appeal.author_id}
    )  # fmt: skip
    _tell_author(
        outcome="appeal_overturned" if overturn else "appeal_upheld",
        reason_en=appeal.outcome or (appealed.reason_en if appealed and not overturn else ""),
        reason_zh=appeal.outcome or (appealed.reason_zh if appealed and not overturn else ""),
        category=category, **ids,
    )  # fmt: skip
    return appeal


# --- rescans ------------------------------------------------------------------------------
@transaction.atomic
def rescan_start(*, started_by: User | None = None) -> RescanJob:
    """Queue a rescan of every published note against the current rules."""
    from bridgenote.core.jobs import enqueue_on_commit
    from bridgenote.moderation.tasks import rescan_chunk_run, rescan_run

    # Compile the current rules here (the moderator's request) so that the matcher cache
    # file exists before the chunk jobs start: each worker then reads it instead of
    # compiling the same rules itself (``rules.compile_cached``).
    get_matcher()
    published = Note.objects.filter(
        status=Note.Status.PUBLISHED, moderation=Note.Moderation.PUBLISHED
    )
    total = published.count()
    job = RescanJob.objects.create(
        rules_version=current_version(), total=total, started_by=started_by
    )
    chunks = _rescan_chunks(job, published, total)
    if not chunks:
        enqueue_on_commit(rescan_run, job.pk)  # nothing to scan: the run marks it done
    for chunk in chunks:
        enqueue_on_commit(rescan_chunk_run, job.pk, chunk.pk)
    return job


def _rescan_chunks(job: RescanJob, published: Any, total: int) -> list[RescanChunk]:
    """``MODERATION_RESCAN_CHUNK`` notes or so per chunk: the id span split evenly."""
    bounds = published.aggregate(low=Min("id"), high=Max("id"))
    if not total or bounds["low"] is None:
        return []
    low, high = bounds["low"] - 1, bounds["high"]
    count = max(1, -(-total // settings.MODERATION_RESCAN_CHUNK))
    step = -(-(high - low) // count)
    ends = [min(low + step * (i + 1), high) for i in range(count)]
    starts = [low, *ends[:-1]]
    return RescanChunk.objects.bulk_create(
        [
            RescanChunk(job=job, last_id=start, end_id=end)
            for start, end in zip(starts, ends, strict=True)
            if end > start
        ]
    )


@dataclass
class BatchResult:
    scanned: int
    flagged: int
    done: bool


def rescan_step(
    *, job_id: int, batch_size: int | None = None, chunk_id: int | None = None
) -> BatchResult:
    """Scan the next id-ordered batch of published notes. The batch is claimed with a
    conditional UPDATE on ``last_id``, so concurrent workers never scan the same notes and a
    crashed job resumes after its last committed batch. Hold/refuse/limit matches open a
    case and hide the note (pending) or limit it; a note is never refused after the fact."""
    size = batch_size or settings.MODERATION_RESCAN_BATCH
    job = RescanJob.objects.get(pk=job_id)
    if job.state in (RescanJob.State.DONE, RescanJob.State.FAILED):
        return BatchResult(0, 0, True)
    # The cursor: the chunk's (a chunk job) or the job's own (one job over every note).
    cursor: Any = job if chunk_id is None else RescanChunk.objects.get(pk=chunk_id, job=job)
    notes = Note.objects.filter(
        id__gt=cursor.last_id, status=Note.Status.PUBLISHED, moderation=Note.Moderation.PUBLISHED
    )
    if chunk_id is not None:
        if cursor.done:
            return BatchResult(0, 0, True)
        notes = notes.filter(id__lte=cursor.end_id)
    rows = list(
        notes.order_by("id").values_list(
            "id", "title", "body", "language", "alt_language", "alt_title", "alt_body"
        )[:size]
    )
    if not rows:
        if chunk_id is None:
            RescanJob.objects.filter(pk=job.pk, last_id=job.last_id).update(
                state=RescanJob.State.DONE, finished_at=timezone.now()
            )
        else:
            with transaction.atomic():
                # The job's row lock makes the last two chunks to finish take turns here, so
                # one of them sees every chunk done.
                RescanJob.objects.select_for_update().filter(pk=job.pk).first()
                RescanChunk.objects.filter(pk=chunk_id, last_id=cursor.last_id).update(done=True)
                if not RescanChunk.objects.filter(job=job, done=False).exists():
                    RescanJob.objects.filter(pk=job.pk).exclude(state=RescanJob.State.DONE).update(
                        state=RescanJob.State.DONE, finished_at=timezone.now()
                    )
        return BatchResult(0, 0, True)
    from bridgenote.notes.models import NoteAttachment

    # Every text of the batch (titles, bodies, second-language versions, image alt texts) is
    # scanned in one batched call (rules.scan_texts_matched), then grouped back by note.
    owners: list[tuple[int, str]] = []
    texts: list[str] = []
    languages: list[str | None] = []
    for note_id, title, body, language, alt_language, alt_title, alt_body in rows:
        for field, text, lang in (
            ("title", title, language), ("body", body, language),
            ("alt_title", alt_title, alt_language), ("alt_body", alt_body, alt_language),
        ):  # fmt: skip
            if text:
                owners.append((note_id, field))
                texts.append(text)
                languages.append(lang or None)
    # The batch's id range rather than a list of 1,000 ids (preparing each value of an IN
    # list costs the ORM more than the query); notes of the range outside the batch (not
    # published) are skipped here.
    batch_ids = {row[0] for row in rows}
    alts = NoteAttachment.objects.filter(
        note_id__gte=rows[0][0], note_id__lte=rows[-1][0], attachment__alt_text__gt=""
    ).values_list("note_id", "position", "attachment__alt_text")
    for note_id, position, alt in alts:
        if note_id not in batch_ids:
            continue
        owners.append((note_id, f"alt_text:{position}"))
        texts.append(alt)
        languages.append(None)
    by_note: dict[int, list[tuple[str, ScanResult]]] = {}
    for index, result in sorted(scan_texts_matched(texts, languages=languages).items()):
        note_id, field = owners[index]
        by_note.setdefault(note_id, []).append((field, result))
    flagged: list[tuple[int, str, list[dict[str, Any]]]] = []
    for note_id, results in by_note.items():
        action = decide([r for _, r in results]).action
        if action in ("hold", "limit", "refuse"):
            matches = [{"field": f, **m.as_dict()} for f, r in results for m in r.matches]
            flagged.append((note_id, action, matches))
    with transaction.atomic():
        progress = {
            "processed": F("processed") + len(rows), "flagged": F("flagged") + len(flagged),
            "state": RescanJob.State.RUNNING,
        }  # fmt: skip
        if chunk_id is None:
            claimed = RescanJob.objects.filter(pk=job.pk, last_id=job.last_id).update(
                last_id=rows[-1][0], **progress
            )
        else:
            claimed = RescanChunk.objects.filter(pk=chunk_id, last_id=cursor.last_id).update(
                last_id=rows[-1][0]
            )
            if claimed:
                RescanJob.objects.filter(pk=job.pk).update(**progress)
        if not claimed:
            return BatchResult(0, 0, False)  # another worker took this batch
        if flagged:
            _flag_notes(flagged)
    return BatchResult(len(rows), len(flagged), False)


def _flag_notes(flagged: list[tuple[int, str, list[dict[str, Any]]]]) -> None:
    """What ``_flag_note`` does for each note, with a few queries for the whole batch: the
    open cases in one read (new ones in one insert), the states in one UPDATE per state, the
    audit log in one insert. Only the flagged notes of a batch come here."""
    ids = [row[0] for row in flagged]
    open_cases = {
        case.note_id: case
        for case in ModerationCase.objects.select_for_update().filter(note_id__in=ids).open()
    }
    new_cases = []
    cases: dict[int, ModerationCase] = {}
    for note_id, _action, matches in flagged:
        case = open_cases.get(note_id)
        if case is None:
            case = ModerationCase(note_id=note_id, source="rescan", matches=matches)
            new_cases.append(case)
        else:
            known = {(m["field"], m["start"], m["end"], m["rule_id"]) for m in case.matches}
            merged = case.matches + [
                m for m in matches if (m["field"], m["start"], m["end"], m["rule_id"]) not in known
            ]
            if merged != case.matches:
                case.matches = merged
                case.save(update_fields=["matches"])
        cases[note_id] = case
    ModerationCase.objects.bulk_create(new_cases)
    by_state: dict[str, list[int]] = {}
    for note_id, action, _matches in flagged:
        new_state = Note.Moderation.LIMITED if action == "limit" else Note.Moderation.PENDING
        by_state.setdefault(new_state, []).append(note_id)
    changed: set[int] = set()
    for state, state_ids in by_state.items():
        still = list(
            Note.objects.select_for_update()
            .filter(pk__in=state_ids, moderation=Note.Moderation.PUBLISHED)
            .values_list("pk", flat=True)
        )
        Note.objects.filter(pk__in=still).update(moderation=state)
        changed.update(still)
    # The follow-ups of the whole batch in two jobs after commit (feeds and search, the
    # authors' notices), not two per flagged note: enqueuing is a database write each.
    from bridgenote.core.jobs import enqueue_on_commit
    from bridgenote.notify.tasks import moderation_outcomes

    _notes_changed(ids)
    notices = [
        {
            "note_id": note_id,
            "outcome": "rule_limited" if action == "limit" else "held",
            "category": case_category(cases[note_id]),
        }
        for note_id, action, _matches in flagged
        if note_id in changed
    ]
    if notices:
        enqueue_on_commit(moderation_outcomes, notices)
    ModerationDecision.objects.bulk_create(
        [
            ModerationDecision(
                note_id=note_id,
                action=ModerationDecision.Action.LIMIT
                if action == "limit"
                else ModerationDecision.Action.HOLD,
                reason_en="rescan",
            )
            for note_id, action, _matches in flagged
        ]
    )


def rescan_run(*, job_id: int, chunk_id: int | None = None) -> RescanJob:
    """Run a rescan (or one chunk of it) to the end, batch by batch (the job entry points
    call this). A job with chunks run here runs every chunk left, one after the other."""
    try:
        chunks = [chunk_id]
        if chunk_id is None and RescanChunk.objects.filter(job_id=job_id).exists():
            chunks = list(
                RescanChunk.objects.filter(job_id=job_id, done=False).values_list("pk", flat=True)
            )
        for chunk in chunks:
            while not rescan_step(job_id=job_id, chunk_id=chunk).done:
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


# --- account actions ----------------------------------------------------------------------
ACCOUNT_ACTIONS = (
    ModerationDecision.Action.WARN,
    ModerationDecision.Action.LIMIT_ACCOUNT,
    ModerationDecision.Action.UNLIMIT_ACCOUNT,
    ModerationDecision.Action.SUSPEND,
    ModerationDecision.Action.UNSUSPEND,
)
_OUTCOME_OF_ACCOUNT_ACTION: dict[str, str] = {
    ModerationDecision.Action.WARN: "warned",
    ModerationDecision.Action.LIMIT_ACCOUNT: "account_limited",
    ModerationDecision.Action.UNLIMIT_ACCOUNT: "account_unlimited",
    ModerationDecision.Action.SUSPEND: "suspended",
    ModerationDecision.Action.UNSUSPEND: "unsuspended",
}


def account_standing(account: User) -> AccountStanding:
    """The account's restrictions (an unsaved empty row when it has none)."""
    return AccountStanding.objects.filter(user=account).first() or AccountStanding(user=account)


def _limited_standing(user_id: int | None) -> AccountStanding | None:
    """The account's standing, locked, when the account is limited; None otherwise."""
    if user_id is None:
        return None
    return AccountStanding.objects.select_for_update().filter(user_id=user_id, limited=True).first()


def case_author_id(case: ModerationCase) -> int | None:
    """Whose content a case is about: the note's or the comment's author, or the account."""
    from bridgenote.engage.models import Comment as CommentModel

    if case.account_id is not None:
        return case.account_id
    model: Any = CommentModel if case.comment_id is not None else Note
    target = case.comment_id if case.comment_id is not None else case.note_id
    author_id: int | None = (
        model.objects.filter(pk=target).values_list("author_id", flat=True).first()
    )
    return author_id


def _limit_if_account_limited(note: Note) -> bool:
    """A new or edited note of a limited account is limited too (no case: the account's
    limit is the decision). True when it was."""
    standing = (
        AccountStanding.objects.select_for_update().filter(user_id=note.author_id, limited=True)
    ).first()
    if standing is None or note.moderation != Note.Moderation.PUBLISHED:
        return False
    Note.objects.filter(pk=note.pk).update(moderation=Note.Moderation.LIMITED)
    note.moderation = Note.Moderation.LIMITED
    if note.pk not in standing.limited_notes:
        standing.limited_notes = [*standing.limited_notes, note.pk]
        standing.save(update_fields=["limited_notes"])
    return True


def _end_sessions(account_id: int) -> int:
    """Sign the account out everywhere (``accounts.services.sessions_end``: its sessions by
    key, through the session engine). Django also refuses an inactive user's session on
    every request, so this is belt and braces. Returns how many."""
    from bridgenote.accounts.services import sessions_end

    return sessions_end(user_id=account_id)


def _limit_comment_if_account_limited(comment: Comment) -> bool:
    """A new comment of a limited account is limited too (no case: the account's limit is
    the decision). True when it was."""
    from bridgenote.engage.services import comments_moderation_set

    standing = (
        AccountStanding.objects.select_for_update().filter(user_id=comment.author_id, limited=True)
    ).first()
    if standing is None or comment.moderation != Note.Moderation.PUBLISHED:
        return False
    comments_moderation_set(comment_ids=[comment.pk], state=Note.Moderation.LIMITED)
    comment.moderation = Note.Moderation.LIMITED
    standing.limited_comments = [*standing.limited_comments, comment.pk]
    standing.save(update_fields=["limited_comments"])
    return True


def _account_content_limit(account: User, standing: AccountStanding) -> list[int]:
    """Limit the account's published notes, comments and bio, remembering which (so lifting
    the limit restores exactly those). Returns the notes changed."""
    from bridgenote.accounts.models import Profile as ProfileModel
    from bridgenote.engage.models import Comment as CommentModel
    from bridgenote.engage.services import comments_moderation_set

    published = Note.objects.filter(author=account, moderation=Note.Moderation.PUBLISHED)
    changed = list(published.values_list("pk", flat=True))
    published.filter(pk__in=changed).update(moderation=Note.Moderation.LIMITED)
    comments = CommentModel.objects.filter(author=account, moderation=Note.Moderation.PUBLISHED)
    before = comments_moderation_set(
        comment_ids=list(comments.values_list("pk", flat=True)),
        state=Note.Moderation.LIMITED, only_from=[Note.Moderation.PUBLISHED],
    )  # fmt: skip
    standing.limited, standing.limited_notes = True, changed
    standing.limited_comments = sorted(before)
    standing.limited_bio = bool(
        ProfileModel.objects.filter(user=account, bio_moderation=Note.Moderation.PUBLISHED).update(
            bio_moderation=Note.Moderation.LIMITED
        )
    )
    return changed


def _account_content_unlimit(account: User, standing: AccountStanding) -> list[int]:
    """Publish again what the limit changed and is still limited. Returns the notes."""
    from bridgenote.accounts.models import Profile as ProfileModel
    from bridgenote.engage.services import comments_moderation_set

    notes = Note.objects.filter(pk__in=standing.limited_notes, author=account)
    limited = notes.filter(moderation=Note.Moderation.LIMITED)
    changed = list(limited.values_list("pk", flat=True))
    limited.update(moderation=Note.Moderation.PUBLISHED)
    comments_moderation_set(
        comment_ids=standing.limited_comments, state=Note.Moderation.PUBLISHED,
        only_from=[Note.Moderation.LIMITED],
    )  # fmt: skip
    if standing.limited_bio:
        ProfileModel.objects.filter(user=account, bio_moderation=Note.Moderation.LIMITED).update(
            bio_moderation=Note.Moderation.PUBLISHED
        )
    standing.limited, standing.limited_notes = False, []
    standing.limited_comments, standing.limited_bio = [], False
    return changed


def _account_content_suspend(account: User, standing: AccountStanding) -> list[int]:
    """Remove the account's shown notes and comments from everyone, remembering their
    states. The bio goes with the profile (an inactive account is not found)."""
    from bridgenote.engage.models import Comment as CommentModel
    from bridgenote.engage.services import comments_moderation_set

    shown_states = [Note.Moderation.PUBLISHED, Note.Moderation.LIMITED]
    shown = Note.objects.filter(author=account, moderation__in=shown_states)
    before = dict(shown.values_list("pk", "moderation"))
    shown.filter(pk__in=list(before)).update(moderation=Note.Moderation.REMOVED)
    comments = CommentModel.objects.filter(author=account, moderation__in=shown_states)
    comments_before = comments_moderation_set(
        comment_ids=list(comments.values_list("pk", flat=True)),
        state=Note.Moderation.REMOVED, only_from=shown_states,
    )  # fmt: skip
    standing.suspended = True
    standing.suspended_notes = {str(pk): state for pk, state in before.items()}
    standing.suspended_comments = {str(pk): state for pk, state in comments_before.items()}
    return list(before)


def _account_content_unsuspend(account: User, standing: AccountStanding) -> list[int]:
    """Give back the states the suspension took (only where it is still the removal): the
    notes in one query and one UPDATE per earlier state, the comments likewise. Returns the
    notes changed."""
    from bridgenote.engage.services import comments_moderation_set

    saved = {int(pk_text): state for pk_text, state in standing.suspended_notes.items()}
    still_removed = Note.objects.select_for_update().filter(
        pk__in=list(saved), author=account, moderation=Note.Moderation.REMOVED
    )
    notes_by_state: dict[str, list[int]] = {}
    for pk in still_removed.values_list("pk", flat=True):
        notes_by_state.setdefault(saved[pk], []).append(pk)
    for state, ids in notes_by_state.items():
        Note.objects.filter(pk__in=ids).update(moderation=state)
    changed = sorted(pk for ids in notes_by_state.values() for pk in ids)
    by_state: dict[str, list[int]] = {}
    for pk_text, state in standing.suspended_comments.items():
        by_state.setdefault(state, []).append(int(pk_text))
    for state, ids in by_state.items():
        comments_moderation_set(comment_ids=ids, state=state, only_from=[Note.Moderation.REMOVED])
    standing.suspended, standing.suspended_notes, standing.suspended_comments = False, {}, {}
    return changed


@transaction.atomic
def account_action(
    *,
    account: User,
    moderator: User,
    action: str,
    template: ReasonTemplate | None = None,
    reason_en: str = "",
    reason_zh: str = "",
) -> ModerationDecision:
    """A moderator's action on an account: warn (a notice only), limit / unlimit (its notes
    out of / back in Discover, search and topic pages), suspend / unsuspend (no sign-in, no
    API, sessions ended, its notes removed from everyone else's views / all restored).
    Every action needs a reason (template or text), writes the audit entry and tells the
    account after commit, in its language."""
    from bridgenote.accounts.models import User as UserModel

    if not (moderator.is_moderator or moderator.is_staff):
        raise ModerationError("forbidden", _("Only moderators can decide."))
    if action not in ACCOUNT_ACTIONS:
        raise ModerationError("bad_action", _("Choose warn, limit or suspend."))
    if account.pk == moderator.pk:
        raise ModerationError("self", _("You can't act on your own account."))
    if template is None and not (reason_en.strip() or reason_zh.strip()):
        raise ModerationError("no_reason", _("Give a reason: pick a template or write one."))
    AccountStanding.objects.get_or_create(user=account)
    standing = AccountStanding.objects.select_for_update().get(user=account)
    changed: list[int] = []
    if standing.suspended and action in (
        ModerationDecision.Action.LIMIT_ACCOUNT,
        ModerationDecision.Action.UNLIMIT_ACCOUNT,
    ):
        # Suspended content is removed with its earlier states saved to restore; limiting it
        # now would change nothing that lifting the suspension restores.
        raise ModerationError(
            "suspended", _("This account is suspended: lift the suspension first, then limit.")
        )
    if action == ModerationDecision.Action.LIMIT_ACCOUNT:
        if standing.limited:
            raise ModerationError("already", _("This account is already limited."))
        changed = _account_content_limit(account, standing)
    elif action == ModerationDecision.Action.UNLIMIT_ACCOUNT:
        if not standing.limited:
            raise ModerationError("already", _("This account is not limited."))
        changed = _account_content_unlimit(account, standing)
    elif action == ModerationDecision.Action.SUSPEND:
        if standing.suspended:
            raise ModerationError("already", _("This account is already suspended."))
        changed = _account_content_suspend(account, standing)
        UserModel.objects.filter(pk=account.pk).update(is_active=False)
        account.is_active = False
        _end_sessions(account.pk)
    elif action == ModerationDecision.Action.UNSUSPEND:
        if not standing.suspended:
            raise ModerationError("already", _("This account is not suspended."))
        changed = _account_content_unsuspend(account, standing)
        UserModel.objects.filter(pk=account.pk).update(is_active=True)
        account.is_active = True
    else:
        standing.warnings += 1
    standing.updated_at = timezone.now()
    standing.save()
    _notes_changed(changed)
    decision = ModerationDecision.objects.create(
        account=account, moderator=moderator, action=action, template=template,
        reason_en=_join_reason(template.text_for("en", "account") if template else "", reason_en),
        reason_zh=_join_reason(template.text_for("zh", "account") if template else "", reason_zh),
    )  # fmt: skip
    _tell_author(
        account_id=account.pk, target="account", outcome=_OUTCOME_OF_ACCOUNT_ACTION[action],
        reason_en=decision.reason_en, reason_zh=decision.reason_zh,
    )  # fmt: skip
    return decision
