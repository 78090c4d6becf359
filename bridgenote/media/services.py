"""Writes of the media app: upload, process, describe, delete and purge attachments.

Lifecycle: ``attachment_upload`` checks the file from its content, stores the original and
creates the row (state ``uploaded``), then enqueues ``attachment_process``. The job claims the
row with a conditional UPDATE (``uploaded`` -> ``processing``), writes the renditions, and ends
``ready`` (original deleted) or ``failed`` (with an error code; every file deleted). A worker
that dies leaves the row ``processing``; ``attachments_reclaim_stuck`` hands it back.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bridgenote.core.ids import new_id
from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.media import storage_errors
from bridgenote.media.errors import MediaError
from bridgenote.media.images import _fit_width, _placeholders, _webp, render_image
from bridgenote.media.models import Attachment
from bridgenote.media.probe import probe
from bridgenote.media.video import transcode

logger = logging.getLogger(__name__)

ROOT = "attachments"
FOLDER = re.compile(r"^(\d+)-[0-9a-f]{16}$")
ALT_TEXT_MAX = 1500


# --- upload -----------------------------------------------------------------------------------


def _check_rate(owner: Any) -> None:
    key = f"media:uploads:{owner.pk}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > settings.MEDIA_UPLOADS_PER_HOUR:
        raise MediaError("rate_limited")


def _clean_alt_text(alt_text: str) -> str:
    alt_text = alt_text.strip()
    if len(alt_text) > ALT_TEXT_MAX:
        raise MediaError("alt_text_too_long")
    return alt_text


def attachment_upload(*, owner: Any, file: UploadedFile, alt_text: str = "") -> Attachment:
    """Check, store and register an uploaded photo or video, and queue its processing.

    The type is decided from the content (``probe``); anything not an accepted photo or video,
    corrupt, truncated, a bomb, or over the size or length limits raises ``MediaError`` with
    nothing stored. On success the row is ``uploaded`` and its original is in storage; if the
    row cannot be created the stored original is deleted again. Processing starts when the
    caller's transaction commits.
    """
    alt_text = _clean_alt_text(alt_text)
    _check_rate(owner)
    info = probe(file.file if file.file is not None else file, file.size or 0)
    attachment_id = new_id()
    folder = f"{ROOT}/{attachment_id}-{secrets.token_hex(8)}"
    file.seek(0)
    try:
        original = default_storage.save(f"{folder}/original{info.extension}", file)
    except Exception as exc:
        # botocore has already retried a transient failure a few times within the request;
        # the user is told to try again (or, for a misconfiguration, that it is our fault).
        kind = storage_errors.classify(exc)
        if kind is None:
            raise
        if kind == storage_errors.PERMANENT:
            logger.error("upload of %s refused by storage: %r", folder, exc, exc_info=True)
        else:
            logger.warning("upload of %s not stored, storage unavailable: %r", folder, exc)
        with suppress(Exception):  # a partly written file (local disk) goes too
            default_storage.delete(f"{folder}/original{info.extension}")
        raise MediaError(kind) from exc
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                id=attachment_id,
                owner=owner,
                kind=info.kind,
                mime=info.mime,
                size_bytes=file.size or 0,
                width=info.width,
                height=info.height,
                duration=info.duration,
                alt_text=alt_text,
                original=original,
                folder=folder,
            )
            from bridgenote.media import tasks

            enqueue_on_commit(tasks.attachment_process, attachment_id)
    except BaseException:
        default_storage.delete(original)
        raise
    return attachment


def attachment_set_alt_text(*, attachment: Attachment, alt_text: str) -> Attachment:
    """Replace the description read by screen readers (at most 1,500 characters)."""
    attachment.alt_text = _clean_alt_text(alt_text)
    with transaction.atomic():
        Attachment.objects.filter(id=attachment.id).update(alt_text=attachment.alt_text)
    return attachment


# --- processing -------------------------------------------------------------------------------


@dataclass
class _Outcome:
    fields: dict[str, Any]


@contextmanager
def _local_copy(name: str) -> Iterator[str]:
    """A local path to a stored file: the file itself on disk storage, a temporary copy else."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = ""
    if path and os.path.exists(path):
        yield path
        return
    suffix = os.path.splitext(name)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        with default_storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, copy, 1024 * 1024)
        copy.flush()
        yield copy.name


