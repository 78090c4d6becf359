"""Accounts: who you are, who others are, and how you relate to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from bridgenote.accounts.models import Profile, User
from bridgenote.accounts.services import profile_create, profile_update
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
from bridgenote.engage import services as engage
from bridgenote.engage.errors import EngageError
from bridgenote.engage.models import Block, Follow, Mute


def _me(request: HttpRequest) -> User:
    grant = grant_of(request)
    assert grant is not None and grant.user is not None
    return grant.user


def _viewer(request: HttpRequest) -> User | None:
    grant = grant_of(request)
    return grant.user if grant else None


def visible_account(request: HttpRequest, account_id: str) -> User:
    """An active account the viewer may see: not one that blocks the viewer."""
    user = (
        User.objects.select_related("profile")
        .filter(pk=parse_id(account_id), is_active=True)
        .first()
    )
    viewer = _viewer(request)
    if user is None or (viewer and Block.objects.filter(blocker=user, blocked=viewer).exists()):
        raise ApiError(404, "Record not found")
    return user


def verify_credentials(request: HttpRequest) -> HttpResponse:
    return respond(account(_me(request), with_source=True))


def update_credentials(request: HttpRequest) -> HttpResponse:
    params = Params(request)
    me = _me(request)
    profile = Profile.objects.filter(user=me).first() or profile_create(user=me, ip="")
    display_name = params.get("display_name")
    note = params.get("note")
    try:
        with transaction.atomic():
            profile_update(
                user=me,
                display_name=profile.display_name
                if display_name is None
                else params.text("display_name", max_length=40),
                bio=profile.bio if note is None else params.text("note", max_length=500),
                languages_spoken=profile.languages_spoken,
                languages_learning=profile.languages_learning,
            )
    except ValidationError as refused:  # a moderation rule refuses the new bio
        raise ApiError(422, f"Validation failed: {' '.join(refused.messages)}") from None
    me.refresh_from_db()
    return respond(account(me, with_source=True))


def account_get(request: HttpRequest, account_id: str) -> HttpResponse:
    return respond(account(visible_account(request, account_id)))


def lookup(request: HttpRequest) -> HttpResponse:
    acct = Params(request).text("acct", max_length=200).strip().lstrip("@")
    handle = acct.split("@", 1)[0]
    user = (
        User.objects.select_related("profile").filter(handle__iexact=handle, is_active=True).first()
    )
    if user is None or not handle:
        raise ApiError(404, "Record not found")
    return account_get(request, str(user.id))


def relationships_of(me: User, ids: list[int]) -> list[dict[str, Any]]:
    """Mastodon Relationship entities between ``me`` and each existing account of ``ids``,
    in the order asked."""
    others = set(User.objects.filter(pk__in=ids).values_list("id", flat=True))
    following = set(
        Follow.objects.filter(follower=me, followee__in=others).values_list("followee", flat=True)
    )
    followed_by = set(
        Follow.objects.filter(followee=me, follower__in=others).values_list("follower", flat=True)
    )
    blocking = set(
        Block.objects.filter(blocker=me, blocked__in=others).values_list("blocked", flat=True)
    )
    blocked_by = set(
        Block.objects.filter(blocked=me, blocker__in=others).values_list("blocker", flat=True)
    )
    muting = set(Mute.objects.filter(muter=me, muted__in=others).values_list("muted", flat=True))
    return [
        {
            "id": str(other),
            "following": other in following,
            "showing_reblogs": other in following,
            "notifying": False,
            "languages": None,
            "followed_by": other in followed_by,
            "blocking": other in blocking,
            "blocked_by": other in blocked_by,
            "muting": other in muting,
            "muting_notifications": other in muting,
            "requested": False,
            "requested_by": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }
        for other in dict.fromkeys(ids)
        if other in others
    ]


def relationships(request: HttpRequest) -> HttpResponse:
    params = Params(request)
    ids = [int(i) for i in params.list("id", max_items=80) if i.isdigit() and len(i) <= 19]
    return respond(relationships_of(_me(request), ids))


# --- follow, block, mute ----------------------------------------------------------------------


def _target(request: HttpRequest, account_id: str) -> User:
    """The active account an action is aimed at. Unlike reading a profile, an account that
    blocks you is found here: following it is refused with 403 (as Mastodon does), while
    blocking, muting and undoing them still work."""
    user = User.objects.filter(pk=parse_id(account_id), is_active=True).first()
    if user is None:
        raise ApiError(404, "Record not found")
    return user


def _relate(
    request: HttpRequest, account_id: str, action: Callable[[User, User], object]
) -> HttpResponse:
    me = _me(request)
    other = _target(request, account_id)
    try:
        action(me, other)
    except EngageError as exc:
        # Following or blocking yourself, or following across a block: the action is not
        # allowed (403, as Mastodon answers), with the engage app's message.
        status = exc.status if exc.status in {404, 429} else 403
        raise ApiError(status, str(exc.message)) from None
    return respond(relationships_of(me, [other.pk])[0])


def follow(request: HttpRequest, account_id: str) -> HttpResponse:
    """``POST /accounts/:id/follow``; ``reblogs``, ``notify`` and ``languages`` have no
    equivalent (Bridgenote has no boosts or per-follow notifications) and are ignored."""
    return _relate(
        request, account_id, lambda me, other: engage.follow_create(follower=me, followee=other)
    )


def unfollow(request: HttpRequest, account_id: str) -> HttpResponse:
    return _relate(
        request, account_id, lambda me, other: engage.follow_delete(follower=me, followee=other)
    )


def block(request: HttpRequest, account_id: str) -> HttpResponse:
    return _relate(
        request, account_id, lambda me, other: engage.block_create(blocker=me, blocked=other)
    )


def unblock(request: HttpRequest, account_id: str) -> HttpResponse:
    return _relate(
        request, account_id, lambda me, other: engage.block_delete(blocker=me, blocked=other)
    )


def mute(request: HttpRequest, account_id: str) -> HttpResponse:
    return _relate(request, account_id, lambda me, other: engage.mute_create(muter=me, muted=other))


def unmute(request: HttpRequest, account_id: str) -> HttpResponse:
    return _relate(request, account_id, lambda me, other: engage.mute_delete(muter=me, muted=other))


def _people_page(
    request: HttpRequest, rows: QuerySet[Any], person: str, *, default_limit: int = 40
) -> HttpResponse:
    """A page of accounts from rows (follows, blocks, mutes) paginated by row ID, newest first,
    with a Link header carrying those IDs (as Mastodon's do)."""
    bounds = page_bounds(Params(request), default_limit=default_limit, max_limit=80)
    if bounds["max_id"] is not None:
        rows = rows.filter(id__lt=bounds["max_id"])
    lower = bounds["min_id"] if bounds["min_id"] is not None else bounds["since_id"]
    if lower is not None:
        rows = rows.filter(id__gt=lower)
    order = "id" if bounds["min_id"] is not None else "-id"
    page = list(
        rows.filter(**{f"{person}__is_active": True})
        .select_related(f"{person}__profile")
        .order_by(order)[: bounds["limit"]]
    )
    page.sort(key=lambda row: -row.id)
    return respond(
        [account(getattr(row, person)) for row in page],
        headers=link_header(request, [row.id for row in page]),
    )


def blocks(request: HttpRequest) -> HttpResponse:
    return _people_page(request, Block.objects.filter(blocker=_me(request)), "blocked")


def mutes(request: HttpRequest) -> HttpResponse:
    return _people_page(request, Mute.objects.filter(muter=_me(request)), "muted")


def _follow_page(request: HttpRequest, account_id: str, *, followers: bool) -> HttpResponse:
    user = visible_account(request, account_id)
    follows = Follow.objects.filter(**({"followee": user} if followers else {"follower": user}))
    return _people_page(request, follows, "follower" if followers else "followee")


def followers(request: HttpRequest, account_id: str) -> HttpResponse:
    return _follow_page(request, account_id, followers=True)


def following(request: HttpRequest, account_id: str) -> HttpResponse:
    return _follow_page(request, account_id, followers=False)


def search(request: HttpRequest) -> HttpResponse:
    """Accounts whose handle or display name starts with the query (the full search engine
    serves ``/api/v2/search``)."""
    params = Params(request)
    query = params.text("q", max_length=200).strip().lstrip("@")
    limit = params.integer("limit", 40, minimum=1, maximum=80)
    if not query:
        return respond([])
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(handle__istartswith=query) | Q(profile__display_name__istartswith=query))
        .select_related("profile")
        .order_by("-profile__follower_count", "id")[:limit]
    )
    return respond([account(u) for u in users])


def preferences(request: HttpRequest) -> HttpResponse:
    profile = Profile.objects.filter(user=_me(request)).first()
    return respond(
        {
            "posting:default:visibility": "public",
            "posting:default:sensitive": False,
            "posting:default:language": (profile.languages_spoken or [None])[0]
            if profile
            else None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


def empty_list(request: HttpRequest) -> HttpResponse:
    return respond([])
