"""``GET /api/v2/search``: accounts, statuses and hashtags from the search app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from bridgenote.accounts.models import User
from bridgenote.api.mastodon.http import ApiError, Params, respond
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.serializers import account
from bridgenote.api.mastodon.statuses_json import statuses
from bridgenote.api.mastodon.tags import tag_entities
from bridgenote.engage.models import Follow
from bridgenote.notes.models import Note
from bridgenote.search import queries as search_queries
from bridgenote.search import services as search_services
from bridgenote.search.analysis import MAX_QUERY_CHARS
from bridgenote.search.limits import search_allowed

TYPES = ("accounts", "statuses", "hashtags")
# With ``account_id``, the matches are filtered after ranking: read at most this many pages.
AUTHOR_FILTER_PAGES = 5


def _notes(
    request: HttpRequest, raw: str, viewer: User | None, *, offset: int, limit: int, author: int
) -> list[Note]:
    """Matches ``offset`` to ``offset + limit`` of the search app's ranking (by relevance),
    read from its fixed-size pages."""
    size = settings.SEARCH_PAGE_SIZE
    page = offset // size + 1 if not author else 1
    last_page = settings.SEARCH_MAX_PAGES if not author else AUTHOR_FILTER_PAGES
    skip = offset - (page - 1) * size if not author else offset
    found: list[Note] = []
    while page <= last_page:
        wanted = search_queries.search_request(raw, page=page)
        results = search_queries.search_notes(wanted, viewer=viewer)
        if page == 1 and results.notes:
            search_services.search_record(user=viewer, query=wanted.query)
        found += [n for n in results.notes if not author or n.author_id == author]
        if len(found) >= skip + limit or not results.has_next:
            break
        page += 1
    return found[skip : skip + limit]


def search_v2(request: HttpRequest) -> HttpResponse:
    """``q``; ``type`` (accounts, statuses or hashtags; all three when absent); ``limit``
    (20, at most 40) and ``offset``; ``following`` (accounts you follow only);
    ``account_id`` (statuses by that account). ``resolve`` is ignored: Bridgenote does not
    federate, so there is nothing remote to look up."""
    params = Params(request)
    raw = params.text("q", max_length=MAX_QUERY_CHARS * 4).strip()
    kind = params.text("type", max_length=20)
    if kind and kind not in TYPES:
        raise ApiError(422, _("The search type must be accounts, statuses or hashtags."))
    limit = params.integer("limit", 20, minimum=1, maximum=40)
    offset = params.integer("offset", 0, minimum=0, maximum=10_000)
    author = params.id("account_id") or 0
    grant = grant_of(request)
    viewer = grant.user if grant else None
    result: dict[str, list[Any]] = {"accounts": [], "statuses": [], "hashtags": []}
    if not raw.lstrip("@#"):
        return respond(result)
    if viewer is not None:
        request.user = viewer  # the search app counts searches per user
    if not search_allowed(request):
        raise ApiError(429, _("You are searching too fast. Wait a minute and try again."))
    if kind in ("", "accounts") and not author:
        people = search_queries.search_people(raw, viewer=viewer, limit=offset + limit)
        if params.boolean("following") and viewer is not None:
            followed = set(
                Follow.objects.filter(follower=viewer, followee__in=people).values_list(
                    "followee_id", flat=True
                )
            )
            people = [p for p in people if p.pk in followed]
        result["accounts"] = [account(p) for p in people[offset : offset + limit]]
    if kind in ("", "hashtags") and not author:
        topics = search_queries.search_topics(raw.lstrip("#"), limit=offset + limit)
        result["hashtags"] = tag_entities(topics[offset : offset + limit])
    if kind in ("", "statuses"):
        notes = _notes(request, raw, viewer, offset=offset, limit=limit, author=author)
        result["statuses"] = statuses(notes, viewer)
    return respond(result)
