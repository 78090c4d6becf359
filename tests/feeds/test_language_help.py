"""The language-help flag in Discover: a boost for viewers who speak the language asked for,
with a translated "why" line."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from bridgenote.feeds import ranking, services
from tests.factories import UserFactory
from tests.feeds.conftest import make_note

pytestmark = pytest.mark.django_db


def user_speaking(*languages: str) -> Any:
    return UserFactory(profile__languages_spoken=list(languages))


def _pool() -> None:
    # Published first (older) and no more liked: only the boost can put it first.
    make_note(UserFactory(), "help me", language="en", likes=3, help_language="zh")
    for i in range(8):
        make_note(UserFactory(), f"popular {i}", language="en", likes=3)
    services.discover_refresh()


def test_rank_lifts_a_help_request_for_a_viewer_who_speaks_that_language() -> None:
    help_note = ranking.Candidate(1, 10, "en", (), 1.0, "zh")
    others = [ranking.Candidate(i, 10 + i, "en", (), 1.2) for i in range(2, 6)]
    speaker = ranking.Viewer(key="s", user_id=None, home=frozenset({"en"}), mix=0.3,
                             spoken=frozenset({"en", "zh"}))  # fmt: skip
    other = ranking.Viewer(key="o", user_id=None, home=frozenset({"en"}), mix=0.3,
                           spoken=frozenset({"en"}))  # fmt: skip
    assert ranking.rank(speaker, [help_note, *others])[0] == (1, ranking.WHY_HELP, "zh")
    ranked = ranking.rank(other, [help_note, *others])
    assert ranked[0][0] != 1
    assert all(code != ranking.WHY_HELP for _, code, _ in ranked)


def test_rank_puts_a_help_request_from_the_other_community_among_the_helpers_notes() -> None:
    # A Chinese note asking for help with English is a home note for an English speaker.
    help_note = ranking.Candidate(1, 10, "zh", (), 1.0, "en")
    viewer = ranking.Viewer(key="v", user_id=None, home=frozenset({"en"}), mix=0.0,
                            spoken=frozenset({"en"}))  # fmt: skip
    assert [n for n, _, _ in ranking.rank(viewer, [help_note])] == [1]


def test_discover_shows_help_requests_first_to_speakers_with_the_why_line() -> None:
    _pool()
    speaker = user_speaking("en", "zh")
    page = ranking.discover_page(
        ranking.viewer_for(speaker, ui_language="en"), channel=None, cursor=None, limit=5
    )
    assert page.notes[0].title == "help me"
    assert page.reasons[page.notes[0].pk] == (ranking.WHY_HELP, "zh")
    english_only = user_speaking("en")
    page = ranking.discover_page(
        ranking.viewer_for(english_only, ui_language="en"), channel=None, cursor=None, limit=5
    )
    assert page.notes[0].title != "help me"
    assert all(code != ranking.WHY_HELP for code, _ in page.reasons.values())


def test_why_line_for_a_help_request_is_translated() -> None:
    from bridgenote.feeds.presenters import why_line

    note = make_note(UserFactory(), "help", help_language="en")
    with translation.override("en"):
        assert why_line(note, ranking.WHY_HELP, "en", {}) == "Asks for help with English"
    with translation.override("zh-hans"):
        assert why_line(note, ranking.WHY_HELP, "en", {}) == "求助：英语"


def test_discover_page_shows_the_help_why_line_and_badge(client: Client) -> None:
    _pool()
    client.force_login(user_speaking("en", "zh"))
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<p class="feed-why">Asks for help with Chinese</p>' in html
    assert 'class="badge help-badge">Asks for help with Chinese<' in html


def test_first_pool_of_an_empty_instance_carries_the_help_flag() -> None:
    from django.core.cache import cache

    from bridgenote.feeds.services import POOL_VERSION_KEY

    make_note(UserFactory(), "help me", language="en", help_language="zh")
    cache.delete(POOL_VERSION_KEY)
    viewer = ranking.viewer_for(user_speaking("en", "zh"), ui_language="en")
    page = ranking.discover_page(viewer, channel=None, cursor=None, limit=5)
    assert page.reasons[page.notes[0].pk] == (ranking.WHY_HELP, "zh")


def test_topic_channel_candidates_carry_the_help_flag() -> None:
    note = make_note(UserFactory(), "help me", language="en", help_language="zh", topics=("作业",))
    topic_id = note.topics.get().pk
    [candidate] = ranking.channel_candidates(topic_id)
    assert candidate.help_language == "zh"
