"""Turning feed pages into what templates and the API show: the translated "why" line."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bridgenote.feeds import ranking
from bridgenote.feeds.queries import FeedPage
from bridgenote.notes.models import Note, Topic

COMMUNITY_NAMES = {"zh": "zh", "en": "en"}


def why_lines(page: FeedPage) -> dict[int, str]:
    """The "why am I seeing this" line of each note of a Discover page, in the active language."""
    topic_ids = {int(arg) for code, arg in page.reasons.values()
                 if code in (ranking.WHY_TOPIC, ranking.WHY_POPULAR_TOPIC) and arg}  # fmt: skip
    names = dict(Topic.objects.filter(pk__in=topic_ids).values_list("id", "name"))
    lines = {}
    for note in page.notes:
        code, arg = page.reasons.get(note.pk, (ranking.WHY_POPULAR, ""))
        lines[note.pk] = why_line(note, code, arg, names)
    return lines


def why_line(note: Note, code: str, arg: str, topic_names: dict[int, str]) -> str:
    if code == ranking.WHY_FOLLOW:
        return _("Because you follow %(handle)s") % {"handle": note.author.handle}
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
