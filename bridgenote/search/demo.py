"""Demo data for search: index what the other apps' demos created, and propose topic aliases."""

from __future__ import annotations

from typing import Any

from bridgenote.search.services import reindex_everything, topic_alias_propose_from_dictionary


def populate(community: dict[str, Any]) -> None:
    """Run last (after notes): index every demo note, person and topic; propose aliases."""
    community["search"] = reindex_everything()
    community["search_aliases"] = topic_alias_propose_from_dictionary()
