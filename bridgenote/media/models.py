from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bridgenote.core.models import SnowflakeModel


class Attachment(SnowflakeModel):
    """An uploaded image or video. A job moves it uploaded -> processing -> ready | failed.

    ``renditions`` maps a rendition name ("card", "large", "video", "poster", ...) to
    ``{"name": <storage name>, "width": int, "height": int, "mime": str}``.
    """

    class Kind(models.TextChoices):
        IMAGE = "image"
        VIDEO = "video"

    class State(models.TextChoices):
        UPLOADED = "uploaded"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UPLOADED)
    original = models.CharField(max_length=255, blank=True)  # storage name, removed once processed
    mime = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    blurhash = models.CharField(max_length=64, blank=True)
    phash = models.CharField(max_length=64, blank=True)
    alt_text = models.TextField(max_length=1500, blank=True)
    renditions = models.JSONField(default=dict, blank=True)
    error = models.CharField(
        max_length=64, blank=True
    )  # a code; the message is translated on display
    # Every stored file of the attachment lives under this storage folder (with a random part,
    # so URLs cannot be guessed from the id); deleting the folder's files deletes them all.
    folder = models.CharField(max_length=128, blank=True)
    # When a worker claimed the row, and how many times one has: a stuck claim is reclaimable.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A row handed back after the storage failed (``uploaded``) runs again at this time: a job
    # deferred to it where the queue can defer, else the periodic ``attachments_retry_due``.
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "state"]),
            models.Index(
                fields=["retry_at"],
                name="attachment_retry_due",
                condition=Q(retry_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.state})"

    def rendition_url(self, name: str) -> str | None:
        """The public URL of a rendition ("card", "large", "video", "poster"), if it exists."""
        rendition = self.renditions.get(name)
        return default_storage.url(rendition["name"]) if rendition else None
