"""Job entry points of the feeds app; each calls one service."""

from __future__ import annotations

from django_tasks import task


@task()
def fanout_note(note_id: int) -> int:
    from bridgenote.feeds.services import note_fan_out

    return note_fan_out(note_id=note_id)


@task()
def withdraw_note(note_id: int) -> None:
    """Kept for jobs queued before ``withdraw_notes`` existed."""
    from bridgenote.feeds.services import note_unfan

    note_unfan(note_id=note_id)


@task()
def withdraw_notes(note_ids: list[int]) -> None:
    from bridgenote.feeds.services import notes_unfan

    notes_unfan(note_ids=note_ids)


@task()
def backfill_follow(follower_id: int, followee_id: int) -> int:
    from bridgenote.feeds.services import follow_backfill

    return follow_backfill(follower_id=follower_id, followee_id=followee_id)


@task()
def refresh_discover() -> int:
    from bridgenote.feeds.services import discover_refresh

    return discover_refresh()


@task()
def trim_inboxes() -> int:
    from bridgenote.feeds.services import inbox_trim

    return inbox_trim()
