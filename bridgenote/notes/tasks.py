"""Job entry points for notes."""

from __future__ import annotations

from django_tasks import task

from bridgenote.notes import services


@task()
def note_media_recheck(note_id: int) -> None:
    """Settle a note whose attachments may have finished while it was being written."""
    services.note_media_refresh(note_id=note_id)


@task()
def note_sync(note_id: int) -> None:
    """Bring feeds, search and mention notifications up to date with a note."""
    services.note_sync(note_id=note_id)


@task()
def notes_sync(note_ids: list[int]) -> None:
    """``note_sync`` for many notes (a moderation rescan's batch): one job, not one each."""
    services.notes_sync(note_ids=note_ids)


@task()
def notes_media_sweep() -> int:
    """Periodic safety net: show published notes whose media have all finished."""
    return services.notes_media_sweep()
