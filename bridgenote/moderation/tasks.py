from __future__ import annotations

from django_tasks import task

from bridgenote.moderation import services


@task()
def rescan_run(job_id: int) -> None:
    services.rescan_run(job_id=job_id)


@task()
def rescan_chunk_run(job_id: int, chunk_id: int) -> None:
    """One chunk of a rescan: chunks of one job run in parallel on the workers there are."""
    services.rescan_run(job_id=job_id, chunk_id=chunk_id)
