"""Demo data for feeds: materialise what the write path would have left after the demo notes.

The notes and engage demos create their rows directly, so the Following inboxes and the
Discover candidate pool are built here, from the database, as a repair would.
"""

from __future__ import annotations

from typing import Any

from bridgenote.accounts.models import User
from bridgenote.feeds import services


def populate(community: dict[str, Any]) -> None:
    for user_id in User.objects.values_list("id", flat=True):
        services.inbox_rebuild(user_id=user_id)
    community["discover_pool"] = services.discover_refresh()
