"""Trends: the feeds app's trending topics and the Discover pool's most engaging notes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from bridgenote.api.mastodon.http import Params, respond
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.statuses_json import statuses
from bridgenote.api.mastodon.tags import tag_entities
from bridgenote.feeds.queries import trending_topics
from bridgenote.feeds.ranking import candidate_pool
from bridgenote.feeds.visibility import hidden_author_ids
from bridgenote.notes.models import Note, Topic

TRENDING_TOPICS_MAX = 30  # what the feeds app keeps ranked


def _offset_link(request: HttpRequest, offset: int, limit: int, more: bool) -> dict[str, str]:
    """Trends are ranked lists, paginated by ``offset`` as Mastodon does."""
    base = request.build_absolute_uri(request.path)
    keep = [(k, v) for k, values in request.GET.lists() if k != "offset" for v in values]
    links = []
    if more:
        links.append(f'<{base}?{urlencode([*keep, ("offset", offset + limit)])}>; rel="next"')
    if offset > 0:
        links.append(
            f'<{base}?{urlencode([*keep, ("offset", max(0, offset - limit))])}>; rel="prev"'
        )
    return {"Link": ", ".join(links)} if links else {}


def trends_tags(request: HttpRequest) -> HttpResponse:
    """Topics with the most discoverable notes in the feeds app's trending window, as Tag
    entities with a week of daily history. ``limit`` (10, at most 20), ``offset``."""
    params = Params(request)
    limit = params.integer("limit", 10, minimum=1, maximum=20)
    offset = params.integer("offset", 0, minimum=0, maximum=TRENDING_TOPICS_MAX)
    ranked = trending_topics(TRENDING_TOPICS_MAX)
    window = ranked[offset : offset + limit]
    by_id = Topic.objects.in_bulk([int(t["id"]) for t in window])
    topics = [by_id[int(t["id"])] for t in window if int(t["id"]) in by_id]
    return respond(
        tag_entities(topics),
        headers=_offset_link(request, offset, limit, len(ranked) > offset + limit),
    )


def trends_statuses(request: HttpRequest) -> HttpResponse:
    """The notes of the Discover candidate pool, by its global score (engagement with
    freshness decay), that the viewer may see; not personalised. ``limit`` (20, at most 40),
    ``offset``."""
    params = Params(request)
    limit = params.integer("limit", 20, minimum=1, maximum=40)
    offset = params.integer("offset", 0, minimum=0, maximum=10_000)
    grant = grant_of(request)
    viewer = grant.user if grant else None
    hidden = hidden_author_ids(viewer) if viewer is not None else set()
    ranked = [c.note_id for c in candidate_pool() if c.author_id not in hidden]
    # Read a little more than the page: a pooled note may have been deleted or hidden since.
    window = ranked[offset : offset + limit * 2]
    visible = (
        Note.objects.visible_to(viewer)
        .discoverable()
        .filter(pk__in=window)
        .select_related("author__profile")
    )
    by_id = {n.pk: n for n in visible}
    page = [by_id[i] for i in window if i in by_id][:limit]
    return respond(
        statuses(page, viewer),
        headers=_offset_link(request, offset, limit, len(ranked) > offset + limit),
    )


def trends_links(request: HttpRequest) -> HttpResponse:
    """Bridgenote notes carry no link previews, so there are no trending links."""
    return respond([])
