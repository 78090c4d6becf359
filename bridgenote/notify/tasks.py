from __future__ import annotations

from typing import Any

from django_tasks import task

from bridgenote.notify import services


@task()
def moderation_outcome(
    note_id: int | None,
    outcome: str,
    reason_en: str = "",
    reason_zh: str = "",
    category: str = "",
    comment_id: int | None = None,
    account_id: int | None = None,
    target: str = "",
) -> None:
    services.notify_moderation(
        note_id=note_id, outcome=outcome, reason_en=reason_en, reason_zh=reason_zh,
        category=category, comment_id=comment_id, account_id=account_id, target=target,
    )  # fmt: skip


@task()
def moderation_outcomes(items: list[dict[str, Any]]) -> None:
    """``moderation_outcome`` for many (a moderation rescan's batch): one job, one insert."""
    services.notify_moderation_many(items)
