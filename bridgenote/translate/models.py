"""Stored translations (the cache shared by every reader) and learners' word lists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Translation(models.Model):
    """One translation of one text, per target language, provider and model.

    The text itself is not stored, only its SHA-256: an edited note has a new hash, so its
    old translation is never served again, and ``translation_cleanup`` deletes rows that
    nobody has read for ``TRANSLATE_CACHE_DAYS``.
    """

    content_hash = models.CharField(max_length=64)
    target = models.CharField(max_length=8)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Refreshed at most once a day per row, so reads stay reads.
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_hash", "target", "provider", "model"],
                name="translation_unique_per_content",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]} -> {self.target} ({self.provider})"


class WordListEntryQuerySet(models.QuerySet["WordListEntry"]):
    def of(self, user: Any) -> WordListEntryQuerySet:
        """The words ``user`` saved, newest first."""
        return self.filter(user=user).order_by("-saved_at", "-id")


class WordListEntry(models.Model):
    """A Chinese word a learner saved, with the pinyin and gloss it had when saved."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_words"
    )
    word = models.CharField(_("word"), max_length=32)
    pinyin = models.CharField(_("pinyin"), max_length=200, blank=True)
    gloss = models.TextField(_("meaning"), max_length=2000, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    objects = WordListEntryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "word"], name="wordlist_unique_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-saved_at"], name="wordlist_user_saved")]

    def __str__(self) -> str:
        return self.word
