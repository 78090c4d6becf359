"""A fixed-window rate limit for searches, per signed-in user or per client IP."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def search_allowed(request: HttpRequest) -> bool:
    """Count one search for this client; False once it passes SEARCH_RATE_PER_MINUTE."""
    user = getattr(request, "user", None)
    who = (
        f"u{user.pk}"
        if user is not None and user.is_authenticated
        else (f"ip{getattr(request, 'client_ip', '') or request.META.get('REMOTE_ADDR', '')}")
    )
    key = f"search:rate:{who}:{int(time.time() // 60)}"
    # incr first: the key exists for every search but a client's first in a minute, and on
    # the database cache (SQLite deployments) each call is a transaction.
    try:
        count = cache.incr(key)
    except ValueError:  # the first search of this minute (or the key just expired)
        if cache.add(key, 1, timeout=70):
            return True
        try:
            count = cache.incr(key)  # another request added it in between
        except ValueError:
            return True
    return count <= settings.SEARCH_RATE_PER_MINUTE
