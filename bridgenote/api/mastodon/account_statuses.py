"""``GET /accounts/:id/statuses``: an account's notes, as a timeline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from bridgenote.api.mastodon.accounts import visible_account
from bridgenote.api.mastodon.http import Params, page_bounds, respond
from bridgenote.api.mastodon.statuses import _cards, _page, _timeline, _viewer
from bridgenote.notes import queries as notes_queries
from bridgenote.notes.models import Note


def account_statuses(request: HttpRequest, account_id: str) -> HttpResponse:
    """``GET /accounts/:id/statuses``: the account's published notes the viewer may open,
    newest first. Comments are not listed (as ``exclude_replies``); Bridgenote has no pins
    or boosts, so ``pinned=true`` is empty and ``exclude_reblogs`` changes nothing."""
    author = visible_account(request, account_id)
    params = Params(request)
    if params.boolean("pinned"):
        return respond([])
    notes = Note.objects.visible_to(_viewer(request)).published().filter(author=author)
    if params.boolean("only_media"):
        notes = notes.filter(noteattachment__isnull=False).distinct()
    tagged = params.text("tagged", max_length=100).strip().lstrip("#")
    if tagged:
        topic = notes_queries.topic_by_name(tagged)
        if topic is None:
            return respond([])
        notes = notes.filter(notetopic__topic=topic)
    return _timeline(request, _page(_cards(notes), page_bounds(params)))