def _store(folder: str, name: str, data: bytes | IO[bytes], mime: str, extension: str) -> str:
    """Save bytes or a file (streamed, not read into memory) as ``folder/name.ext``."""
    path = f"{folder}/{name}{extension}"
    if default_storage.exists(path):  # a reclaimed job is redoing the work
        default_storage.delete(path)
    content: File = ContentFile(data) if isinstance(data, bytes) else File(data)
    content.content_type = mime  # type: ignore[attr-defined]  # read by S3 storage
    return default_storage.save(path, content)


def _process_image(attachment: Attachment, path: str) -> _Outcome:
    with open(path, "rb") as source:
        result = render_image(source)
    renditions = {}
    for rendition in result.renditions:
        name = _store(
            attachment.folder, rendition.name, rendition.data, rendition.mime, rendition.extension
        )
        renditions[rendition.name] = {
            "name": name,
            "width": rendition.width,
            "height": rendition.height,
            "mime": rendition.mime,
            **({"animated": True} if rendition.animated else {}),
        }
    return _Outcome(
        {
            "width": result.width,
            "height": result.height,
            "blurhash": result.blurhash,
            "phash": result.phash,
            "renditions": renditions,
        }
    )


def _process_video(attachment: Attachment, path: str) -> _Outcome:
    with tempfile.TemporaryDirectory(prefix="bridgenote-video-") as work:
        output = os.path.join(work, "video.mp4")
        result = transcode(path, output)
        if result.duration > settings.VIDEO_MAX_SECONDS + 1:
            raise MediaError("video_too_long")
        with open(output, "rb") as encoded:
            video_name = _store(attachment.folder, "video", encoded, "video/mp4", ".mp4")
    poster = result.poster
    large = poster.resize(_fit_width(poster.size, settings.MEDIA_LARGE_WIDTH))
    card = large.resize(_fit_width(large.size, settings.MEDIA_CARD_WIDTH))
    blur, phash = _placeholders(card)
    renditions = {
        "video": {"name": video_name, "width": result.width, "height": result.height,
                  "mime": "video/mp4"},
    }  # fmt: skip
    for name, picture in (("poster", large), ("card", card)):
        stored = _store(attachment.folder, name, _webp(picture), "image/webp", ".webp")
        renditions[name] = {"name": stored, "width": picture.width, "height": picture.height,
                            "mime": "image/webp"}  # fmt: skip
    return _Outcome(
        {
            "width": result.width,
            "height": result.height,
            "duration": round(result.duration, 3),
            "blurhash": blur,
            "phash": phash,
            "renditions": renditions,
        }
    )


def attachment_process(*, attachment_id: int) -> Attachment | None:
    """Turn an ``uploaded`` attachment into renditions; end ``ready`` or ``failed``.

    Claims the row atomically (a second worker, or a job for a row already done, does nothing
    and returns None). Photos: upright, metadata stripped, sRGB, WebP card and detail
    renditions, width/height, blurhash and perceptual hash. Videos: H.264/AAC MP4 with
    faststart up to 1080p, a WebP poster and card, duration. Success deletes the original;
    failure deletes every stored file and records an error code. ``_after_settled`` runs
    after either outcome commits.
    """
    claimed_at = timezone.now()
    claimed = Attachment.objects.filter(id=attachment_id, state=Attachment.State.UPLOADED).update(
        state=Attachment.State.PROCESSING,
        claimed_at=claimed_at,
        attempts=F("attempts") + 1,
        retry_at=None,
    )
    if not claimed:
        return None
    attachment = Attachment.objects.filter(id=attachment_id).first()
    if attachment is None:  # deleted in between
        return None
    original = attachment.original
    try:
        if attachment.attempts > settings.MEDIA_PROCESSING_MAX_ATTEMPTS:
            raise MediaError("processing_failed")
        with _local_copy(attachment.original) as path:
            if attachment.kind == Attachment.Kind.IMAGE:
                outcome = _process_image(attachment, path)
            else:
                outcome = _process_video(attachment, path)
    except MediaError as exc:
        return _settle_failed(attachment, exc.code, claimed_at)
    except Exception as exc:
        kind = storage_errors.classify(exc)
        if kind is None:
            logger.exception("attachment=%s processing failed", attachment_id)
            return _settle_failed(attachment, "processing_failed", claimed_at)
        if kind == storage_errors.TRANSIENT:
            if attachment.attempts < settings.MEDIA_PROCESSING_MAX_ATTEMPTS:
                _retry_later(attachment, claimed_at, exc)
                return None
            logger.error(
                "attachment=%s storage still unavailable after %s tries: %r",
                attachment_id,
                attachment.attempts,
                exc,
            )
        else:
            logger.exception("attachment=%s storage refused a request", attachment_id)
        return _settle_failed(attachment, kind, claimed_at)

    with transaction.atomic():
        done = Attachment.objects.filter(
            id=attachment_id, state=Attachment.State.PROCESSING, claimed_at=claimed_at
        ).update(
            state=Attachment.State.READY,
            original="",
            error="",
            processed_at=timezone.now(),
            **outcome.fields,
        )
        if done:
            attachment.refresh_from_db()
            transaction.on_commit(lambda: _after_settled(attachment))
    if not done:
        # Deleted (or reclaimed) while we worked: leave no files behind for a deleted row.
        if not Attachment.objects.filter(id=attachment_id).exists():
            _delete_folder(attachment.folder)
        return None
    if original:
        try:
            default_storage.delete(original)
        except Exception as exc:
            if storage_errors.classify(exc) is None:
                raise
            # The renditions are stored and the row is ready; the stray original goes with
            # the attachment's folder when it is deleted.
            logger.warning("attachment=%s original not deleted: %r", attachment_id, exc)
    return attachment


