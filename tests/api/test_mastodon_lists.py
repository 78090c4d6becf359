"""Every list route of the route table pages with a ``Link`` header, and following its
``next`` link gives the next items; routes that answer a list without pages are named."""

import re

import pytest

from bridgenote.api.mastodon.urls import ROUTES
from bridgenote.engage.models import Block, Mute
from bridgenote.engage.services import (
    board_default,
    collect_create,
    follow_create,
    like_create,
)
from bridgenote.feeds.services import discover_refresh
from tests.api.test_mastodon_social import note_of
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db

PAGINATED = {
    "api/v1/accounts/<str:account_id>/followers",
    "api/v1/accounts/<str:account_id>/following",
    "api/v1/accounts/<str:account_id>/statuses",
    "api/v1/blocks",
    "api/v1/mutes",
    "api/v1/statuses/<str:status_id>/favourited_by",
    "api/v1/timelines/home",
    "api/v1/timelines/public",
    "api/v1/timelines/tag/<str:hashtag>",
    "api/v1/favourites",
    "api/v1/bookmarks",
    "api/v1/notifications",
    "api/v1/trends",
    "api/v1/trends/tags",
    "api/v1/trends/statuses",
}
# Lists that are whole by nature: the IDs asked for, or always empty on Bridgenote.
WHOLE = {
    "api/v1/accounts/relationships",
    "api/v1/accounts/search",  # limit only, as in Mastodon
    "api/v1/statuses",  # ?id[]=
    "api/v1/custom_emojis",
    "api/v1/instance/rules",
    "api/v1/filters",
    "api/v2/filters",
    "api/v1/follow_requests",
    "api/v1/lists",
    "api/v1/followed_tags",
    "api/v1/announcements",
    "api/v1/trends/links",
}


@pytest.fixture
def world(bearer, django_capture_on_commit_callbacks):
    """At least two items in every list, as seen by ava (with the after-commit jobs run, as
    the Following feed is filled by them)."""
    with django_capture_on_commit_callbacks(execute=True):
        return _world(bearer)


def _world(bearer):
    me, li = ava(), liwei()
    fans = [UserFactory() for _ in range(2)]
    mine = [note_of(me, title=f"Walk {i}", body="#walk #stroll") for i in range(2)]
    theirs = [note_of(li, title=f"Tea {i}") for i in range(2)]
    follow_create(follower=me, followee=li)
    follow_create(follower=me, followee=fans[0])
    for fan in fans:
        follow_create(follower=fan, followee=me)
        like_create(user=fan, note=mine[0])
    for note in theirs:
        like_create(user=me, note=note)
        collect_create(user=me, note=note, board=board_default(user=me))
    for _ in range(2):
        Block.objects.create(blocker=me, blocked=UserFactory())
        Mute.objects.create(muter=me, muted=UserFactory())
    discover_refresh()
    return {
        "account_id": str(me.pk),
        "status_id": str(mine[0].pk),
        "hashtag": "walk",
        "headers": bearer(me),
    }


def _url(route_path: str, world: dict) -> str:
    return "/" + re.sub(r"<str:([a-z_]+)>", lambda m: world[m.group(1)], route_path)


def test_every_get_route_answering_a_list_is_classified(client, world):
    for route in ROUTES:
        if route.method != "GET" or "media_id" in route.path or "notification_id" in route.path:
            continue  # single objects
        body = client.get(_url(route.path, world), **world["headers"]).json()
        if isinstance(body, list):
            assert route.path in PAGINATED | WHOLE, f"{route.path}: paginated or whole?"


@pytest.mark.parametrize("path", sorted(PAGINATED))
def test_every_list_pages_with_a_link_header(client, world, path):
    first = client.get(_url(path, world), {"limit": 1}, **world["headers"])
    assert first.status_code == 200
    assert len(first.json()) == 1, first.json()
    next_url = re.search(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    second = client.get(next_url.split("testserver", 1)[1], **world["headers"])
    assert len(second.json()) == 1
    key = "id" if "id" in first.json()[0] else "name"
    assert second.json()[0][key] != first.json()[0][key]
