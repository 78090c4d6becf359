"""Writes of the feeds app: inbox fan-out, follow backfill, the Discover candidate pool and
feed preferences.

The notes and engage apps call three hooks (after their own write, inside or outside their
transaction; the work itself runs as a background job after commit):

- ``note_published(note=...)`` whenever a note becomes visible (published, approved after
  review, media finished processing);
- ``note_withdrawn(note=...)`` whenever it stops being visible (deleted, hidden, removed by
  moderation, made private);
- ``follow_changed(follower=..., followee=..., created=...)`` on follow (created=True) and on
  unfollow or block (created=False, once for each follow the block removed).

Feeds re-check visibility at read time, so a late or lost job never shows a hidden note; it
can only delay a new one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from bridgenote.core.ids import id_at, id_time
from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.engage.models import Follow
from bridgenote.feeds import inbox_cache, tasks
from bridgenote.feeds.models import (
    DiscoverCandidate,
    DiscoverViewer,
    FeedPreferences,
    HybridAuthor,
    InboxEntry,
)
from bridgenote.feeds.visibility import discoverable, published
from bridgenote.notes.models import Note, NoteTopic

logger = logging.getLogger(__name__)

POOL_VERSION_KEY = "feeds:pool:version"
POOL_LOCK_KEY = "feeds:pool:refreshing"
# Pool refreshes and withdrawals made by this process: ranking, which re-reads the pool
# version from the cache at most once a second, re-reads it at once after one of these.
_pool_changes = 0
_BATCH = 2000

# Engagement weights of the global Discover score and the freshness decay (a note's score
# halves roughly every FRESHNESS_HALF_LIFE_HOURS at first, then decays polynomially).
LIKE_WEIGHT = 1.0
COLLECT_WEIGHT = 2.0
COMMENT_WEIGHT = 3.0
FRESHNESS_HALF_LIFE_HOURS = 12.0
GRAVITY = 1.5


# --- hooks for the notes and engage apps -----------------------------------------------------
def note_published(*, note: Note) -> None:
    """Fan ``note`` out to its author's followers once the caller's transaction commits.

    Idempotent: calling it again (e.g. after a moderation approval) inserts nothing twice.
    """
    enqueue_on_commit(tasks.fanout_note, note.pk)


def note_withdrawn(*, note: Note) -> None:
    """Remove ``note`` from every inbox and from the Discover pool (after commit)."""
    notes_withdrawn(note_ids=[note.pk])


def notes_withdrawn(*, note_ids: Sequence[int]) -> None:
    """``note_withdrawn`` for many notes (a moderation rescan's batch): one job for all."""
    if note_ids:
        enqueue_on_commit(tasks.withdraw_notes, list(note_ids))


def follow_changed(*, follower: Any, followee: Any, created: bool) -> None:
    """Keep ``follower``'s inbox in step with a follow (backfill) or an unfollow/block (purge).

    A purge happens now, inside the caller's transaction, so an unfollowed or blocking account
    disappears from the next page; a backfill runs as a job after commit.
    """
    viewer_changed(user_id=follower.pk)  # followed authors are Discover affinities
    if created:
        enqueue_on_commit(tasks.backfill_follow, follower.pk, followee.pk)
        return
    with transaction.atomic():
        InboxEntry.objects.filter(user_id=follower.pk, author_id=followee.pk).delete()
    # Forget the cached inbox now and again after commit: a rebuild in between could have read
    # the rows this transaction deletes.
    _forget(follower.pk)
    transaction.on_commit(lambda: _forget(follower.pk))


def _forget(user_id: int) -> None:
    inbox_cache.forget(user_id)


def viewer_changed(*, user_id: int) -> None:
    """Something ranking knows about ``user_id`` changed (a like, collect, follow, block,
    mute, their preferences or profile languages, a note of theirs): bump the version of
    their stored Discover state, inside the caller's transaction. The next Discover read
    recomputes the state and arranges a new list (both are keyed by this version)."""
    table = connection.ops.quote_name(DiscoverViewer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, version, data_version, data, computed_at)"  # noqa: S608 - our table name
            " VALUES (%s, 1, -1, '', NULL)"
            f" ON CONFLICT (user_id) DO UPDATE SET version = {table}.version + 1",
            [user_id],
        )


def viewer_signed_in(*, user_id: int) -> None:
    """A sign-in usually lands on Discover: compute and store ``user_id``'s Discover state now
    (one primary-key read if it is current), so that the first page in every process only
    reads it back. Never fails the sign-in: if this cannot, the page computes it."""
    from bridgenote.feeds.ranking import viewer_state_of  # ranking imports this module

    try:
        with transaction.atomic():
            viewer_state_of(user_id)
    except Exception:  # whatever it is, the sign-in goes on; the page computes the state
        logger.exception("could not prepare the Discover state of user %s", user_id)


