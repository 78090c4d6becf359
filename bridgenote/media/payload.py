"""The JSON shape of an attachment, shared by the API and the uploader widget."""

from __future__ import annotations

from typing import Any

from bridgenote.media.errors import error_message
from bridgenote.media.models import Attachment


def attachment_payload(attachment: Attachment) -> dict[str, Any]:
    """An attachment as the API returns it (IDs as strings: they exceed JavaScript's 2^53)."""
    failed = attachment.state == Attachment.State.FAILED
    return {
        "id": str(attachment.id),
        "kind": attachment.kind,
        "state": attachment.state,
        "mime": attachment.mime,
        "width": attachment.width,
        "height": attachment.height,
        "duration": attachment.duration,
        "blurhash": attachment.blurhash,
        "alt_text": attachment.alt_text,
        "renditions": {
            name: {
                "url": attachment.rendition_url(name),
                "width": rendition["width"],
                "height": rendition["height"],
                "mime": rendition["mime"],
            }
            for name, rendition in attachment.renditions.items()
        },
        "error": attachment.error or None if failed else None,
        "message": error_message(attachment.error) if failed else None,
    }
