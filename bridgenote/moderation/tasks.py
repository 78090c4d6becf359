from __future__ import annotations

from django_tasks import task

from bridgenote.moderation import services


@task()
def rescan_run(job_id: int) -> None:
    services.rescan_run(job_id=job_id)
