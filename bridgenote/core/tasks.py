"""Job entry points of the core app."""

from __future__ import annotations

from django_tasks import task


@task()
def task_results_prune() -> int:
    """Delete finished job results older than ``TASK_RESULTS_KEEP_DAYS`` (periodic)."""
    from bridgenote.core.scheduler import task_results_prune as prune

    return prune()


@task()
def rate_counts_prune() -> int:
    """Delete the rate-limit counters of windows that have ended (periodic)."""
    from bridgenote.core.ratelimit import prune

    return prune()
