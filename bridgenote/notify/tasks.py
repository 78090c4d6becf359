from __future__ import annotations

from django_tasks import task

from bridgenote.notify import services


@task()
def moderation_outcome(
    note_id: int, outcome: str, reason_en: str = "", reason_zh: str = "", category: str = ""
) -> None:
    services.notify_moderation(
        note_id=note_id, outcome=outcome, reason_en=reason_en, reason_zh=reason_zh,
        category=category,
    )  # fmt: skip
