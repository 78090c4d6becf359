"""The Redis inbox cache against a real Redis server (BRIDGENOTE_TEST_REDIS_URL); skipped
without one. Redis is only a cache: after a flush every feed rebuilds from the database."""

from __future__ import annotations

import os

import pytest

from bridgenote.feeds import inbox_cache
from bridgenote.feeds.queries import following_page
from tests.factories import ava, liwei
from tests.feeds.conftest import follow, publish, walk_following

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not os.environ.get("BRIDGENOTE_TEST_REDIS_URL"),
        reason="set BRIDGENOTE_TEST_REDIS_URL=redis://127.0.0.1:6379/<db> to test against Redis",
    ),
]


def flush_our_keys() -> None:
    """FLUSHDB for this test run's key prefix only (the server may be shared)."""
    from django.conf import settings

    client = inbox_cache._client()
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def test_inbox_cache_is_used_and_rebuilt_after_a_flush() -> None:
    assert inbox_cache.enabled()
    a, li = ava(), liwei()
    follow(li, a)
    notes = [publish(a, f"n{i}") for i in range(30)]
    expected = [n.pk for n in reversed(notes)]
    first = [n.pk for n in following_page(li, cursor=None, limit=30).notes]
    assert first == expected
    client = inbox_cache._client()
    key = inbox_cache._key(li.pk)
    assert client.zcard(key) == 30
    # A new note while the set exists goes straight into it.
    new = publish(a, "new")
    assert client.zscore(key, str(new.pk)) is not None
    flush_our_keys()
    assert client.exists(key) == 0
    after = [n.pk for n in following_page(li, cursor=None, limit=31).notes]
    assert after == [new.pk, *expected]
    assert client.zcard(key) == 31


def test_inbox_cache_keeps_only_the_newest_and_falls_back_to_the_database(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FEEDS_REDIS_INBOX_SIZE = 20
    a, li = ava(), liwei()
    follow(li, a)
    notes = [publish(a, f"n{i}") for i in range(45)]
    following_page(li, cursor=None)  # builds the set (20 newest)
    for i in range(5):
        notes.append(publish(a, f"late {i}"))  # trims the set to the newest 20
    client = inbox_cache._client()
    assert client.zcard(inbox_cache._key(li.pk)) == 20
    seen = [n.pk for n in walk_following(li, limit=15)]
    assert seen == [n.pk for n in reversed(notes)]


def test_unfollow_forgets_the_cached_inbox() -> None:
    from bridgenote.engage.models import Follow
    from bridgenote.feeds import services

    a, li = ava(), liwei()
    follow(li, a)
    publish(a, "gone after unfollow")
    assert following_page(li, cursor=None).notes
    Follow.objects.filter(follower=li, followee=a).delete()
    services.follow_changed(follower=li, followee=a, created=False)
    assert following_page(li, cursor=None).notes == []


def test_a_set_emptied_by_withdrawals_is_rebuilt_and_takes_new_notes() -> None:
    """Withdrawing every cached note deletes the sorted set (Redis keeps no empty set) while
    its ``:lo`` key stays; the next read must rebuild from the database, not answer "empty"
    until the key expires (a suspended and then reinstated account's notes came back in
    search but not in the followers' feeds)."""
    from bridgenote.feeds import services

    a, li = ava(), liwei()
    follow(li, a)
    gone = publish(a, "withdrawn")
    assert [n.pk for n in following_page(li, cursor=None).notes] == [gone.pk]
    services.notes_unfan(note_ids=[gone.pk])
    client = inbox_cache._client()
    key = inbox_cache._key(li.pk)
    assert client.exists(key) == 0 and client.exists(key + ":lo") == 1
    back = publish(a, "published while the set was gone")
    assert [n.pk for n in following_page(li, cursor=None).notes] == [back.pk]
