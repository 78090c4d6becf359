from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from bridgenote.core.models import SnowflakeModel


class Topic(SnowflakeModel):
    """A hashtag. ``name`` is shown as first written; ``folded`` (NFKC, case-fold,
    Traditional -> Simplified) is what matches."""

    name = models.CharField(max_length=64)
    folded = models.CharField(max_length=64, unique=True)
    note_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.name}"


class Note(SnowflakeModel):
    class Visibility(models.TextChoices):
        PUBLIC = "public"
        FOLLOWERS = "followers"
        PRIVATE = "private"

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    class Moderation(models.TextChoices):
        PUBLISHED = "published"
        PENDING = "pending"
        LIMITED = "limited"
        REMOVED = "removed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    language_is_set = models.BooleanField(default=False)  # the author chose it; don't re-detect
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    moderation = models.CharField(
        max_length=12, choices=Moderation.choices, default=Moderation.PUBLISHED
    )
    media_ready = models.BooleanField(default=False)
    place_name = models.CharField(max_length=80, blank=True)
    is_original = models.BooleanField(default=False)
    ip_territory = models.CharField(max_length=8, blank=True)
    cover = models.ForeignKey(
        "media.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachments = models.ManyToManyField(
        "media.Attachment", through="NoteAttachment", related_name="notes"
    )
    topics = models.ManyToManyField(Topic, through="NoteTopic", related_name="notes")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="mentioned_in", blank=True
    )
    like_count = models.PositiveIntegerField(default=0)
    collect_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"]),
            models.Index(fields=["status", "moderation", "-id"]),
        ]

    def __str__(self) -> str:
        return self.title or f"note {self.id}"


class NoteAttachment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    attachment = models.OneToOneField("media.Attachment", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["note", "position"], name="note_attachment_position")
        ]

    def __str__(self) -> str:
        return f"{self.note_id}[{self.position}] = {self.attachment_id}"


class NoteTopic(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "topic"], name="note_topic_unique")]

    def __str__(self) -> str:
        return f"{self.note_id} #{self.topic_id}"
