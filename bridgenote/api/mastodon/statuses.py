"""Statuses, media and timelines: thin views over the notes, media, engage and feeds apps."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.http import (
    ApiError,
    Params,
    link_header,
    page_bounds,
    parse_id,
    respond,
)
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.serializers import account
from bridgenote.api.mastodon.statuses_json import (
    card_statuses,
    comment_status,
    home_cards,
    media_attachment,
    note_status,
    statuses,
)
from bridgenote.engage import queries as engage_queries
from bridgenote.engage import services as engage
from bridgenote.engage.errors import EngageError
from bridgenote.engage.models import Collect, Comment, Like
from bridgenote.feeds import queries as feeds_queries
from bridgenote.feeds.visibility import hidden_author_ids, in_following_feed
from bridgenote.media.errors import MediaError
from bridgenote.media.models import Attachment
from bridgenote.media.queries import attachment_for_owner
from bridgenote.media.services import attachment_set_alt_text, attachment_upload
from bridgenote.notes import queries as notes_queries
from bridgenote.notes.models import Note
from bridgenote.notes.services import (
    NoteError,
    clean_text,
    note_create,
    note_delete,
    note_update,
)

IDEMPOTENCY_SECONDS = 3600
FROM_MASTODON_VISIBILITY = {
    "public": Note.Visibility.PUBLIC,
    "unlisted": Note.Visibility.PUBLIC,
    "private": Note.Visibility.FOLLOWERS,
    "direct": Note.Visibility.PRIVATE,
}


def _me(request: HttpRequest) -> User:
    grant = grant_of(request)
    assert grant is not None and grant.user is not None
    return grant.user


def _viewer(request: HttpRequest) -> User | None:
    grant = grant_of(request)
    return grant.user if grant else None


def _client_ip(request: HttpRequest) -> str:
    return getattr(request, "client_ip", "") or ""


def _engage_error(exc: EngageError) -> ApiError:
    status = 404 if exc.status == 404 else 422 if exc.status in {400, 403} else exc.status
    return ApiError(status, "Record not found" if status == 404 else str(exc.message))


def _note_error(exc: NoteError) -> ApiError:
    if exc.code_ == "rate_limited":
        return ApiError(429, exc.first_message())
    return ApiError(422, f"Validation failed: {exc.first_message()}")


def _media_error(exc: MediaError) -> ApiError:
    if exc.code == "rate_limited":
        return ApiError(429, exc.message)
    if exc.code in {"storage_unavailable", "storage_error"}:
        return ApiError(503, exc.message)
    return ApiError(422, f"Validation failed: {exc.message}")


# --- lookups ----------------------------------------------------------------------------------


def _note_or_comment(request: HttpRequest, status_id: str) -> Note | Comment:
    """The note or comment with this ID that the viewer may see; 404 otherwise."""
    key = parse_id(status_id)
    viewer = _viewer(request)
    note = Note.objects.visible_to(viewer).select_related("author__profile").filter(pk=key).first()
    if note is not None:
        return note
    try:
        comment = engage_queries.comment_for(viewer, key)
    except EngageError:
        raise ApiError(404, "Record not found") from None
    if comment.is_deleted:
        raise ApiError(404, "Record not found")
    return comment


def _one(item: Note | Comment, viewer: User | None) -> dict[str, Any]:
    return statuses([item], viewer)[0]


# --- media ------------------------------------------------------------------------------------


def media_create(request: HttpRequest) -> HttpResponse:
    params = Params(request)
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(422, "Validation failed: File can't be blank")
    description = params.text("description", max_length=1500)
    try:
        with transaction.atomic():
            attachment = attachment_upload(owner=_me(request), file=upload, alt_text=description)
    except MediaError as exc:
        raise _media_error(exc) from None
    attachment.refresh_from_db()
    ready = attachment.state == Attachment.State.READY
    return respond(media_attachment(attachment), status=200 if ready else 202)


def _own_media(request: HttpRequest, media_id: str) -> Attachment:
    attachment = attachment_for_owner(owner=_me(request), attachment_id=parse_id(media_id))
    if attachment is None:
        raise ApiError(404, "Record not found")
    return attachment


def media_get(request: HttpRequest, media_id: str) -> HttpResponse:
    attachment = _own_media(request, media_id)
    if attachment.state == Attachment.State.FAILED:
        raise ApiError(422, "Validation failed: the file could not be processed")
    ready = attachment.state == Attachment.State.READY
    return respond(media_attachment(attachment), status=200 if ready else 206)


def media_update(request: HttpRequest, media_id: str) -> HttpResponse:
    attachment = _own_media(request, media_id)
    params = Params(request)
    if params.get("description") is not None:
        try:
            attachment = attachment_set_alt_text(
                attachment=attachment, alt_text=params.text("description", max_length=1500)
            )
        except MediaError as exc:
            raise _media_error(exc) from None
    return respond(media_attachment(attachment))


# --- statuses ---------------------------------------------------------------------------------


def split_status(text: str) -> tuple[str, str]:
    """A status's text as a note's title and body: the first line is the title when it fits
    the title limit (and there is more than it), otherwise everything is the body."""
    text = clean_text(text)
    first, _sep, rest = text.partition("\n")
    first = first.strip()
    if first and len(first) <= settings.NOTE_TITLE_MAX:
        return first, rest.strip()
    return "", text


def _media_ids(params: Params, user: User) -> list[int]:
    raw = params.list("media_ids", max_items=settings.NOTE_IMAGES_MAX + 1)
    ids = []
    for value in raw:
        if not value.isdigit() or len(value) > 19:
            raise ApiError(422, "Validation failed: media_ids is invalid")
        ids.append(int(value))
    if not ids:
        return []
    return _media_ids_checked(user, ids)


def _media_ids_checked(user: User, ids: list[int]) -> list[int]:
    """``ids`` when each is the user's own, unused, not failed attachment; 422 otherwise."""
    mine = Attachment.objects.filter(owner=user, id__in=ids)
    found = {a.id: a for a in mine}
    if len(found) != len(set(ids)):
        raise ApiError(422, "Validation failed: media_ids contains an unknown or foreign ID")
    if any(a.notes.exists() for a in found.values()):
        raise ApiError(422, "Validation failed: a media attachment is already used")
    if any(a.state == Attachment.State.FAILED for a in found.values()):
        raise ApiError(422, "Validation failed: a media attachment could not be processed")
    return ids


