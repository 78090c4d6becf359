"""Notes in the native JSON API, mounted at /api/notes. Same services and rules as the web."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import django_auth

from bridgenote.accounts.models import User
from bridgenote.media.models import Attachment
from bridgenote.notes import queries, services
from bridgenote.notes.models import Note
from bridgenote.notes.services import NoteError
from bridgenote.notes.templatetags.notes_tags import media_view

router = Router(tags=["notes"], auth=django_auth)


class ErrorOut(Schema):
    error: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class AuthorOut(Schema):
    id: str
    handle: str
    display_name: str


class AttachmentOut(Schema):
    id: str
    kind: str
    state: str
    width: int | None
    height: int | None
    blurhash: str
    alt_text: str
    url: str | None = Field(description="The large rendition (image) or the poster (video).")
    card_url: str | None
    video_url: str | None


class NoteOut(Schema):
    id: str
    url: str
    author: AuthorOut
    title: str
    body: str
    language: str
    language_is_set: bool
    alt_language: str = Field(description='Language of the second version ("" = none).')
    alt_title: str
    alt_body: str
    help_language: str = Field(description='Language the author asks help with ("" = none).')
    visibility: str
    status: str
    moderation: str
    media_ready: bool
    place_name: str
    is_original: bool
    ip_territory: str
    cover_id: str | None
    attachments: list[AttachmentOut]
    topics: list[str]
    mentions: list[str]
    like_count: int
    collect_count: int
    comment_count: int
    created_at: datetime
    published_at: datetime | None
    edited_at: datetime | None


class NotePage(Schema):
    items: list[NoteOut]
    next_cursor: str | None = Field(description="Pass as ?before= for the next page.")


class NoteIn(Schema):
    title: str = ""
    body: str = ""
    attachment_ids: list[int] = Field(
        default_factory=list, description="1-18 images or 1 video, in order."
    )
    cover_id: int | None = None
    visibility: str = Note.Visibility.PUBLIC
    place_name: str = ""
    is_original: bool = False
    language: str = Field("", description='"" detects it; else zh, en, ja, ko or mixed.')
    alt_language: str = Field(
        "", description="Language of the second version: zh, en, ja or ko, not the note's."
    )
    alt_title: str = Field("", description="Title of the second-language version.")
    alt_body: str = Field("", description="Text of the second-language version.")
    help_language: str = Field(
        "", description='"" or the language (zh, en, ja, ko) the author asks help with.'
    )
    publish: bool = Field(True, description="false saves a draft.")


class NotePatch(Schema):
    title: str | None = None
    body: str | None = None
    attachment_ids: list[int] | None = None
    cover_id: int | None = None
    visibility: str | None = None
    place_name: str | None = None
    is_original: bool | None = None
    language: str | None = None
    alt_language: str | None = None
    alt_title: str | None = None
    alt_body: str | None = None
    help_language: str | None = None
    publish: bool | None = Field(None, description="true publishes a draft.")


def _error(error: NoteError) -> dict[str, Any]:
    return {
        "error": error.code_,
        "message": error.first_message(),
        "fields": {name: list(messages) for name, messages in error.message_dict.items()},
    }


def _not_found() -> dict[str, Any]:
    return {"error": "not_found", "message": _("This note does not exist or is not visible.")}


def _attachment(attachment: Attachment) -> dict[str, Any]:
    view = media_view(attachment, "large")
    return {
        "id": str(attachment.id),
        "kind": attachment.kind,
        "state": attachment.state,
        "width": attachment.width,
        "height": attachment.height,
        "blurhash": attachment.blurhash,
        "alt_text": attachment.alt_text,
        "url": view["url"] or None,
        "card_url": attachment.rendition_url("card") or attachment.rendition_url("poster"),
        "video_url": attachment.rendition_url("video"),
    }


def _note(request: HttpRequest, note: Note) -> dict[str, Any]:
    profile = getattr(note.author, "profile", None)
    return {
        "id": str(note.id),
        "url": request.build_absolute_uri(f"/notes/{note.id}/"),
        "author": {
            "id": str(note.author_id),
            "handle": note.author.handle,
            "display_name": profile.display_name if profile else "",
        },
        "title": note.title,
        "body": note.body,
        "language": note.language,
        "language_is_set": note.language_is_set,
        "alt_language": note.alt_language,
        "alt_title": note.alt_title,
        "alt_body": note.alt_body,
        "help_language": note.help_language,
        "visibility": note.visibility,
        "status": note.status,
        "moderation": note.moderation,
        "media_ready": note.media_ready,
        "place_name": note.place_name,
        "is_original": note.is_original,
        "ip_territory": note.ip_territory,
        "cover_id": str(note.cover_id) if note.cover_id else None,
        "attachments": [_attachment(a) for a in queries.ordered_attachments(note)],
        "topics": [t.name for t in note.topics.all()],
        "mentions": [u.handle for u in note.mentions.all()],
        "like_count": note.like_count,
        "collect_count": note.collect_count,
        "comment_count": note.comment_count,
        "created_at": note.created_at,
        "published_at": note.published_at,
        "edited_at": note.edited_at,
    }


def _full(request: HttpRequest, note_id: int) -> Note | None:
    return queries.note_for_viewer(note_id=note_id, viewer=request.user)


def _page(request: HttpRequest, page: queries.Page) -> dict[str, Any]:
    ids = [n.id for n in page.notes]
    notes = queries.with_details(Note.objects.filter(id__in=ids)).order_by("-id")
    return {
        "items": [_note(request, n) for n in notes],
        "next_cursor": str(page.next_cursor) if page.next_cursor else None,
    }


def _ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or request.META.get("REMOTE_ADDR", ""))


@router.post(
    "/", response={201: NoteOut, 400: ErrorOut, 429: ErrorOut}, summary="Create a note or a draft"
)
def create_note(request: HttpRequest, payload: NoteIn) -> Status[dict[str, Any]]:
    values = payload.dict()
    publish = values.pop("publish")
    try:
        note = services.note_create(
            author=request.user,  # type: ignore[arg-type]
            publish=publish,
            ip=_ip(request),
            **values,
        )
    except NoteError as error:
        return Status(429 if error.code_ == "rate_limited" else 400, _error(error))
    return Status(201, _note(request, _full(request, note.id)))  # type: ignore[arg-type]


@router.get("/drafts", response={200: list[NoteOut]}, summary="My drafts")
def my_drafts(request: HttpRequest) -> list[dict[str, Any]]:
    drafts = Note.objects.drafts().filter(author_id=request.user.pk)
    return [_note(request, n) for n in queries.with_details(drafts).order_by("-id")]


@router.get(
    "/by/{handle}", response={200: NotePage, 404: ErrorOut}, auth=None, summary="A user's notes"
)
def author_notes(
    request: HttpRequest, handle: str, before: int | None = None
) -> Status[dict[str, Any]]:
    author = User.objects.filter(handle__iexact=handle, is_active=True).first()
    if author is None:
        return Status(404, {"error": "not_found", "message": _("There is no such user.")})
    page = queries.author_notes(author=author, viewer=request.user, before=before)
    return Status(200, _page(request, page))


@router.get(
    "/topics/{name}",
    response={200: NotePage, 404: ErrorOut},
    auth=None,
    summary="A topic's notes",
)
def topic_notes(
    request: HttpRequest, name: str, before: int | None = None
) -> Status[dict[str, Any]]:
    topic = queries.topic_by_name(name)
    if topic is None:
        return Status(404, {"error": "not_found", "message": _("There is no such topic.")})
    page = queries.topic_notes(topic=topic, viewer=request.user, before=before)
    return Status(200, _page(request, page))


@router.get("/{note_id}", response={200: NoteOut, 404: ErrorOut}, auth=None, summary="A note")
def read_note(request: HttpRequest, note_id: int) -> Status[dict[str, Any]]:
    note = _full(request, note_id)
    if note is None:
        return Status(404, _not_found())
    return Status(200, _note(request, note))


def _own(request: HttpRequest, note_id: int) -> Note | None:
    if not queries.valid_id(note_id):
        return None
    return Note.objects.filter(pk=note_id, author_id=request.user.pk).first()


@router.patch(
    "/{note_id}", response={200: NoteOut, 400: ErrorOut, 404: ErrorOut}, summary="Edit a note"
)
def update_note(request: HttpRequest, note_id: int, payload: NotePatch) -> Status[dict[str, Any]]:
    note = _own(request, note_id)
    if note is None:
        return Status(404, _not_found())
    changes = payload.dict(exclude_unset=True)
    try:
        services.note_update(note=note, ip=_ip(request), **changes)
    except NoteError as error:
        return Status(400, _error(error))
    return Status(200, _note(request, _full(request, note.id)))  # type: ignore[arg-type]


@router.delete("/{note_id}", response={204: None, 404: ErrorOut}, summary="Delete a note")
def delete_note(request: HttpRequest, note_id: int) -> Status[Any]:
    note = _own(request, note_id)
    if note is None:
        return Status(404, _not_found())
    services.note_delete(note=note)
    return Status(204, None)
