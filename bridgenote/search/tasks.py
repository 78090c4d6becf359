"""Job entry points for search: other apps enqueue these after their own commit."""

from __future__ import annotations

from django_tasks import task

from bridgenote.search import services


@task()
def search_index_note_task(note_id: int) -> None:
    """Bring the index entry of a note up to date (after publish, edit, moderation, delete)."""
    services.search_index_note(note_id=note_id)


@task()
def search_remove_note_task(note_id: int) -> None:
    services.search_remove_note(note_id=note_id)


@task()
def search_index_user_task(user_id: int) -> None:
    """After a handle, display name or follower count change (or deactivation)."""
    services.search_index_user(user_id=user_id)


@task()
def search_index_topic_task(topic_id: int) -> None:
    """After a topic is created or its note count changes."""
    services.search_index_topic(topic_id=topic_id)


@task()
def search_reindex_topic_task(alias_id: int, canonical_id: int) -> None:
    """After an alias is accepted or revoked: both topics' suggestions and tagged notes."""
    services.search_reindex_topic(topic_ids=[alias_id, canonical_id])