def _retry_later(attachment: Attachment, claimed_at: Any, exc: BaseException) -> None:
    """Hand the row back (``processing`` -> ``uploaded``) to run again at ``retry_at``, after
    ``MEDIA_STORAGE_RETRY_SECONDS`` x 2^(tries - 1): the storage failed on something that
    passes (botocore's own quick retries were not enough). On every job backend: a job
    deferred to that time where the queue can defer (django-tasks-db), else the periodic
    ``attachments_retry_due`` enqueues it once it is due (the immediate backend would run a
    job enqueued now at once, burning every try within a second). Logged once per retry.
    Files already written stay: the next try overwrites them."""
    from bridgenote.media import tasks

    delay = settings.MEDIA_STORAGE_RETRY_SECONDS * 2 ** max(0, attachment.attempts - 1)
    retry_at = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        released = Attachment.objects.filter(
            id=attachment.id, state=Attachment.State.PROCESSING, claimed_at=claimed_at
        ).update(state=Attachment.State.UPLOADED, claimed_at=None, retry_at=retry_at)
        if not released:
            return  # deleted or reclaimed meanwhile: whoever has it decides
        job: Any = tasks.attachment_process
        deferred = job.get_backend().supports_defer
        if deferred:
            enqueue_on_commit(job.using(run_after=retry_at), attachment.id)
    logger.warning(
        "attachment=%s storage unavailable (%r); try %s of %s in %s s (%s)",
        attachment.id,
        exc,
        attachment.attempts + 1,
        settings.MEDIA_PROCESSING_MAX_ATTEMPTS,
        delay,
        "deferred job" if deferred else "periodic retry",
    )


# After enqueueing a due row, ``attachments_retry_due`` leaves it alone this long: a queue
# that holds jobs (the database backend) has its job waiting, and the periodic run must not
# add one per minute; a job lost before it claimed the row is enqueued again after this.
RETRY_DUE_AGAIN = timedelta(minutes=15)


def attachments_retry_due(*, now: datetime | None = None) -> int:
    """Enqueue the rows whose storage retry is due (``retry_at`` passed; a job deferred to
    that time usually claimed them first, and a second job finds nothing to claim), and push
    their ``retry_at`` forward by ``RETRY_DUE_AGAIN`` in the same transaction (the claim
    clears it). Returns how many were enqueued."""
    from bridgenote.media import tasks

    now = now or timezone.now()
    with transaction.atomic():
        due = Attachment.objects.filter(state=Attachment.State.UPLOADED, retry_at__lte=now)
        ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True))
        if ids:
            due.filter(id__in=ids).update(retry_at=now + RETRY_DUE_AGAIN)
        for attachment_id in ids:
            enqueue_on_commit(tasks.attachment_process, attachment_id)
    return len(ids)


def _settle_failed(attachment: Attachment, code: str, claimed_at: Any) -> Attachment | None:
    try:
        _delete_folder(attachment.folder)
    except Exception as exc:
        if storage_errors.classify(exc) is None:
            raise
        # Storage is down: the files go when the row does (orphan purge or delete).
        logger.warning("attachment=%s files not deleted: %r", attachment.id, exc)
    with transaction.atomic():
        done = Attachment.objects.filter(
            id=attachment.id, state=Attachment.State.PROCESSING, claimed_at=claimed_at
        ).update(
            state=Attachment.State.FAILED,
            error=code,
            original="",
            renditions={},
            processed_at=timezone.now(),
        )
        if done:
            attachment.refresh_from_db()
            transaction.on_commit(lambda: _after_settled(attachment))
    return attachment if done else None


