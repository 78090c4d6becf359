"""Job entry points for notes."""

from __future__ import annotations

from django_tasks import task

from bridgenote.notes import services


@task()
def note_media_recheck(note_id: int) -> None:
    """Settle a note whose attachments may have finished while it was being written."""
    services.note_media_refresh(note_id=note_id)
