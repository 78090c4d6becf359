"""Media endpoints of the native API, mounted at /api/media (session authentication).

POST / uploads one photo or video (multipart ``file`` and optional ``alt_text``) and answers
202 with the attachment; poll GET /{id} until ``state`` is ``ready`` or ``failed``.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Form, Router, Schema, UploadedFile
from ninja.params import functions as params
from ninja.security import django_auth

from bridgenote.media import queries, services
from bridgenote.media.errors import MediaError, error_message
from bridgenote.media.payload import attachment_payload

router = Router(tags=["media"], auth=django_auth)

STATUS = {
    "image_too_big": 413,
    "video_too_big": 413,
    "unsupported_type": 415,
    "markup_in_file": 415,
    "rate_limited": 429,
    "not_found": 404,
    "attached_to_note": 409,
    "storage_unavailable": 503,
    "storage_error": 503,
}


class ErrorOut(Schema):
    error: str
    message: str


class RenditionOut(Schema):
    url: str | None
    width: int
    height: int
    mime: str


class AttachmentOut(Schema):
    id: str
    kind: str
    state: str
    mime: str
    width: int | None
    height: int | None
    duration: float | None
    blurhash: str
    alt_text: str
    renditions: dict[str, RenditionOut]
    error: str | None
    message: str | None


class AltTextIn(Schema):
    alt_text: str


def _error(code: str) -> tuple[int, dict[str, str]]:
    return STATUS.get(code, 400), {"error": code, "message": error_message(code)}


ERRORS: dict[int | str, Any] = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut,
                                415: ErrorOut, 429: ErrorOut, 503: ErrorOut}  # fmt: skip


@router.post("/", response={202: AttachmentOut, **ERRORS}, summary="Upload a photo or video")
def upload(
    request: HttpRequest,
    file: Annotated[UploadedFile | None, params.File()] = None,
    alt_text: Form[str] = "",
) -> Any:
    if file is None:
        return _error("no_file")
    try:
        attachment = services.attachment_upload(owner=request.user, file=file, alt_text=alt_text)
    except MediaError as exc:
        return _error(exc.code)
    return 202, attachment_payload(attachment)


@router.get("/{attachment_id}", response={200: AttachmentOut, **ERRORS})
def detail(request: HttpRequest, attachment_id: str) -> Any:
    attachment = queries.attachment_for_owner(owner=request.user, attachment_id=attachment_id)
    if attachment is None:
        return _error("not_found")
    return 200, attachment_payload(attachment)


@router.patch("/{attachment_id}", response={200: AttachmentOut, **ERRORS})
def describe(request: HttpRequest, attachment_id: str, data: AltTextIn) -> Any:
    attachment = queries.attachment_for_owner(owner=request.user, attachment_id=attachment_id)
    if attachment is None:
        return _error("not_found")
    try:
        services.attachment_set_alt_text(attachment=attachment, alt_text=data.alt_text)
    except MediaError as exc:
        return _error(exc.code)
    return 200, attachment_payload(attachment)


@router.delete("/{attachment_id}", response={204: None, **ERRORS})
def delete(request: HttpRequest, attachment_id: str) -> Any:
    attachment = queries.attachment_for_owner(owner=request.user, attachment_id=attachment_id)
    if attachment is None:
        return _error("not_found")
    if queries.attachment_is_attached(attachment):
        # Removing media from a published note goes through editing the note.
        return _error("attached_to_note")
    services.attachment_delete(attachment=attachment)
    return 204, None
