"""Per-process memos of rendered HTML, keyed by everything the HTML shows.

The note page renders the same note, gallery and comments for every reader; only a few bits
are the reader's (the CSRF token, the page address in forms, liked / following state, the
buttons their role allows). A fragment is rendered once per key (the key holds every column
the fragment shows and every reader-dependent choice it makes) with the CSRF token and the
page address as slots, and each request fills the slots in. Entries live
``FEEDS_RENDER_CACHE_SECONDS`` (0 turns the memos off) and the least recently used go first;
``feeds.localcache.clear()`` empties them (tests call it between tests).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.utils.html import escape

from bridgenote.feeds import localcache


def slot(name: str) -> str:
    """A slot marker: letters and digits (escaping and URL-encoding leave it as it is), with a
    random part drawn when the process starts, so no text a user writes can contain it."""
    return f"bnslot{_SECRET}{name}"


_SECRET = secrets.token_hex(8)
CSRF_SLOT = slot("csrf")
HERE_SLOT = slot("here")


class RenderMemo:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        localcache.on_clear(self.clear)

    @staticmethod
    def enabled() -> bool:
        return bool(settings.FEEDS_RENDER_CACHE_SECONDS)

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        """The HTML remembered for ``key``, else ``render()`` (remembered when enabled)."""
        seconds = settings.FEEDS_RENDER_CACHE_SECONDS
        if not seconds:
            return render()
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < seconds:
                self._entries.move_to_end(key)
                return hit[1]
        html = render()
        with self._lock:
            self._entries[key] = (now, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def fill(html: str, *, csrf: str, here: str) -> str:
    """Put the request's CSRF token and page address into the slots of ``html``."""
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, escape(csrf))
    if HERE_SLOT in html:
        html = html.replace(HERE_SLOT, escape(here))
    return html
