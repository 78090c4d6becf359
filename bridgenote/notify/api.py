"""Notifications API, mounted at /api/notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import django_auth

from bridgenote.accounts.models import User
from bridgenote.engage.errors import EngageError, Invalid
from bridgenote.engage.queries import parse_cursor
from bridgenote.notify import queries, services
from bridgenote.notify.models import Tab

router = Router(auth=django_auth, tags=["notifications"])


class ErrorOut(Schema):
    error: str
    message: str


class ActorOut(Schema):
    id: str
    handle: str
    display_name: str


class GroupOut(Schema):
    verb: str
    text: str  # the whole sentence in the request's language
    actors: list[ActorOut]
    actor_count: int
    note_id: str | None
    comment_id: str | None
    comment_body: str | None
    reason: str | None  # moderation notices: the decision's reason in the recipient's language
    appeal_url: str | None  # moderation notices for a limit or removal
    unread: bool
    created_at: datetime


class PageOut(Schema):
    tab: str
    items: list[GroupOut]
    next_cursor: str | None


class UnreadOut(Schema):
    total: int
    tabs: dict[str, int]


class ReadIn(Schema):
    tab: str | None = None


class ReadOut(Schema):
    marked: int


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _tab(raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw not in Tab.values:
        raise Invalid(
            "bad_tab", _("tab must be one of: %(tabs)s") % {"tabs": ", ".join(Tab.values)}
        )
    return raw


@router.get("/", response={200: PageOut, 400: ErrorOut})
def notifications(request: HttpRequest, tab: str = "likes", cursor: str | None = None) -> Any:
    """One page of a tab (likes, follows, comments), newest first, grouped."""
    try:
        page = queries.notification_page(
            user=_me(request), tab=_tab(tab) or "likes", cursor=parse_cursor(cursor)
        )
    except EngageError as error:
        return Status(error.status, {"error": error.code, "message": str(error.message)})
    return {
        "tab": tab,
        "items": [
            {
                "verb": g.verb,
                "text": g.sentence,
                "actors": [
                    {
                        "id": str(a.pk),
                        "handle": a.handle,
                        "display_name": getattr(getattr(a, "profile", None), "display_name", ""),
                    }
                    for a in g.actors
                ],
                "actor_count": g.actor_count,
                "note_id": str(g.note.pk) if g.note else None,
                "comment_id": str(g.comment.pk) if g.comment else None,
                "comment_body": g.comment.body if g.comment and not g.comment.is_deleted else None,
                "reason": g.reason or None if g.verb == "moderation" else None,
                "appeal_url": (g.appeal_url or None) if g.verb == "moderation" else None,
                "unread": g.unread,
                "created_at": g.created_at,
            }
            for g in page.groups
        ],
        "next_cursor": str(page.next_cursor) if page.next_cursor else None,
    }


@router.get("/unread", response=UnreadOut)
def unread(request: HttpRequest) -> Any:
    counts = queries.unread_by_tab(_me(request))
    return {"total": sum(counts.values()), "tabs": counts}


@router.post("/read", response={200: ReadOut, 400: ErrorOut})
def mark_read(request: HttpRequest, payload: ReadIn) -> Any:
    """Mark one tab (or everything) read."""
    try:
        tab = _tab(payload.tab)
    except EngageError as error:
        return Status(error.status, {"error": error.code, "message": str(error.message)})
    return {"marked": services.notifications_mark_read(user=_me(request), tab=tab)}
