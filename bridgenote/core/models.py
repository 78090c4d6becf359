from __future__ import annotations

from django.db import models

from bridgenote.core.ids import new_id


class SnowflakeModel(models.Model):
    """Abstract base: a time-sortable 64-bit primary key (see ``core.ids``)."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)

    class Meta:
        abstract = True


class PeriodicJob(models.Model):
    """When a periodic job (``settings.PERIODIC_JOBS``) is next due, shared by every worker.

    A worker enqueues a run only if its conditional UPDATE moves ``next_run_at`` forward, so
    however many workers run the scheduler, each due run is enqueued once.
    """

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_result_id = models.CharField(max_length=64, blank=True, default="")
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class RateCount(models.Model):
    """Attempts counted against one rate-limit key in one fixed window (``core.ratelimit``
    when the cache is the database): one row per key and window, counted by one UPSERT.
    ``key`` holds the window; rows whose window ended are deleted by ``rate_counts_prune``."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # When the window ends, in seconds since the epoch.
    ends = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
