"""Notifications in Mastodon's shape: likes are favourites, follows are follows, and comments,
replies and @mentions are mentions. Collects have no Mastodon counterpart and are left out."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.http import (
    ApiError,
    Params,
    isotime,
    link_header,
    page_bounds,
    parse_id,
    respond,
)
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.serializers import account
from bridgenote.api.mastodon.statuses_json import Viewpoint, comment_status, note_status
from bridgenote.feeds.visibility import hidden_author_ids
from bridgenote.notes.models import Note
from bridgenote.notify import services as notify_services
from bridgenote.notify.models import Notification, Verb

VERBS_OF_TYPE: dict[str, list[str]] = {
    "favourite": [Verb.LIKE.value, Verb.COMMENT_LIKE.value],
    "follow": [Verb.FOLLOW.value],
    "mention": [Verb.COMMENT.value, Verb.REPLY.value, Verb.MENTION.value],
}
TYPE_OF_VERB = {verb: kind for kind, verbs in VERBS_OF_TYPE.items() for verb in verbs}


def _me(request: HttpRequest) -> User:
    grant = grant_of(request)
    assert grant is not None and grant.user is not None
    return grant.user


def _rows(me: User) -> QuerySet[Notification]:
    """The notifications Mastodon can show, about things ``me`` may still see."""
    rows = Notification.objects.filter(recipient=me, verb__in=list(TYPE_OF_VERB)).filter(
        Q(note__isnull=True) | Q(note__in=Note.objects.visible_to(me)),
        Q(comment__isnull=True) | Q(comment__is_deleted=False),
        actor__is_active=True,
    )
    hidden = hidden_author_ids(me)
    if hidden:
        rows = rows.exclude(actor_id__in=hidden)
    return rows.select_related("actor__profile", "note__author__profile", "comment__note")


def _json(row: Notification, me: User, view: Viewpoint) -> dict[str, Any]:
    kind = TYPE_OF_VERB[row.verb]
    # _rows keeps only the verbs Mastodon has, which always have an actor (moderation
    # notices, which have none, are not shown to Mastodon clients).
    assert row.actor is not None
    status: dict[str, Any] | None = None
    if row.comment is not None:
        status = comment_status(row.comment, me, view)
    elif row.note is not None:
        status = note_status(row.note, me, view)
    data: dict[str, Any] = {
        "id": str(row.pk),
        "type": kind,
        "created_at": isotime(row.created_at),
        "group_key": f"ungrouped-{row.pk}",
        "account": account(row.actor),
    }
    if status is not None:
        data["status"] = status
    return data


def _serialize(rows: list[Notification], me: User) -> list[dict[str, Any]]:
    notes = [r.note for r in rows if r.note is not None and not r.comment_id]
    prefetch_related_objects(notes, "topics", "mentions")
    view = Viewpoint(
        me,
        [r.note_id for r in rows if r.note_id and not r.comment_id],
        [r.comment_id for r in rows if r.comment_id],
    )
    return [_json(r, me, view) for r in rows]


def notifications(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    params = Params(request)
    bounds = page_bounds(params, default_limit=40, max_limit=80)
    rows = _rows(me)
    wanted = params.list("types", max_items=20)
    if wanted:
        rows = rows.filter(verb__in=[v for t in wanted for v in VERBS_OF_TYPE.get(t, [])])
    excluded = params.list("exclude_types", max_items=20)
    if excluded:
        rows = rows.exclude(verb__in=[v for t in excluded for v in VERBS_OF_TYPE.get(t, [])])
    account_id = params.id("account_id")
    if account_id is not None:
        rows = rows.filter(actor_id=account_id)
    if bounds["max_id"] is not None:
        rows = rows.filter(pk__lt=bounds["max_id"])
    if bounds["since_id"] is not None:
        rows = rows.filter(pk__gt=bounds["since_id"])
    if bounds["min_id"] is not None:
        page = list(rows.filter(pk__gt=bounds["min_id"]).order_by("pk")[: bounds["limit"]])
        page.reverse()
    else:
        page = list(rows.order_by("-pk")[: bounds["limit"]])
    return respond(_serialize(page, me), headers=link_header(request, [r.pk for r in page]))


def _own(request: HttpRequest, notification_id: str) -> Notification:
    row = _rows(_me(request)).filter(pk=parse_id(notification_id)).first()
    if row is None:
        raise ApiError(404, "Record not found")
    return row


def notification_get(request: HttpRequest, notification_id: str) -> HttpResponse:
    return respond(_serialize([_own(request, notification_id)], _me(request))[0])


def notification_dismiss(request: HttpRequest, notification_id: str) -> HttpResponse:
    """Delete one of your notifications (only ever the recipient's own row)."""
    row = _own(request, notification_id)
    notify_services.notification_dismiss(user=_me(request), notification_id=row.pk)
    return respond({})


def notifications_clear(request: HttpRequest) -> HttpResponse:
    """Delete all of your notifications."""
    notify_services.notifications_clear(user=_me(request))
    return respond({})


def unread_count(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    limit = Params(request).integer("limit", 100, minimum=1, maximum=1000)
    count = _rows(me).filter(is_read=False)[:limit].count()
    return respond({"count": count})


__all__ = ["notifications"]
