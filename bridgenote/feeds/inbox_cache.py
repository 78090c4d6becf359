"""Redis sorted sets caching the newest entries of each user's inbox.

Only used when the default cache is Redis (``BRIDGENOTE_CACHE_URL=redis://...``). The
database table ``InboxEntry`` stays the source of truth: a missing key is rebuilt from it, so
a Redis flush loses nothing. Each user has two keys:

``<prefix>:feeds:inbox:<user>``     members are note ids (as strings), scores the same ids
``<prefix>:feeds:inbox:<user>:lo``  the lowest note id the set still covers ("0": all of it)

Scores are doubles, so two ids closer than 2**4 can share a score; Redis then orders them by
member, and equal-length decimal strings order as the numbers do. Cursor filtering is redone
exactly in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

# Add a member only to a set that exists (a missing set is rebuilt from the database on the
# next read), keep the newest ARGV[2] members, and remember the lowest id still covered.
_ADD_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
local size = tonumber(ARGV[2])
if redis.call('ZCARD', KEYS[1]) > size then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(size + 1))
  local lowest = redis.call('ZRANGE', KEYS[1], 0, 0)
  redis.call('SET', KEYS[2], lowest[1], 'EX', ARGV[3])
end
return 1
"""


def enabled() -> bool:
    backend = str(settings.CACHES["default"]["BACKEND"])
    return backend.startswith("django_redis.")


def _client() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _key(user_id: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:feeds:inbox:{user_id}"


def add(entries: Iterable[tuple[int, int]]) -> None:
    """Add (user_id, note_id) pairs to the sets that exist."""
    if not enabled():
        return
    client = _client()
    script = client.register_script(_ADD_SCRIPT)
    pipe = client.pipeline(transaction=False)
    size, ttl = settings.FEEDS_REDIS_INBOX_SIZE, settings.FEEDS_REDIS_INBOX_TTL
    for count, (user_id, note_id) in enumerate(entries, start=1):
        key = _key(user_id)
        script(keys=[key, key + ":lo"], args=[note_id, size, ttl], client=pipe)
        if count % 1000 == 0:
            pipe.execute()
    pipe.execute()


def remove(entries: Iterable[tuple[int, int]]) -> None:
    """Remove (user_id, note_id) pairs."""
    if not enabled():
        return
    pipe = _client().pipeline(transaction=False)
    for user_id, note_id in entries:
        pipe.zrem(_key(user_id), str(note_id))
    pipe.execute()


def forget(user_id: int) -> None:
    """Drop a user's cached inbox; the next read rebuilds it from the database."""
    if enabled():
        key = _key(user_id)
        _client().delete(key, key + ":lo")


def read(user_id: int, *, before: int, floor: int, limit: int) -> tuple[list[int], bool] | None:
    """Up to ``limit`` note ids below ``before`` (and >= ``floor``), newest first.

    Returns (ids, complete) where ``complete`` says whether the set covered the whole range
    (if not, the caller continues in the database below the last id). None: no cache.
    """
    if not enabled():
        return None
    client = _client()
    key = _key(user_id)
    pipe = client.pipeline(transaction=False)
    pipe.zrevrangebyscore(key, before, floor, start=0, num=limit + 16)
    pipe.get(key + ":lo")
    pipe.exists(key)
    members, lowest, exists = pipe.execute()
    if lowest is None or not exists:
        # No set, or a set that ``remove`` emptied (Redis deletes an empty sorted set, and
        # ``add`` only adds to sets that exist): rebuild it from the database.
        _rebuild(user_id)
        pipe = client.pipeline(transaction=False)
        pipe.zrevrangebyscore(key, before, floor, start=0, num=limit + 16)
        pipe.get(key + ":lo")
        members, lowest = pipe.execute()
        if lowest is None:
            return None
    ids = [int(m) for m in members]
    ids = [i for i in ids if floor <= i < before][:limit]
    complete = len(ids) >= limit or int(lowest) <= floor
    return ids, complete


def _rebuild(user_id: int) -> None:
    from bridgenote.feeds.models import InboxEntry

    size, ttl = settings.FEEDS_REDIS_INBOX_SIZE, settings.FEEDS_REDIS_INBOX_TTL
    ids = list(
        InboxEntry.objects.filter(user_id=user_id)
        .order_by("-note_id")
        .values_list("note_id", flat=True)[:size]
    )
    lowest = ids[-1] if len(ids) >= size else 0
    client = _client()
    key = _key(user_id)
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    if ids:
        pipe.zadd(key, {str(i): i for i in ids})
    else:
        # An empty inbox is still a cached answer: keep the set alive with no real member.
        pipe.zadd(key, {"0": 0})
    pipe.expire(key, ttl)
    pipe.set(key + ":lo", lowest, ex=ttl)
    pipe.execute()
    # Fan-outs that committed between the SELECT above and the set's creation skipped the
    # missing set; read once more to catch them (later ones find the set).
    newest = ids[0] if ids else 0
    late = list(
        InboxEntry.objects.filter(user_id=user_id, note_id__gt=newest).values_list(
            "note_id", flat=True
        )
    )
    if late:
        add((user_id, note_id) for note_id in late)
