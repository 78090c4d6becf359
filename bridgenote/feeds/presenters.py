"""Turning feed pages into what templates and the API show: the translated "why" line."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bridgenote.feeds import localcache, ranking
from bridgenote.feeds.cards import Card
from bridgenote.feeds.queries import FeedPage
from bridgenote.notes.models import Note, Topic

COMMUNITY_NAMES = {"zh": "zh", "en": "en"}


def why_lines(page: FeedPage) -> dict[int, str]:
    """The "why am I seeing this" line of each note of a Discover page, in the active language."""
    topic_ids = {int(arg) for code, arg in page.reasons.values()
                 if code in (ranking.WHY_TOPIC, ranking.WHY_POPULAR_TOPIC) and arg}  # fmt: skip
    names = topic_names(topic_ids)
    lines = {}
    for note in page.notes:
        code, arg = page.reasons.get(note.pk, (ranking.WHY_POPULAR, ""))
        lines[note.pk] = why_line(note, code, arg, names)
    return lines


_TOPIC_NAMES: dict[int, str] = {}
localcache.on_clear(_TOPIC_NAMES.clear)


def topic_names(topic_ids: set[int]) -> dict[int, str]:
    """Names of topics, remembered by the process (a topic's name never changes; there are a
    few thousand)."""
    missing = topic_ids - _TOPIC_NAMES.keys()
    if missing:
        found = dict(Topic.objects.filter(pk__in=missing).values_list("id", "name"))
        if len(_TOPIC_NAMES) > 50_000:
            _TOPIC_NAMES.clear()
        _TOPIC_NAMES.update(found)
    return {t: _TOPIC_NAMES[t] for t in topic_ids if t in _TOPIC_NAMES}


def why_line(note: Note | Card, code: str, arg: str, topic_names: dict[int, str]) -> str:
    if code == ranking.WHY_FOLLOW:
        handle = note.author_handle if isinstance(note, Card) else note.author.handle
        return _("Because you follow %(handle)s") % {"handle": handle}
    if code in (ranking.WHY_TOPIC, ranking.WHY_POPULAR_TOPIC) and arg:
        name = topic_names.get(int(arg))
        if name:
            if code == ranking.WHY_TOPIC:
                return _("Because you like #%(topic)s") % {"topic": name}
            return _("Popular in #%(topic)s") % {"topic": name}
    if code == ranking.WHY_HELP:
        helps = {
            "zh": _("Asks for help with Chinese"),
            "en": _("Asks for help with English"),
            "ja": _("Asks for help with Japanese"),
            "ko": _("Asks for help with Korean"),
        }
        if arg in helps:
            return helps[arg]
    if code == ranking.WHY_COMMUNITY:
        if arg == "zh":
            return _("From the Chinese community")
        return _("From the English-speaking community")
    return _("Popular on Bridgenote")
