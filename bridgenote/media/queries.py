"""Reads of the media app."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bridgenote.media.models import Attachment


def attachment_for_owner(*, owner: Any, attachment_id: str | int) -> Attachment | None:
    """The owner's attachment with this id, or None (also for a malformed id or another's)."""
    try:
        key = int(attachment_id)
    except (TypeError, ValueError):
        return None
    if not getattr(owner, "is_authenticated", False):
        return None
    return Attachment.objects.filter(id=key, owner=owner).first()


def attachments_for_owner(*, owner: Any, attachment_ids: Iterable[str | int]) -> list[Attachment]:
    """The owner's attachments among ``attachment_ids``, in the order given; others skipped.

    For re-rendering the uploader after a failed form submission.
    """
    keys = []
    for value in attachment_ids:
        try:
            keys.append(int(value))
        except (TypeError, ValueError):
            continue
    if not keys or not getattr(owner, "is_authenticated", False):
        return []
    found = {a.id: a for a in Attachment.objects.filter(id__in=keys, owner=owner)}
    return [found[key] for key in dict.fromkeys(keys) if key in found]


def attachment_is_attached(attachment: Attachment) -> bool:
    """Whether a note (draft or published) uses this attachment."""
    return attachment.notes.exists()