def _create(request: HttpRequest, me: User, params: Params) -> Note | Comment:
    # Refused rather than ignored: publishing at once, or without the poll, is not what the
    # user asked for.
    if params.get("scheduled_at"):
        raise ApiError(422, "Validation failed: scheduled statuses are not supported")
    if params.get("poll") is not None or params.list("poll[options]"):
        raise ApiError(422, "Validation failed: polls are not supported")
    text = params.text("status", max_length=50_000)
    spoiler = params.text("spoiler_text", max_length=500).strip()
    if spoiler:
        text = f"{spoiler}\n{text}"
    media_ids = _media_ids(params, me)
    visibility = params.text("visibility", "public", max_length=20) or "public"
    if visibility not in FROM_MASTODON_VISIBILITY:
        raise ApiError(422, "Validation failed: visibility is not valid")
    language = params.text("language", max_length=8).strip()
    reply_to = params.id("in_reply_to_id")
    if reply_to is not None:
        if media_ids:
            raise ApiError(422, "Validation failed: replies cannot have media attachments")
        target = _note_or_comment(request, str(reply_to))
        try:
            if isinstance(target, Note):
                return engage.comment_create(
                    author=me, note=target, body=text, ip=_client_ip(request)
                )
            return engage.comment_reply(
                author=me, reply_to=target, body=text, ip=_client_ip(request)
            )
        except EngageError as exc:
            raise _engage_error(exc) from None
    if not text.strip() and not media_ids:
        raise ApiError(422, "Validation failed: Text can't be blank")
    title, body = split_status(text)
    try:
        return note_create(
            author=me,
            title=title,
            body=body,
            attachment_ids=media_ids,
            visibility=FROM_MASTODON_VISIBILITY[visibility],
            language=language,
            ip=_client_ip(request),
        )
    except NoteError as exc:
        raise _note_error(exc) from None


