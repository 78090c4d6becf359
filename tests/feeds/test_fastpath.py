"""The feeds' fast paths (precompiled queries, cached card HTML and page shells, cached
Mastodon statuses) show the same thing as the slow ones, and change as soon as the data does."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.api.models import OAuthApplication
from bridgenote.core.fastsql import Precompiled, padded
from bridgenote.engage.models import Block, Like
from bridgenote.feeds.cards import following_cards
from bridgenote.notes.models import Note
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava, liwei
from tests.feeds.conftest import follow, publish

pytestmark = pytest.mark.django_db


def test_precompiled_query_takes_new_arguments_each_call() -> None:
    a, b = ava(), liwei()
    notes_a = [publish(a, f"a{i}") for i in range(3)]
    publish(b, "b")
    by_author = Precompiled(
        lambda author, ids, limit: (
            Note.objects.filter(author_id=author, pk__in=ids)
            .order_by("-id")
            .values_list("id", "media_ready", "published_at")[:limit]
        ),
        static=("limit",),
    )
    ids = [n.pk for n in notes_a]
    rows = by_author.rows(author=a.pk, ids=padded(ids, (8,)), limit=2)
    assert [r[0] for r in rows] == sorted(ids, reverse=True)[:2]
    assert rows[0][1] is True  # converters ran (SQLite gives 0/1)
    assert isinstance(rows[0][2], dt.datetime)
    assert by_author.rows(author=b.pk, ids=padded(ids, (8,)), limit=2) == []
    assert len(by_author.rows(author=a.pk, ids=ids[:1], limit=5)) == 1


def test_card_rows_follow_visibility_and_blocks() -> None:
    a, li = ava(), liwei()
    follow(li, a)
    shown = publish(a, "shown")
    hidden = publish(a, "under review", moderation=Note.Moderation.PENDING)
    cards = following_cards(li.pk, [shown.pk, hidden.pk])
    assert list(cards) == [shown.pk]
    assert cards[shown.pk].author_handle == a.handle
    Block.objects.create(blocker=a, blocked=li)
    assert following_cards(li.pk, [shown.pk]) == {}


def test_following_page_shows_a_new_like_count_and_a_block_at_once(client: Client) -> None:
    a, li = ava(), liwei()
    follow(li, a)
    note = publish(a, "counted", likes=3)
    client.force_login(li)
    first = client.get("/following/").content.decode()
    assert "counted" in first and "</span> 3" in first
    Note.objects.filter(pk=note.pk).update(like_count=4)
    assert "</span> 4" in client.get("/following/").content.decode()
    Block.objects.create(blocker=li, blocked=a)
    assert "counted" not in client.get("/following/").content.decode()


def test_cached_shell_carries_this_requests_csrf_token_and_unread_count(client: Client) -> None:
    a, li = ava(), liwei()
    follow(li, a)
    publish(a, "hello")
    client.force_login(li)
    page = client.get("/following/").content.decode()
    assert "\x00" not in page
    assert "unread-badge zero" in page
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert tokens and all(len(t) == 64 for t in tokens)
    # The token works: the language switch in the cached shell posts with it.
    response = client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": tokens[0]})
    assert response.status_code in (200, 302)
    Notification.objects.create(recipient=li, actor=a, verb="follow", tab="follows")
    again = client.get("/following/").content.decode()
    assert 'class="unread-badge"' in again and "unread-badge zero" not in again


@pytest.fixture
def bearer():  # type: ignore[no-untyped-def]
    app = OAuthApplication.objects.create(
        name="Elk", redirect_uris="https://elk.example/callback", scopes="read write follow",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip

    def make(user):  # type: ignore[no-untyped-def]
        raw = secrets.token_urlsafe(32)
        token = AccessToken(user=user, application=app, scope="read write follow",
                            expires=timezone.now() + dt.timedelta(days=1))  # fmt: skip
        set_token_value(token, raw)
        token.save()
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


def test_mastodon_home_timeline_from_cache_keeps_viewer_state_fresh(client, bearer) -> None:  # type: ignore[no-untyped-def]
    a, li, other = ava(), liwei(), UserFactory()
    follow(li, a)
    follow(other, a)
    note = publish(a, "timeline note")
    first = client.get("/api/v1/timelines/home", **bearer(li)).json()
    assert [s["id"] for s in first] == [str(note.pk)]
    assert first[0]["favourited"] is False and first[0]["text"] is None
    assert first[0]["account"]["acct"] == a.handle
    Like.objects.create(user=li, note=note)
    Note.objects.filter(pk=note.pk).update(like_count=1)
    second = client.get("/api/v1/timelines/home", **bearer(li)).json()
    assert second[0]["favourited"] is True and second[0]["favourites_count"] == 1
    # Another viewer of the same cached status sees their own state.
    assert client.get("/api/v1/timelines/home", **bearer(other)).json()[0]["favourited"] is False
    # The author sees their text.
    mine = client.get("/api/v1/timelines/home", **bearer(a)).json()
    assert mine[0]["text"] == "timeline note"


def test_discover_settings_form_gets_this_requests_csrf_token() -> None:
    li = liwei()
    client = Client(enforce_csrf_checks=True)
    client.force_login(li)
    page = client.get("/").content.decode()
    assert "\x00" not in page
    assert 'action="/discover/preferences/"' in page
    # The shell's forms and the settings form carry this request's token, masked once.
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 2 and len(set(tokens)) == 1 and len(tokens[0]) == 64
    for token in tokens[:1]:
        response = client.post(
            "/discover/preferences/",
            {"language_mix": "40", "interests": "", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302
    forged = {"language_mix": "40", "interests": "", "csrfmiddlewaretoken": "x" * 64}
    assert client.post("/discover/preferences/", forged).status_code == 403


def test_shell_slots_are_filled_around_the_body_never_inside_it(rf) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    from bridgenote.core.fragments import CSRF_SLOT, fill_csrf
    from bridgenote.feeds.shell import render_page

    request = rf.get("/following/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    body = f"<p>a card quoting {CSRF_SLOT}</p>"  # user text must not receive the token
    html = render_page(request, "feeds/following.html", {"nav": "following"}, body).content
    text = html.decode()
    assert body in text
    assert text.count(CSRF_SLOT) == 1
    assert CSRF_SLOT not in fill_csrf(f"<i>{CSRF_SLOT}</i>", request)
