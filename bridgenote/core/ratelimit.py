"""A small fixed-window rate limiter on the Django cache.

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

Windows are fixed and aligned to the epoch (a day-long window resets at 00:00 UTC), so the
cache holds one integer per key and window; a client can at most double its rate across a
window boundary, which is acceptable for abuse limits.

Atomicity: each hit is ``cache.add(key, 0)`` then ``cache.incr(key)``. On Redis
(``BRIDGENOTE_CACHE_URL``) these are ``SET NX`` and ``INCRBY``: atomic, exact under any
concurrency, across processes. On the local-memory cache they run under its lock (exact
within one process). On the embedded default, Django's DatabaseCache, ``incr`` is a read
followed by a write, so two requests racing on the same key in the same millisecond may both
read N and write N+1: a burst can slip a few attempts past the limit, never lock anybody out
wrongly. That is the trade-off of needing no extra service; instances that are attacked at
scale should use Redis. Limits that must hold exactly (the five tries of one sign-in code) are
enforced in the database with a conditional UPDATE instead (see accounts.services).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponse

__all__ = ["Decision", "hit", "peek", "reset", "too_many_requests"]


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
    count = int(cache.get(cache_key, 0))
    return _decide(count + 1, limit, ends, now)


def reset(key: str, *, window: int) -> None:
    """Forget the attempts counted against ``key`` in the current window."""
    cache.delete(_window(key, window, time.time())[0])


def too_many_requests(decision: Decision, message: str) -> HttpResponse:
    """An HTTP 429 answer with Retry-After and a (translated) message for the user."""
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(decision.retry_after)
    return response