def viewer_state_save(*, user_id: int, version: int, data: str) -> bool:
    """Store ``data`` as ``user_id``'s Discover state computed at ``version``, unless the
    version moved on meanwhile (a like committed while it was being computed): one
    conditional upsert. Returns whether it was stored."""
    table = connection.ops.quote_name(DiscoverViewer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, version, data_version, data, computed_at)"  # noqa: S608 - our table name
            " VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,"
            " data_version = excluded.data_version, computed_at = excluded.computed_at"
            f" WHERE {table}.version = excluded.version",
            [user_id, version, version, data, timezone.now()],
        )
        return bool(cursor.rowcount)


# --- the work behind the hooks ---------------------------------------------------------------
def inbox_boundary() -> int:
    """The smallest note id the inboxes hold; older pages are merged at read time."""
    return id_at(time.time() - settings.FEEDS_INBOX_DAYS * 86400)


def note_fan_out(*, note_id: int) -> int:
    """Insert ``note_id`` into the inbox of its author and of every follower (or, for an
    author above ``FEEDS_FANOUT_MAX_FOLLOWERS``, mark the author hybrid and insert it only
    into the author's own inbox). Returns the number of inboxes written. Idempotent."""
    note = published().exclude(visibility=Note.Visibility.PRIVATE).filter(pk=note_id).first()
    if note is None or note_id < inbox_boundary():
        return 0
    author_id = note.author_id
    viewer_changed(user_id=author_id)  # the topics of one's own notes are Discover affinities
    followers = Follow.objects.filter(followee_id=author_id)
    is_hybrid = HybridAuthor.objects.filter(user_id=author_id).exists()
    if not is_hybrid and followers.count() > settings.FEEDS_FANOUT_MAX_FOLLOWERS:
        HybridAuthor.objects.get_or_create(user_id=author_id)
        is_hybrid = True
    user_ids: list[int] = [author_id]
    if not is_hybrid:
        user_ids.extend(followers.values_list("follower_id", flat=True).iterator(chunk_size=5000))
    for start in range(0, len(user_ids), _BATCH):
        chunk = user_ids[start : start + _BATCH]
        InboxEntry.objects.bulk_create(
            [InboxEntry(user_id=u, note_id=note_id, author_id=author_id) for u in chunk],
            ignore_conflicts=True,
        )
        inbox_cache.add((u, note_id) for u in chunk)
    return len(user_ids)


UNFAN_CHUNK = 500  # note ids per statement (SQLite's bound-parameter limit is far above)


def note_unfan(*, note_id: int) -> None:
    """Take ``note_id`` out of every inbox and of the Discover pool."""
    notes_unfan(note_ids=[note_id])


def notes_unfan(*, note_ids: Sequence[int]) -> None:
    """Take ``note_ids`` out of every inbox and of the Discover pool: a few statements per
    500 notes, and the pool reloaded once, however many notes a rescan withdrew."""
    ids = list(dict.fromkeys(note_ids))
    for start in range(0, len(ids), UNFAN_CHUNK):
        chunk = ids[start : start + UNFAN_CHUNK]
        pairs = list(InboxEntry.objects.filter(note_id__in=chunk).values_list("user_id", "note_id"))
        InboxEntry.objects.filter(note_id__in=chunk).delete()
        DiscoverCandidate.objects.filter(note_id__in=chunk).delete()
        inbox_cache.remove(pairs)
    if ids:
        cache.delete(POOL_VERSION_KEY)  # every process reloads the pool without these notes
        _pool_changed()


def follow_backfill(*, follower_id: int, followee_id: int) -> int:
    """Copy the followee's recent notes into the follower's inbox (unless the followee is
    merged at read time). Returns the number of entries inserted."""
    if not Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists():
        return 0  # unfollowed before the job ran
    if HybridAuthor.objects.filter(user_id=followee_id).exists():
        return 0
    note_ids = list(
        published()
        .filter(author_id=followee_id, id__gte=inbox_boundary())
        .exclude(visibility=Note.Visibility.PRIVATE)
        .order_by("-id")
        .values_list("id", flat=True)[: settings.FEEDS_FOLLOW_BACKFILL]
    )
    InboxEntry.objects.bulk_create(
        [InboxEntry(user_id=follower_id, note_id=n, author_id=followee_id) for n in note_ids],
        ignore_conflicts=True,
    )
    _forget(follower_id)
    return len(note_ids)


def inbox_rebuild(*, user_id: int) -> int:
    """Recompute a user's inbox from follows and notes (repair, demo data, imports)."""
    boundary = inbox_boundary()
    hybrid = HybridAuthor.objects.values("user_id")
    authors = [
        user_id,
        *Follow.objects.filter(follower_id=user_id).values_list("followee_id", flat=True),
    ]
    notes = (
        published()
        .filter(author_id__in=authors, id__gte=boundary)
        .exclude(visibility=Note.Visibility.PRIVATE)
        .exclude(author_id__in=hybrid.exclude(user_id=user_id))
        .values_list("id", "author_id")
    )
    with transaction.atomic():
        InboxEntry.objects.filter(user_id=user_id).delete()
        InboxEntry.objects.bulk_create(
            [InboxEntry(user_id=user_id, note_id=n, author_id=a) for n, a in notes],
            batch_size=_BATCH,
        )
    inbox_cache.forget(user_id)
    return InboxEntry.objects.filter(user_id=user_id).count()


