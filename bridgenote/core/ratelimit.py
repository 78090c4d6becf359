"""A small fixed-window rate limiter: in the cache, or in a table on the embedded default.

Usage::

    from bridgenote.core import ratelimit

    decision = ratelimit.hit(f"sms:ip:{request.client_ip}", limit=20, window=3600)
    if not decision.allowed:
        return ratelimit.too_many_requests(decision, _("Too many codes. Try again later."))

``hit`` counts one attempt and says whether it is allowed; ``peek`` says whether the next one
would be, without counting; ``reset`` forgets a key (for example after a successful log-in).
Keys are free-form strings; give them a prefix per use (``"login:ip:..."``), never raw user
input without one. Pass ``request.client_ip`` (from ``core.net``), never REMOTE_ADDR or
X-Forwarded-For, so that a forged header cannot buy new attempts.

Windows are fixed and aligned to the epoch (a day-long window resets at 00:00 UTC), so one
integer is kept per key and window; a client can at most double its rate across a window
boundary, which is acceptable for abuse limits.

Where the counts live, and why they are exact:

* On Redis (``BRIDGENOTE_CACHE_URL``): ``SET key 0 NX EX`` and ``INCR key``, sent together
  in one round trip (a pipeline); each is atomic, so the count is exact under any
  concurrency, across processes.
* On the local-memory cache (tests): ``cache.add(key, 0)`` then ``cache.incr(key)``, under
  its lock (exact within one process).
* On the embedded default, where the cache is Django's DatabaseCache (an ``add`` and an
  ``incr`` there are ~8 statements in two write transactions, and ``incr`` is a read then a
  write that a race can undercount), in the ``core.RateCount`` table instead: one
  ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count``, exact on
  SQLite and PostgreSQL alike. Called inside a transaction, it is part of it (the comment
  service counts inside its write transaction: no transaction of its own); otherwise it is
  queued with the other SQLite writers (``core.writes``). The periodic ``rate_counts_prune``
  job deletes the rows of ended windows.

Limits that must hold exactly (the five tries of one sign-in code) are enforced in the
database with a conditional UPDATE instead (see accounts.services).
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.http import HttpResponse
from django_redis.cache import RedisCache

from bridgenote.core.models import RateCount
from bridgenote.core.writes import write_statement

__all__ = ["Decision", "hit", "peek", "prune", "reset", "too_many_requests"]


@dataclass(frozen=True)
class Decision:
    """The answer for one attempt: allowed or not, and when to try again."""

    allowed: bool
    # Seconds until the window that refused the attempt ends (0 when allowed).
    retry_after: int
    # Attempts left in the current window after this one.
    remaining: int


def _window(key: str, window: int, now: float) -> tuple[str, int]:
    start = int(now // window) * window
    # Hash so any string (phone numbers, IPv6 addresses, CJK) makes a valid, short cache key.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"rl:{window}:{start}:{digest}", start + window


def _decide(count: int, limit: int, ends: int, now: float) -> Decision:
    if count <= limit:
        return Decision(allowed=True, retry_after=0, remaining=limit - count)
    return Decision(allowed=False, retry_after=max(1, int(ends - now + 0.999)), remaining=0)


def hit(key: str, *, limit: int, window: int) -> Decision:
    """Count one attempt against ``key``: at most ``limit`` are allowed per ``window`` seconds.

    Refused attempts are counted too, so hammering a closed door does not reopen it sooner.
    """
    if limit < 0 or window <= 0:
        raise ValueError("limit must be >= 0 and window > 0")
    now = time.time()
    cache_key, ends = _window(key, window, now)
    if _in_database():
        return _decide(_count_in_database(cache_key, ends), limit, ends, now)
    if _on_redis():
        return _decide(_count_on_redis(cache_key, window), limit, ends, now)
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The key expired between add() and incr(): this attempt opens a new window.
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    return _decide(count, limit, ends, now)


def peek(key: str, *, limit: int, window: int) -> Decision:
    """Whether one more attempt against ``key`` would be allowed, without counting it."""
    now = time.time()
    cache_key, ends = _window(key, window, now)
    if _in_database():
        row = RateCount.objects.filter(key=cache_key).values_list("count", flat=True).first()
        count = row or 0
    else:
        count = int(cache.get(cache_key, 0))
    return _decide(count + 1, limit, ends, now)


def reset(key: str, *, window: int) -> None:
    """Forget the attempts counted against ``key`` in the current window."""
    cache_key = _window(key, window, time.time())[0]
    if _in_database():
        with write_statement():
            RateCount.objects.filter(key=cache_key).delete()
    else:
        cache.delete(cache_key)


def prune() -> int:
    """Delete the database counters of windows that have ended; returns how many."""
    with write_statement():
        deleted, _rows = RateCount.objects.filter(ends__lte=time.time()).delete()
    return deleted


def _in_database() -> bool:
    """Whether the counts live in the ``RateCount`` table (the cache is the database)."""
    return isinstance(caches["default"], DatabaseCache)


def _on_redis() -> bool:
    return isinstance(caches["default"], RedisCache)


def _count_on_redis(cache_key: str, window: int) -> int:
    """``SET key 0 NX EX`` and ``INCR key`` in one round trip (a pipeline); django-redis
    stores integers as such, so ``cache.get`` (``peek``) reads the count."""
    client = caches["default"].client.get_client(write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.set(caches["default"].make_key(cache_key), 0, nx=True, ex=window + 1)
    pipe.incr(caches["default"].make_key(cache_key))
    return int(pipe.execute()[1])


@functools.cache
def _upsert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    table = quote(RateCount._meta.db_table)
    key, count, ends = quote("key"), quote("count"), quote("ends")
    return (
        f"INSERT INTO {table} ({key}, {count}, {ends}) VALUES (%s, 1, %s)"  # noqa: S608 - our table
        f" ON CONFLICT ({key}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
    )


def _count_in_database(cache_key: str, ends: int) -> int:
    """Count one attempt in the table and return the window's count (one statement)."""
    with write_statement(), connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection.vendor), [cache_key, ends])
        row = cursor.fetchone()
    return int(row[0])


def too_many_requests(decision: Decision, message: str) -> HttpResponse:
    """An HTTP 429 answer with Retry-After and a (translated) message for the user."""
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(decision.retry_after)
    return response
