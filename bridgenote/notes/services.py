"""Every write to notes: create, draft, publish, edit, delete, and settling their media.

Rules a note obeys (checked here, for the web form and the API alike):
title at most ``NOTE_TITLE_MAX`` characters, body at most ``NOTE_BODY_MAX``; 1 to
``NOTE_IMAGES_MAX`` images or exactly one video, never both (a draft may have none); the
attachments belong to the author, are on no other note and have not failed processing;
the cover is one of them (default: the first image; a video's poster); @mentions name
existing users. A second-language version (``alt_title``/``alt_body``) obeys the same
limits, names its language (``alt_language``: zh, en, ja or ko, not the note's own) and goes
through moderation with the main text. ``help_language`` ("" or zh, en, ja, ko) marks a
note asking for language help. A failed check raises ``NoteError`` and writes nothing: the
draft and the uploaded files stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bridgenote.accounts.models import Profile, User
from bridgenote.accounts.services import profile_touch_territory
from bridgenote.core import ratelimit
from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.core.text import LANGUAGES, detect_language, fold
from bridgenote.media.models import Attachment
from bridgenote.media.services import attachment_delete
from bridgenote.moderation.rules import Decision
from bridgenote.moderation.services import (
    ModerationError,
    ModerationRefused,
    after_attachment_ready,
    after_note_saved,
    note_check_submission,
)
from bridgenote.notes import parsing
from bridgenote.notes.models import Note, NoteAttachment, NoteTopic, Topic

PLACE_NAME_MAX = 80
# Characters a database or a browser must never receive in text: C0 controls except tab and
# newline (PostgreSQL rejects NUL), and lone surrogates.
_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127])


class NoteError(ValidationError):
    """Bad input for a note. ``error_dict`` maps a field ("title", "body", "attachments",
    "cover", "visibility", "language", "place_name", "alt_language", "alt_title",
    "alt_body", "help_language" or ``NON_FIELD_ERRORS``) to errors that
    each carry a stable ``code`` and a message in the active language."""

    @property
    def code_(self) -> str:
        """The code of the first error, for the API's ``error`` member."""
        for errors in self.error_dict.values():
            for error in errors:
                return str(error.code or "invalid")
        return "invalid"

    def first_message(self) -> str:
        for messages in self.message_dict.values():
            for message in messages:
                return message
        return ""


