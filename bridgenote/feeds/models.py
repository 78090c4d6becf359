from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboxEntry(models.Model):
    """One note in one user's Following feed, written by fan-out on publish.

    The inbox is the source of truth for the Following feed of normal authors (Redis, when
    configured, only caches it). Authors with very many followers are not fanned out: their
    notes are merged in at read time (see ``HybridAuthor``). ``note_id`` is time-ordered, so the
    feed is ``ORDER BY note_id DESC`` on the ``(user, note)`` unique index.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "note"], name="feeds_inbox_user_note"),
        ]
        indexes = [models.Index(fields=["user", "author"], name="feeds_inbox_user_author")]

    def __str__(self) -> str:
        return f"inbox {self.user_id}: {self.note_id}"


class HybridAuthor(models.Model):
    """An author whose notes are merged into followers' feeds at read time, not fanned out.

    An author becomes hybrid when a publish finds more followers than
    ``FEEDS_FANOUT_MAX_FOLLOWERS``. The flag stays (an author hovering at the threshold never
    leaves a gap between fanned-out and merged notes).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"hybrid {self.user_id}"


class DiscoverCandidate(models.Model):
    """The precomputed Discover candidate pool: a note with its global (viewer-independent)
    score. Rebuilt by the ``discover_refresh`` job; per-viewer ranking starts from here."""

    note = models.OneToOneField(
        "notes.Note", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    language = models.CharField(max_length=8, blank=True)
    topic_ids = models.JSONField(default=list)
    score = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["-score"], name="feeds_candidate_score")]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.score:.3f}"


class FeedPreferences(models.Model):
    """What a user chose for their Discover feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="feed_preferences",
    )
    language_mix = models.PositiveSmallIntegerField(
        _("notes from the other language community (%)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    interests = models.ManyToManyField(
        "notes.Topic", blank=True, related_name="+", verbose_name=_("interests")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language_mix__lte=100), name="feeds_language_mix_max"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: mix {self.language_mix}%"


class DiscoverViewer(models.Model):
    """A viewer's Discover affinities, kept across processes and restarts.

    ``version`` is bumped (``services.viewer_changed``) in the transaction of anything that
    changes what ranking knows about the viewer: a like or collect, a follow, a block or mute,
    their Discover preferences, their profile languages, a note they publish. ``data`` is the
    compact JSON of ``ranking._build_state`` as computed at ``data_version``; it is used only
    while ``data_version == version`` and otherwise recomputed lazily by the next Discover read,
    which stores it only if no bump happened meanwhile (a conditional upsert). The row is
    derived data: deleting it loses nothing.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField(default=0)
    data_version = models.BigIntegerField(default=-1)
    data = models.TextField(blank=True, default="")
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"viewer {self.user_id} v{self.version} (data v{self.data_version})"