def _after_settled(attachment: Attachment) -> None:
    """Called once an attachment's processing has committed as ``ready`` or ``failed``.

    The one place where media hands back to the notes that use it: a note becomes visible
    (``media_ready``) once all its media are ready, and its author sees a failure.
    """
    # Imported here: notes depends on media, never the other way round at import time.
    from bridgenote.notes.services import note_media_settled

    note_media_settled(attachment=attachment)


def attachments_reclaim_stuck(*, older_than: timedelta | None = None) -> int:
    """Hand rows stuck in ``processing`` (their worker died) back to the queue.

    A row claimed more than ``older_than`` ago (default MEDIA_PROCESSING_TIMEOUT_MINUTES) goes
    back to ``uploaded`` and is enqueued again; after MEDIA_PROCESSING_MAX_ATTEMPTS claims it
    fails. Returns how many rows were reclaimed.
    """
    if older_than is None:
        older_than = timedelta(minutes=settings.MEDIA_PROCESSING_TIMEOUT_MINUTES)
    cutoff = timezone.now() - older_than
    from bridgenote.media import tasks

    reclaimed = 0
    stuck = Attachment.objects.filter(state=Attachment.State.PROCESSING, claimed_at__lt=cutoff)
    for attachment_id, claimed_at in stuck.values_list("id", "claimed_at"):
        with transaction.atomic():
            if Attachment.objects.filter(
                id=attachment_id, state=Attachment.State.PROCESSING, claimed_at=claimed_at
            ).update(state=Attachment.State.UPLOADED):
                enqueue_on_commit(tasks.attachment_process, attachment_id)
                reclaimed += 1
    return reclaimed


# --- deletion ---------------------------------------------------------------------------------


def _delete_folder(folder: str) -> None:
    """Delete every file stored under an attachment's folder."""
    if not folder:
        return
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    for directory in directories:
        _delete_folder(f"{folder}/{directory}")
    if hasattr(default_storage, "path"):
        with suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(folder))


def attachment_delete(*, attachment: Attachment) -> None:
    """Delete the attachment's row and, once that commits, every file it stored.

    A note that used it loses it (the link row cascades); callers check that deleting is
    allowed. Files are removed after commit, so a rolled-back delete keeps them.
    """
    folder, original = attachment.folder, attachment.original
    with transaction.atomic():
        Attachment.objects.filter(id=attachment.id).delete()

        def remove_files() -> None:
            if original:
                default_storage.delete(original)
            _delete_folder(folder)

        transaction.on_commit(remove_files)


def attachments_purge_orphans(*, older_than: timedelta | None = None) -> int:
    """Delete uploads never attached to a note (abandoned or failed composes) and stray files.

    Rows older than ``older_than`` (default MEDIA_ORPHAN_HOURS) with no note are deleted with
    their files; folders in storage with no row at all (an upload whose transaction rolled
    back, a crash between steps) are deleted once older than the same age. Returns the number
    of attachments and stray folders removed.
    """
    if older_than is None:
        older_than = timedelta(hours=settings.MEDIA_ORPHAN_HOURS)
    cutoff = timezone.now() - older_than
    removed = 0
    orphans = Attachment.objects.filter(notes__isnull=True, created_at__lt=cutoff)
    for attachment in orphans.iterator():
        attachment_delete(attachment=attachment)
        removed += 1
    try:
        folders, _files = default_storage.listdir(ROOT)
    except FileNotFoundError:
        return removed
    candidates = {}
    for folder in folders:
        match = FOLDER.match(folder)
        if match:
            candidates[int(match.group(1))] = folder
    known = set(Attachment.objects.filter(id__in=list(candidates)).values_list("id", flat=True))
    for attachment_id, folder in candidates.items():
        if attachment_id in known or _newest_file_time(f"{ROOT}/{folder}") >= cutoff:
            continue
        _delete_folder(f"{ROOT}/{folder}")
        removed += 1
    return removed


def _newest_file_time(folder: str) -> Any:
    _directories, files = default_storage.listdir(folder)
    times = [default_storage.get_modified_time(f"{folder}/{name}") for name in files]
    return max(times) if times else timezone.now() - timedelta(days=3650)
