from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class NoteDocument(models.Model):
    """The analysed text of one searchable note (see ``analysis.document_text``), keyed by note.

    The full-text index is built from these columns by the database: on SQLite an FTS5 table
    (``search_note_fts``, external content, kept in sync by triggers), on PostgreSQL a stored
    generated ``tsv`` column with a GIN index. Both are created by migration 0002.
    """

    note = models.OneToOneField(
        "notes.Note", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    topics = models.TextField(blank=True)
    place = models.TextField(blank=True)
    indexed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"search document of note {self.note_id}"


class SuggestPrefix(models.Model):
    """A prefix index for suggestions as you type: one row per (prefix of a key, thing).

    ``key`` is a name folded without separators (``zipai``, ``自拍``, ``liwei``); every prefix of
    it up to ``PREFIX_MAX`` characters gets a row, so a lookup is one index range read ordered
    by ``weight`` (no LIKE scan).
    """

    PREFIX_MAX = 12

    class Kind(models.TextChoices):
        TOPIC = "topic"
        USER = "user"
        QUERY = "query"

    prefix = models.CharField(max_length=PREFIX_MAX)
    key = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    weight = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(F("kind"), F("prefix"), F("weight").desc(), name="search_suggest_prefix"),
            models.Index(fields=["kind", "object_id"], name="search_suggest_object"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} -> {self.kind} {self.object_id}"


class SearchQueryLog(models.Model):
    """How often a (normalised) query was searched with results: the popular queries."""

    query = models.CharField(max_length=100, unique=True)
    display = models.CharField(max_length=100)
    count = models.PositiveIntegerField(default=0)
    last_searched_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.display} ({self.count})"


class SearchHistory(models.Model):
    """A user's own past searches (latest first), which they can see and clear."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_history"
    )
    query = models.CharField(max_length=100)
    searched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "query"], name="search_history_unique")
        ]
        indexes = [models.Index(fields=["user", "-searched_at"], name="search_history_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.query}"


class TopicAlias(models.Model):
    """``alias`` means the same as ``canonical`` (#自拍 = #selfie): once accepted, search and
    topic pages treat the two as one topic. Proposals come from CC-CEDICT or staff."""

    class Status(models.TextChoices):
        PROPOSED = "proposed"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    class Source(models.TextChoices):
        STAFF = "staff"
        CEDICT = "cedict"

    alias = models.OneToOneField(
        "notes.Topic", on_delete=models.CASCADE, related_name="search_alias"
    )
    canonical = models.ForeignKey(
        "notes.Topic", on_delete=models.CASCADE, related_name="search_aliases"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    evidence = models.CharField(max_length=200, blank=True)  # e.g. the dictionary gloss
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(alias=F("canonical")), name="topic_alias_not_self")
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="search_alias_status")]

    def __str__(self) -> str:
        return f"{self.alias_id} = {self.canonical_id} ({self.status})"


class BulkRebuild(models.Model):
    """Present while a bulk ``search-reindex`` has the full-text index's upkeep switched off
    (SQLite: its triggers dropped; PostgreSQL: its GIN index dropped), and removed once the
    index is rebuilt and maintained again. A process killed in between leaves it behind: the
    next ``bridgenote serve``, ``bridgenote worker`` or ``search-reindex`` sees that its
    process is gone (same host) or silent for ``STALE_SECONDS`` (another host) and restores
    the upkeep
    (``services.search_repair_interrupted_rebuild``). One row at most (id 1)."""

    STALE_SECONDS = 900

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"search rebuild by {self.host}:{self.pid} since {self.started_at}"