@dataclass
class _Errors:
    by_field: dict[str, list[ValidationError]] = field(default_factory=dict)

    def add(self, name: str, message: str, code: str) -> None:
        self.by_field.setdefault(name, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self.by_field:
            raise NoteError(self.by_field)


@dataclass
class _Checked:
    title: str
    body: str
    attachments: list[Attachment]
    cover: Attachment | None
    mentions: list[User]
    topics: list[str]
    language: str
    language_is_set: bool
    visibility: str
    place_name: str
    alt_language: str = ""
    alt_title: str = ""
    alt_body: str = ""
    help_language: str = ""


# Languages a second version or a language-help request can be in ("mixed" is not one).
ALT_LANGUAGES = ("zh", "en", "ja", "ko")


def limits() -> dict[str, int]:
    """The limits the compose page shows and counts against."""
    return {
        "title": settings.NOTE_TITLE_MAX,
        "body": settings.NOTE_BODY_MAX,
        "images": settings.NOTE_IMAGES_MAX,
        "topics": settings.NOTE_TOPICS_MAX,
        "place": PLACE_NAME_MAX,
    }


def clean_text(text: str, *, single_line: bool = False) -> str:
    """Text as stored and counted: CRLF to LF, no control characters, trimmed.

    The compose page counts characters the same way (code points of this string).
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
    text = text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
    if single_line:
        text = " ".join(text.split("\n"))
    return text.strip()


def _check(
    *,
    author: User,
    note: Note | None,
    title: str,
    body: str,
    attachment_ids: Sequence[int],
    cover_id: int | None,
    visibility: str,
    place_name: str,
    language: str,
    publish: bool,
    alt_language: str = "",
    alt_title: str = "",
    alt_body: str = "",
    help_language: str = "",
) -> _Checked:
    errors = _Errors()
    title = clean_text(title, single_line=True)
    body = clean_text(body)
    alt_title = clean_text(alt_title, single_line=True)
    alt_body = clean_text(alt_body)
    place_name = clean_text(place_name, single_line=True)

    title_too_long = _("The title can have at most %(limit)d characters; it has %(count)d.")
    text_too_long = _("The text can have at most %(limit)d characters; it has %(count)d.")
    for name, value, limit, message in (
        ("title", title, settings.NOTE_TITLE_MAX, title_too_long),
        ("body", body, settings.NOTE_BODY_MAX, text_too_long),
        ("alt_title", alt_title, settings.NOTE_TITLE_MAX, title_too_long),
        ("alt_body", alt_body, settings.NOTE_BODY_MAX, text_too_long),
    ):
        if len(value) > limit:
            errors.add(name, message % {"limit": limit, "count": len(value)}, f"{name}_too_long")
    if len(place_name) > PLACE_NAME_MAX:
        errors.add(
            "place_name",
            _("The place name can have at most %(limit)d characters.") % {"limit": PLACE_NAME_MAX},
            "place_too_long",
        )
    if visibility not in Note.Visibility.values:
        errors.add("visibility", _("Choose who can see this note."), "bad_visibility")
    language = (language or "").strip()
    if language and language not in LANGUAGES:
        errors.add("language", _("Choose a language from the list."), "bad_language")
    main_language = language or detect_language(f"{title}\n{body}")
    alt_language = _check_alt_language(
        errors,
        alt_language=(alt_language or "").strip(),
        has_alt=bool(alt_title or alt_body),
        main_language=main_language,
    )
    help_language = (help_language or "").strip()
    if help_language and help_language not in ALT_LANGUAGES:
        errors.add("help_language", _("Choose a language from the list."), "bad_help_language")

    attachments = _check_attachments(
        errors, author=author, note=note, ids=attachment_ids, publish=publish
    )
    cover = _choose_cover(errors, attachments, cover_id)

    if publish and not attachments and "attachments" not in errors.by_field:
        errors.add(
            "attachments",
            _("Add at least one photo or a video to publish this note."),
            "no_media",
        )
    if not publish and not (title or body or attachments):
        errors.add(
            NON_FIELD_ERRORS,
            _("This note is empty: write something or add a photo."),
            "empty",
        )

    topics = parsing.topics_in(title, body)
    if len(topics) > settings.NOTE_TOPICS_MAX:
        errors.add(
            "body",
            _("A note can have at most %(limit)d topics; it has %(count)d.")
            % {"limit": settings.NOTE_TOPICS_MAX, "count": len(topics)},
            "too_many_topics",
        )
    mentions = _check_mentions(errors, title=title, body=body)
    errors.raise_if_any()
    return _Checked(
        title=title,
        body=body,
        attachments=attachments,
        cover=cover,
        mentions=mentions,
        topics=topics,
        language=main_language,
        language_is_set=bool(language),
        visibility=visibility,
        place_name=place_name,
        alt_language=alt_language,
        alt_title=alt_title if alt_language else "",
        alt_body=alt_body if alt_language else "",
        help_language=help_language,
    )


def _check_alt_language(
    errors: _Errors, *, alt_language: str, has_alt: bool, main_language: str
) -> str:
    """The second version's language as stored ("" when there is no second text)."""
    if not has_alt:
        return ""  # a language chosen without any text: nothing to keep
    if not alt_language:
        errors.add(
            "alt_language",
            _("Choose the language of the second version."),
            "alt_language_missing",
        )
    elif alt_language not in ALT_LANGUAGES:
        errors.add("alt_language", _("Choose a language from the list."), "bad_alt_language")
    elif alt_language == main_language:
        errors.add(
            "alt_language",
            _("The second version must be in another language than the note."),
            "alt_same_language",
        )
    return alt_language


def _check_attachments(
    errors: _Errors, *, author: User, note: Note | None, ids: Sequence[int], publish: bool
) -> list[Attachment]:
    wanted = list(dict.fromkeys(int(i) for i in ids))  # ordered, without repeats
    in_range = [i for i in wanted if 0 < i < 2**63]
    found = Attachment.objects.filter(owner=author, id__in=in_range).in_bulk()
    if len(found) != len(wanted):
        errors.add(
            "attachments",
            _("One of the files is not yours or no longer exists. Remove it and try again."),
            "attachment_not_found",
        )
        return []
    attachments = [found[i] for i in wanted]
    elsewhere = NoteAttachment.objects.filter(attachment_id__in=wanted)
    if note is not None:
        elsewhere = elsewhere.exclude(note=note)
    if elsewhere.exists():
        errors.add(
            "attachments",
            _("One of the files already belongs to another note."),
            "attachment_in_use",
        )
    images = [a for a in attachments if a.kind == Attachment.Kind.IMAGE]
    videos = [a for a in attachments if a.kind == Attachment.Kind.VIDEO]
    if images and videos:
        errors.add(
            "attachments",
            _("A note has photos or one video, not both."),
            "images_and_video",
        )
    elif len(videos) > 1:
        errors.add("attachments", _("A note can have only one video."), "too_many_videos")
    elif len(images) > settings.NOTE_IMAGES_MAX:
        errors.add(
            "attachments",
            ngettext(
                "A note can have at most %(limit)d photo; you added %(count)d.",
                "A note can have at most %(limit)d photos; you added %(count)d.",
                settings.NOTE_IMAGES_MAX,
            )
            % {"limit": settings.NOTE_IMAGES_MAX, "count": len(images)},
            "too_many_images",
        )
    for position, attachment in enumerate(attachments, start=1):
        if attachment.state == Attachment.State.FAILED:
            errors.add(
                "attachments",
                _("File %(position)d could not be processed. Remove it or upload it again.")
                % {"position": position},
                "attachment_failed",
            )
    return attachments


def _choose_cover(
    errors: _Errors, attachments: list[Attachment], cover_id: int | None
) -> Attachment | None:
    if cover_id is not None:
        for attachment in attachments:
            if attachment.id == int(cover_id):
                return attachment
        if attachments:
            errors.add("cover", _("The cover must be one of the note's photos."), "bad_cover")
    return attachments[0] if attachments else None


def _check_mentions(errors: _Errors, *, title: str, body: str) -> list[User]:
    handles = parsing.mentions_in(title, body)
    if not handles:
        return []
    users = {
        u.handle.lower(): u
        for u in User.objects.annotate(lower=Lower("handle")).filter(
            lower__in=[h.lower() for h in handles], is_active=True
        )
    }
    for handle in handles:
        if handle.lower() not in users:
            errors.add(
                "body",
                _("There is no one called @%(handle)s. Check the name or remove the @.")
                % {"handle": handle},
                "unknown_mention",
            )
    return [users[h.lower()] for h in handles if h.lower() in users]


def _territory(*, author: User, ip: str) -> str:
    """The author's IP territory code at posting time ("CN-51", "US"), "" when unknown.

    The address refreshes the profile's territory; an address that tells nothing (private,
    loopback, none) keeps the one stored.
    """
    return profile_touch_territory(user=author, ip=ip)


def _set_topics(note: Note, names: list[str], *, counted: bool) -> None:
    """Point the note at its topics; when ``counted`` (published), keep note_count right."""
    wanted: dict[str, Topic] = {}
    for name in names:
        topic, _created = Topic.objects.get_or_create(folded=fold(name), defaults={"name": name})
        if _created:
            from bridgenote.search.tasks import search_index_topic_task

            enqueue_on_commit(search_index_topic_task, topic.id)
        wanted[topic.folded] = topic
    current = set(NoteTopic.objects.filter(note=note).values_list("topic_id", flat=True))
    target = {t.id for t in wanted.values()}
    added, removed = target - current, current - target
    NoteTopic.objects.filter(note=note, topic_id__in=removed).delete()
    NoteTopic.objects.bulk_create([NoteTopic(note=note, topic_id=t) for t in added])
    if counted:
        _count_topics(added, +1)
        _count_topics(removed, -1)


def _count_topics(topic_ids: Iterable[int], delta: int) -> None:
    ids = list(topic_ids)
    if not ids:
        return
    if delta > 0:
        Topic.objects.filter(id__in=ids).update(note_count=F("note_count") + delta)
    else:
        Topic.objects.filter(id__in=ids, note_count__gte=-delta).update(
            note_count=F("note_count") + delta
        )


def _count_profile(author_id: int, delta: int) -> None:
    profiles = Profile.objects.filter(user_id=author_id)
    if delta < 0:
        profiles = profiles.filter(note_count__gte=-delta)
    profiles.update(note_count=F("note_count") + delta)


def _set_attachments(note: Note, attachments: list[Attachment]) -> list[Attachment]:
    """Attach in this order; returns the attachments the note no longer has."""
    before = list(Attachment.objects.filter(noteattachment__note=note))
    NoteAttachment.objects.filter(note=note).delete()
    try:
        with transaction.atomic():
            NoteAttachment.objects.bulk_create(
                NoteAttachment(note=note, attachment=a, position=i)
                for i, a in enumerate(attachments)
            )
    except IntegrityError:
        # Another note took one of the files between the check and here.
        raise NoteError(
            {
                "attachments": [
                    ValidationError(
                        _("One of the files already belongs to another note."),
                        code="attachment_in_use",
                    )
                ]
            }
        ) from None
    kept = {a.id for a in attachments}
    return [a for a in before if a.id not in kept]


def _media_ready(attachments: list[Attachment]) -> bool:
    return bool(attachments) and all(a.state == Attachment.State.READY for a in attachments)


def _apply(note: Note, checked: _Checked) -> None:
    note.title = checked.title
    note.body = checked.body
    note.language = checked.language
    note.language_is_set = checked.language_is_set
    note.visibility = checked.visibility
    note.place_name = checked.place_name
    note.alt_language = checked.alt_language
    note.alt_title = checked.alt_title
    note.alt_body = checked.alt_body
    note.help_language = checked.help_language
    note.cover = checked.cover
    note.media_ready = _media_ready(checked.attachments)


def _moderate(author: User, checked: _Checked) -> Decision:
    """Moderation's verdict on the text and images about to be published. A "refuse at submit"
    rule raises ``NoteError`` on the field (nothing is saved, the draft is kept)."""
    field_prefix = ""
    try:
        decision = note_check_submission(
            author=author,
            title=checked.title,
            body=checked.body,
            language=checked.language or None,
            phashes=[a.phash for a in checked.attachments if a.phash],
            alt_texts=[a.alt_text for a in checked.attachments if a.alt_text],
        )
        if checked.alt_language:
            # The second version is published text too: same rules, in its own language.
            field_prefix = "alt_"
            alternate = note_check_submission(
                author=author,
                title=checked.alt_title,
                body=checked.alt_body,
                language=checked.alt_language,
            )
            if alternate.action != "allow":
                stricter = decision.stricter(alternate.action, "alternate text")
                decision = Decision(
                    stricter.action,
                    decision.matches + alternate.matches,
                    stricter.reasons + alternate.reasons,
                )
        return decision
    except ModerationRefused as refused:
        raise NoteError(
            {f"{field_prefix}{refused.field}": [ValidationError(refused.message, code="refused")]}
        ) from None
    except ModerationError as error:
        raise NoteError(
            {NON_FIELD_ERRORS: [ValidationError(error.message, code=error.code)]}
        ) from None


def _publish_fields(note: Note, *, ip: str) -> None:
    note.status = Note.Status.PUBLISHED
    note.published_at = note.published_at or timezone.now()
    note.ip_territory = _territory(author=note.author, ip=ip)


def _after_write(note: Note) -> None:
    """Work for after the commit: settle media that finished while we wrote, and let
    everything derived from the note catch up with it."""
    if not note.media_ready and note.status == Note.Status.PUBLISHED:
        from bridgenote.notes.tasks import note_media_recheck

        enqueue_on_commit(note_media_recheck, note.id)
    note_changed(note_id=note.id)


def note_changed(*, note_id: int) -> None:
    """Call inside any transaction that may change who can see a note (publishing, editing,
    media becoming ready, a moderation decision). Once it commits, a job brings what is
    derived from the note up to date: mention notifications (and feeds and search)."""
    from bridgenote.notes.tasks import note_sync

    enqueue_on_commit(note_sync, note_id)


def notes_changed(*, note_ids: Sequence[int]) -> None:
    """``note_changed`` for many notes at once (a moderation rescan's batch): one job for
    all of them after commit, instead of one per note."""
    from bridgenote.notes.tasks import notes_sync

    if note_ids:
        enqueue_on_commit(notes_sync, list(note_ids))


def notes_sync(*, note_ids: Sequence[int]) -> None:
    """``note_sync`` for each note (the job ``notes_changed`` enqueues), with the feeds'
    withdrawals of the whole batch in one job."""
    from bridgenote.feeds import services as feeds

    withdrawn: list[int] = []
    for note_id in note_ids:
        if _sync_all_but_feeds_withdrawal(note_id=note_id):
            withdrawn.append(note_id)
    feeds.notes_withdrawn(note_ids=withdrawn)


def note_sync(*, note_id: int) -> None:
    """Bring what is derived from a note up to date with its current state (a job)."""
    from bridgenote.feeds import services as feeds

    if _sync_all_but_feeds_withdrawal(note_id=note_id):
        feeds.notes_withdrawn(note_ids=[note_id])


def _sync_all_but_feeds_withdrawal(*, note_id: int) -> bool:
    """``note_sync`` but for the feeds' withdrawal: returns whether the note is to be withdrawn
    from the feeds (the caller does that, for one note or a whole batch)."""
    from bridgenote.feeds import services as feeds
    from bridgenote.notify.services import notify_mentions
    from bridgenote.search.services import search_index_note

    # The index entry follows the note (written, rewritten or removed; idempotent).
    search_index_note(note_id=note_id)
    note = Note.objects.select_related("author").filter(pk=note_id).first()
    if note is None:
        return False  # note_delete withdrew it in its own transaction
    if note.is_shown_to_others and note.visibility != Note.Visibility.PRIVATE:
        # Both are idempotent: a note that was already out is neither fanned out nor
        # announced twice.
        feeds.note_published(note=note)
        notify_mentions(note=note)
        return False
    return True


@transaction.atomic
def note_create(
    *,
    author: User,
    title: str = "",
    body: str = "",
    attachment_ids: Sequence[int] = (),
    cover_id: int | None = None,
    visibility: str = Note.Visibility.PUBLIC,
    place_name: str = "",
    is_original: bool = False,
    language: str = "",
    alt_language: str = "",
    alt_title: str = "",
    alt_body: str = "",
    help_language: str = "",
    publish: bool = True,
    ip: str = "",
) -> Note:
    """Create a note, published (``publish=True``) or as a draft.

    Raises ``NoteError`` (nothing written) when the input breaks a rule. A published note is
    shown to others once all its attachments are ready (``media_ready``).
    """
    checked = _check(
        author=author,
        note=None,
        title=title,
        body=body,
        attachment_ids=attachment_ids,
        cover_id=cover_id,
        visibility=visibility,
        place_name=place_name,
        language=language,
        publish=publish,
        alt_language=alt_language,
        alt_title=alt_title,
        alt_body=alt_body,
        help_language=help_language,
    )
    decision = ratelimit.hit(
        f"notes:create:{author.pk}", limit=settings.NOTES_PER_HOUR, window=3600
    )
    if not decision.allowed:
        raise NoteError(
            {
                NON_FIELD_ERRORS: [
                    ValidationError(
                        _("You are posting too fast. Try again in %(minutes)d minutes.")
                        % {"minutes": max(1, decision.retry_after // 60)},
                        code="rate_limited",
                    )
                ]
            }
        )
    verdict = _moderate(author, checked) if publish else None
    note = Note(author=author, is_original=is_original, moderation=Note.Moderation.PUBLISHED)
    _apply(note, checked)
    if publish:
        _publish_fields(note, ip=ip)
    note.save()
    _set_attachments(note, checked.attachments)
    _set_topics(note, checked.topics, counted=publish)
    note.mentions.set(checked.mentions)
    if publish:
        _count_profile(author.id, +1)
        after_note_saved(note=note, decision=verdict)
    _after_write(note)
    return note


@transaction.atomic
def note_update(
    *,
    note: Note,
    title: str | None = None,
    body: str | None = None,
    attachment_ids: Sequence[int] | None = None,
    cover_id: int | None = None,
    visibility: str | None = None,
    place_name: str | None = None,
    is_original: bool | None = None,
    language: str | None = None,
    alt_language: str | None = None,
    alt_title: str | None = None,
    alt_body: str | None = None,
    help_language: str | None = None,
    publish: bool | None = None,
    ip: str = "",
) -> Note:
    """Change a note; arguments left ``None`` keep their value. ``publish=True`` publishes a
    draft; otherwise the status stays.

    A published note gets an edited marker (``edited_at``). Attachments dropped from the note
    are deleted with their files after the commit. On ``NoteError`` nothing changes.
    """
    note = Note.objects.select_for_update().select_related("author").get(pk=note.pk)
    current = note_form_values(note)
    if attachment_ids is None:
        attachment_ids = current["attachment_ids"]
    if cover_id is None and current["cover_id"] in attachment_ids:
        cover_id = current["cover_id"]
    was_published = note.status == Note.Status.PUBLISHED
    publishing = bool(publish) and not was_published
    checked = _check(
        author=note.author,
        note=note,
        title=current["title"] if title is None else title,
        body=current["body"] if body is None else body,
        attachment_ids=attachment_ids,
        cover_id=cover_id,
        visibility=current["visibility"] if visibility is None else visibility,
        place_name=current["place_name"] if place_name is None else place_name,
        language=current["language"] if language is None else language,
        publish=was_published or publishing,
        alt_language=current["alt_language"] if alt_language is None else alt_language,
        alt_title=current["alt_title"] if alt_title is None else alt_title,
        alt_body=current["alt_body"] if alt_body is None else alt_body,
        help_language=current["help_language"] if help_language is None else help_language,
    )
    verdict = _moderate(note.author, checked) if was_published or publishing else None
    _apply(note, checked)
    if is_original is not None:
        note.is_original = is_original
    if was_published:
        note.edited_at = timezone.now()
    if publishing:
        _publish_fields(note, ip=ip)
    note.save()
    dropped = _set_attachments(note, checked.attachments)
    _set_topics(note, checked.topics, counted=was_published)
    if publishing:
        _count_topics(NoteTopic.objects.filter(note=note).values_list("topic_id", flat=True), +1)
        _count_profile(note.author_id, +1)
    note.mentions.set(checked.mentions)
    for attachment in dropped:
        _delete_attachment(attachment)
    if verdict is not None:
        after_note_saved(note=note, decision=verdict)
    _after_write(note)
    return note


def note_publish(*, note: Note, ip: str = "") -> Note:
    """Publish a draft as it is saved. On ``NoteError`` the draft stays a draft, unchanged."""
    return note_update(note=note, publish=True, ip=ip)


@transaction.atomic
def note_delete(*, note: Note) -> None:
    """Delete a note, its attachments and their stored files (files go after the commit).

    Topic and profile counters drop by one when the note was published.
    """
    from bridgenote.engage.services import note_engagement_forget

    note = Note.objects.select_for_update().get(pk=note.pk)
    attachments = list(Attachment.objects.filter(noteattachment__note=note))
    if note.status == Note.Status.PUBLISHED:
        _count_topics(NoteTopic.objects.filter(note=note).values_list("topic_id", flat=True), -1)
        _count_profile(note.author_id, -1)
    from bridgenote.feeds.services import note_withdrawn

    note_engagement_forget(note=note)
    note_withdrawn(note=note)
    note.delete()
    for attachment in attachments:
        _delete_attachment(attachment)


def _delete_attachment(attachment: Attachment) -> None:
    """Remove an attachment row now and its stored files once the transaction commits."""
    attachment_delete(attachment=attachment)


@transaction.atomic
def note_media_settled(*, attachment: Attachment) -> Note | None:
    """Call when ``attachment`` reached ready or failed. Marks its note ``media_ready`` once
    every attachment of the note is ready (then others can see it). A failed attachment keeps
    the note hidden; the author's note page names the failed file. Returns the note, if any.
    """
    link = NoteAttachment.objects.filter(attachment_id=attachment.id).first()
    if link is None:
        return None
    return note_media_refresh(note_id=link.note_id)


@transaction.atomic
def note_media_refresh(*, note_id: int) -> Note | None:
    """Recompute ``media_ready`` from the attachments' current states."""
    note = Note.objects.select_for_update().filter(pk=note_id).first()
    if note is None:
        return None
    states = list(
        Attachment.objects.filter(noteattachment__note=note).values_list("state", flat=True)
    )
    ready = bool(states) and all(s == Attachment.State.READY for s in states)
    if ready != note.media_ready:
        Note.objects.filter(pk=note.pk).update(media_ready=ready)
        note.media_ready = ready
        if ready and note.status == Note.Status.PUBLISHED:
            # Perceptual hashes exist only now: the images meet the image rules.
            for phash in Attachment.objects.filter(noteattachment__note=note).values_list(
                "phash", flat=True
            ):
                if phash:
                    after_attachment_ready(note=note, phash=phash)
        note_changed(note_id=note.id)
    return note


def notes_media_sweep() -> int:
    """Settle every published note still waiting for media whose files are all done (a
    safety net for a lost ``note_media_settled`` call). Returns how many became ready."""
    settled = 0
    waiting = Note.objects.filter(status=Note.Status.PUBLISHED, media_ready=False)
    for note_id in waiting.values_list("id", flat=True).iterator():
        note = note_media_refresh(note_id=note_id)
        settled += bool(note and note.media_ready)
    return settled


def note_form_values(note: Note) -> dict[str, Any]:
    """A note's editable values, as the compose form and the API's partial update take them."""
    return {
        "title": note.title,
        "body": note.body,
        "attachment_ids": list(
            NoteAttachment.objects.filter(note=note).values_list("attachment_id", flat=True)
        ),
        "cover_id": note.cover_id,
        "visibility": note.visibility,
        "place_name": note.place_name,
        "is_original": note.is_original,
        "language": note.language if note.language_is_set else "",
        "alt_language": note.alt_language,
        "alt_title": note.alt_title,
        "alt_body": note.alt_body,
        "help_language": note.help_language,
    }