def status_create(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    params = Params(request)
    key = (request.headers.get("Idempotency-Key") or "")[:200]
    cache_key = ""
    if key:
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache_key = f"mastodon:idempotency:{me.pk}:{digest}"
        earlier = cache.get(cache_key)
        if earlier is not None:
            return status_get(request, str(earlier))
    item = _create(request, me, params)
    if cache_key:
        cache.set(cache_key, item.pk, IDEMPOTENCY_SECONDS)
    item = type(item).objects.get(pk=item.pk)
    return respond(_one(item, me))


def status_get(request: HttpRequest, status_id: str) -> HttpResponse:
    return respond(_one(_note_or_comment(request, status_id), _viewer(request)))


def statuses_many(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/statuses?id[]=...``: the ones the viewer may see, in the order asked."""
    found = []
    for raw in Params(request).list("id", max_items=40):
        try:
            found.append(_note_or_comment(request, raw))
        except ApiError:
            continue
    return respond(statuses(found, _viewer(request)))


def _own_note(request: HttpRequest, status_id: str) -> Note:
    item = _note_or_comment(request, status_id)
    if isinstance(item, Comment):
        if item.author_id == _me(request).pk:
            raise ApiError(422, "Validation failed: comments cannot be edited")
        raise ApiError(404, "Record not found")
    if item.author_id != _me(request).pk:
        raise ApiError(404, "Record not found")
    return item


def status_source(request: HttpRequest, status_id: str) -> HttpResponse:
    note = _own_note(request, status_id)
    text = "\n".join(t for t in (note.title, note.body) if t)
    return respond({"id": str(note.pk), "text": text, "spoiler_text": ""})


def status_update(request: HttpRequest, status_id: str) -> HttpResponse:
    """Edit a note: the text is split into title and body as when posting; ``media_ids[]``
    (when given) is the new list of attachments, kept ones included."""
    me = _me(request)
    note = _own_note(request, status_id)
    params = Params(request)
    title: str | None = None
    body: str | None = None
    if params.get("status") is not None:
        text = params.text("status", max_length=50_000)
        spoiler = params.text("spoiler_text", max_length=500).strip()
        if spoiler:
            text = f"{spoiler}\n{text}"
        title, body = split_status(text)
    attachment_ids: list[int] | None = None
    if params.list("media_ids", max_items=settings.NOTE_IMAGES_MAX + 1):
        kept = set(note.attachments.values_list("id", flat=True))
        attachment_ids = []
        for raw in params.list("media_ids", max_items=settings.NOTE_IMAGES_MAX + 1):
            if not raw.isdigit() or len(raw) > 19:
                raise ApiError(422, "Validation failed: media_ids is invalid")
            attachment_ids.append(int(raw))
        new = [i for i in attachment_ids if i not in kept]
        if new:
            _media_ids_checked(me, new)
    language = params.get("language")
    try:
        note = note_update(
            note=note,
            title=title,
            body=body,
            attachment_ids=attachment_ids,
            language=None if language is None else params.text("language", max_length=8),
            ip=_client_ip(request),
        )
    except NoteError as exc:
        raise _note_error(exc) from None
    fresh = Note.objects.select_related("author__profile").get(pk=note.pk)
    return respond(_one(fresh, me))


def status_delete(request: HttpRequest, status_id: str) -> HttpResponse:
    me = _me(request)
    item = _note_or_comment(request, status_id)
    data = _one(item, me)
    if isinstance(item, Note):
        if item.author_id != me.pk:
            raise ApiError(404, "Record not found")
        data["text"] = "\n".join(t for t in (item.title, item.body) if t)
        note_delete(note=item)
    else:
        if me.pk not in {item.author_id, item.note.author_id}:
            raise ApiError(404, "Record not found")
        data["text"] = item.body
        engage.comment_delete(user=me, comment=item)
    return respond(data)


def _live_comments(viewer: User | None) -> QuerySet[Comment]:
    comments = Comment.objects.filter(is_deleted=False).select_related(
        "author__profile", "note__author"
    )
    hidden = hidden_author_ids(viewer) if viewer is not None else set()
    return comments.exclude(author_id__in=hidden) if hidden else comments


def status_context(request: HttpRequest, status_id: str) -> HttpResponse:
    viewer = _viewer(request)
    item = _note_or_comment(request, status_id)
    ancestors: list[Note | Comment] = []
    if isinstance(item, Note):
        descendants: list[Note | Comment] = list(
            _live_comments(viewer).filter(note=item).order_by("id")[:500]
        )
    else:
        ancestors.append(item.note)
        if item.reply_to_id and (
            parent := _live_comments(viewer).filter(pk=item.reply_to_id).first()
        ):
            if parent.root_id and parent.root_id != parent.pk:
                root = _live_comments(viewer).filter(pk=parent.root_id).first()
                if root is not None:
                    ancestors.append(root)
            ancestors.append(parent)
        descendants = list(
            _live_comments(viewer).filter(reply_to_id=item.pk).order_by("id")[:500]
            if item.root_id
            else _live_comments(viewer).filter(root_id=item.pk).order_by("id")[:500]
        )
    return respond(
        {"ancestors": statuses(ancestors, viewer), "descendants": statuses(descendants, viewer)}
    )


def _act(request: HttpRequest, status_id: str, action: str) -> HttpResponse:
    me = _me(request)
    item = _note_or_comment(request, status_id)
    try:
        if isinstance(item, Note):
            if action == "favourite":
                engage.like_create(user=me, note=item)
            elif action == "unfavourite":
                engage.like_delete(user=me, note=item)
            elif action == "bookmark":
                engage.collect_create(user=me, note=item, board=engage.board_default(user=me))
            else:
                engage.collect_delete(user=me, note=item, board=engage.board_default(user=me))
        else:
            if action == "favourite":
                engage.comment_like_create(user=me, comment=item)
            elif action == "unfavourite":
                engage.comment_like_delete(user=me, comment=item)
            else:
                raise ApiError(422, "Validation failed: only notes can be bookmarked")
    except EngageError as exc:
        raise _engage_error(exc) from None
    fresh = type(item).objects.select_related("author__profile").get(pk=item.pk)
    return respond(_one(fresh, me))


def status_favourite(request: HttpRequest, status_id: str) -> HttpResponse:
    return _act(request, status_id, "favourite")


def status_unfavourite(request: HttpRequest, status_id: str) -> HttpResponse:
    return _act(request, status_id, "unfavourite")


def status_bookmark(request: HttpRequest, status_id: str) -> HttpResponse:
    return _act(request, status_id, "bookmark")


def status_unbookmark(request: HttpRequest, status_id: str) -> HttpResponse:
    return _act(request, status_id, "unbookmark")


def _page(rows: QuerySet[Any], bounds: dict[str, Any], key: str = "id") -> list[Any]:
    """One page of ``rows`` by ``key``, newest first, by Mastodon's max/since/min rules."""
    if bounds["max_id"] is not None:
        rows = rows.filter(**{f"{key}__lt": bounds["max_id"]})
    if bounds["since_id"] is not None:
        rows = rows.filter(**{f"{key}__gt": bounds["since_id"]})
    if bounds["min_id"] is not None:
        rows = rows.filter(**{f"{key}__gt": bounds["min_id"]})
        page = list(rows.order_by(key)[: bounds["limit"]])
        page.reverse()
        return page
    return list(rows.order_by(f"-{key}")[: bounds["limit"]])


def favourited_by(request: HttpRequest, status_id: str) -> HttpResponse:
    item = _note_or_comment(request, status_id)
    bounds = page_bounds(Params(request), default_limit=40, max_limit=80)
    if not isinstance(item, Note):
        return respond([])
    viewer = _viewer(request)
    likes = Like.objects.filter(note=item, user__is_active=True).select_related("user__profile")
    hidden = hidden_author_ids(viewer) if viewer is not None else set()
    if hidden:
        likes = likes.exclude(user_id__in=hidden)
    page = _page(likes, bounds)
    return respond(
        [account(like.user) for like in page],
        headers=link_header(request, [like.id for like in page]),
    )


# --- timelines --------------------------------------------------------------------------------


def _cards(notes: QuerySet[Note]) -> QuerySet[Note]:
    return notes.select_related("author__profile").prefetch_related("topics", "mentions")


def _timeline(request: HttpRequest, notes: list[Note]) -> HttpResponse:
    return respond(
        statuses(notes, _viewer(request)), headers=link_header(request, [n.pk for n in notes])
    )


def timeline_home(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    bounds = page_bounds(Params(request))
    if bounds["since_id"] is None and bounds["min_id"] is None:
        # The feeds' fast path: card rows, statuses from the per-note JSON cache.
        page = feeds_queries.following_page(
            me, cursor=bounds["max_id"], limit=bounds["limit"], fetch=home_cards
        )
        return respond(
            card_statuses(page.notes, me),
            headers=link_header(request, [n.pk for n in page.notes]),
        )
    followees = [me.pk, *me.following_set.values_list("followee_id", flat=True)]
    notes = in_following_feed(me).filter(author_id__in=followees)
    return _timeline(request, _page(_cards(notes), bounds))


def _discoverable(request: HttpRequest) -> QuerySet[Note]:
    notes = Note.objects.visible_to(_viewer(request)).discoverable()
    if Params(request).boolean("only_media"):
        notes = notes.filter(noteattachment__isnull=False).distinct()
    if Params(request).boolean("remote"):
        notes = notes.none()  # every note is local
    return _cards(notes)


def timeline_public(request: HttpRequest) -> HttpResponse:
    return _timeline(request, _page(_discoverable(request), page_bounds(Params(request))))


def timeline_tag(request: HttpRequest, hashtag: str) -> HttpResponse:
    topic = notes_queries.topic_by_name(hashtag)
    if topic is None:
        return respond([])
    notes = _discoverable(request).filter(notetopic__topic=topic)
    return _timeline(request, _page(notes, page_bounds(Params(request))))


def favourites(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    likes = Like.objects.filter(user=me, note__in=Note.objects.visible_to(me)).select_related(
        "note__author__profile"
    )
    page = _page(likes, page_bounds(Params(request)))
    return respond(
        statuses([like.note for like in page], me),
        headers=link_header(request, [like.id for like in page]),
    )


def bookmarks(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    collects = Collect.objects.filter(
        user=me, board=engage.board_default(user=me), note__in=Note.objects.visible_to(me)
    ).select_related("note__author__profile")
    page = _page(collects, page_bounds(Params(request)))
    return respond(
        statuses([c.note for c in page], me),
        headers=link_header(request, [c.id for c in page]),
    )


# Public name for the other modules of this API (translate).
note_or_comment = _note_or_comment

__all__ = ["comment_status", "note_or_comment", "note_status"]
