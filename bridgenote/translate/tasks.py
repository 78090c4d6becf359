"""Job entry points."""

from __future__ import annotations

from django_tasks import task

from bridgenote.translate import services


@task()
def translations_forget(texts: list[str]) -> int:
    """Drop the stored translations of edited or deleted content (enqueue on commit)."""
    return services.translations_forget(texts=texts)


@task()
def translation_cleanup() -> int:
    return services.translation_cleanup()