def inbox_trim() -> int:
    """Delete inbox entries older than the inbox window (they are served by the merge)."""
    deleted, _ = InboxEntry.objects.filter(note_id__lt=inbox_boundary()).delete()
    return deleted


# --- Discover ---------------------------------------------------------------------------------
def discover_refresh() -> int:
    """Recompute the Discover candidate pool: the ``FEEDS_DISCOVER_POOL_SIZE`` discoverable
    notes of the last ``FEEDS_DISCOVER_WINDOW_DAYS`` with the best engagement-with-freshness
    score. Replaces the pool atomically and bumps its version. Returns the pool size."""
    now = time.time()
    since = id_at(now - settings.FEEDS_DISCOVER_WINDOW_DAYS * 86400)
    engagement = (
        Cast(F("like_count"), FloatField()) * Value(LIKE_WEIGHT)
        + Cast(F("collect_count"), FloatField()) * Value(COLLECT_WEIGHT)
        + Cast(F("comment_count"), FloatField()) * Value(COMMENT_WEIGHT)
    )
    # The SQL pre-selection ranks by raw engagement among recent notes, plus the newest notes
    # (which have had no time to be liked); freshness decay is applied in Python below.
    size = settings.FEEDS_DISCOVER_POOL_SIZE
    recent = discoverable().filter(id__gte=since)
    rows: dict[int, tuple[int, int, str, float]] = {}
    fields = ("id", "author_id", "language", "like_count", "collect_count", "comment_count")
    for query in (
        recent.annotate(e=engagement).order_by("-e").values_list(*fields)[: size * 2],
        recent.order_by("-id").values_list(*fields)[:size],
    ):
        for note_id, author_id, language, likes, collects, comments in query:
            raw = LIKE_WEIGHT * likes + COLLECT_WEIGHT * collects + COMMENT_WEIGHT * comments
            rows[note_id] = (note_id, author_id, language, raw)
    scored = [
        (global_score(raw, note_id, now), note_id, author_id, language)
        for note_id, author_id, language, raw in rows.values()
    ]
    scored.sort(reverse=True)
    scored = scored[:size]
    topics: dict[int, list[int]] = {}
    ids = [s[1] for s in scored]
    for start in range(0, len(ids), 900):
        for note_id, topic_id in NoteTopic.objects.filter(
            note_id__in=ids[start : start + 900]
        ).values_list("note_id", "topic_id"):
            topics.setdefault(note_id, []).append(topic_id)
    with transaction.atomic():
        DiscoverCandidate.objects.all().delete()
        DiscoverCandidate.objects.bulk_create(
            [
                DiscoverCandidate(
                    note_id=n,
                    author_id=a,
                    language=lang or "",
                    score=s,
                    topic_ids=topics.get(n, []),
                )
                for s, n, a, lang in scored
            ],
            batch_size=_BATCH,
        )
    cache.set(POOL_VERSION_KEY, f"{now:.3f}", timeout=None)
    cache.delete(POOL_LOCK_KEY)
    _pool_changed()
    return len(scored)


def _pool_changed() -> None:
    global _pool_changes
    _pool_changes += 1


def pool_changes() -> int:
    """How many times this process refreshed or withdrew from the Discover pool."""
    return _pool_changes


def discover_refresh_soon() -> None:
    """Ask for a pool refresh unless one is already queued or running."""
    if cache.add(POOL_LOCK_KEY, 1, timeout=settings.FEEDS_DISCOVER_REFRESH_SECONDS):
        enqueue_on_commit(tasks.refresh_discover)


def global_score(engagement: float, note_id: int, now: float) -> float:
    """Weighted engagement with freshness decay: (e + 1) / (age / half-life + 1) ** gravity."""
    age_hours = max(0.0, (now - id_time(note_id)) / 3600)
    return (engagement + 1.0) / (age_hours / FRESHNESS_HALF_LIFE_HOURS + 1.0) ** GRAVITY


# --- preferences ------------------------------------------------------------------------------
def feed_preferences_update(
    *, user: Any, language_mix: int, interest_ids: Iterable[int] | None = None
) -> FeedPreferences:
    """Store ``user``'s Discover preferences. ``language_mix`` must be within 0..100."""
    if not 0 <= language_mix <= 100:
        raise ValueError("language_mix must be between 0 and 100")
    with transaction.atomic():
        prefs, _ = FeedPreferences.objects.select_for_update().get_or_create(user=user)
        prefs.language_mix = language_mix
        prefs.updated_at = timezone.now()
        prefs.save(update_fields=["language_mix", "updated_at"])
        if interest_ids is not None:
            prefs.interests.set(list(interest_ids))
        viewer_changed(user_id=user.pk)
    return prefs


def trending_since() -> int:
    return id_at((timezone.now() - timedelta(hours=settings.FEEDS_TRENDING_HOURS)).timestamp())
