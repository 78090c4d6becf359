"""Template helpers of the media app: the uploader's initial state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from bridgenote.media.models import Attachment
from bridgenote.media.payload import attachment_payload

register = template.Library()


@register.filter
def attachment_payloads(attachments: Iterable[Attachment] | None) -> list[dict[str, Any]]:
    """Attachments as the API shows them, for ``json_script`` (an empty list for None)."""
    return [attachment_payload(attachment) for attachment in attachments or []]
