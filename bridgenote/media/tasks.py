"""Job entry points of the media app (each calls one service)."""

from __future__ import annotations

from django_tasks import task

from bridgenote.media import services


@task()
def attachment_process(attachment_id: int) -> None:
    services.attachment_process(attachment_id=attachment_id)


@task()
def attachments_sweep() -> None:
    """Reclaim stuck processing rows, enqueue due storage retries (if a deferred job was
    lost), and purge orphan uploads and files."""
    services.attachments_reclaim_stuck()
    services.attachments_retry_due()
    services.attachments_purge_orphans()


@task()
def attachments_retry() -> int:
    """Enqueue the rows whose storage retry is due (periodic, every minute)."""
    return services.attachments_retry_due()
