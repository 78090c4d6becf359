"""Rendered HTML fragments remembered per process, with slots for what each request adds.

Many pages are the same for every reader but for a few bits: the CSRF token, the page
address in forms, and parts that differ per reader (liked, following). Such a page renders
its shared parts once per key with **slots** in place of those bits, remembers the HTML in a
``FragmentMemo``, and fills the slots in on each request. The key of a fragment holds every
value it shows and every choice it makes for the reader; anything not in the key must be a
slot. Users of this module: the note page (``notes/page.py``), its comments
(``engage_tags.rendered_comment`` / ``comment_list``) and the feed pages' site shell
(``feeds/shell.py``).

Entries live ``FEEDS_RENDER_CACHE_SECONDS`` (0 turns every memo off) and the least recently
used go first; ``feeds.localcache.clear()`` empties them all (tests call it between tests).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def slot(name: str) -> str:
    """A slot marker: letters and digits (escaping and URL-encoding leave it as it is), with a
    random part drawn when the process starts, so no text a user writes can contain it."""
    return f"bnslot{_SECRET}{name}"


_SECRET = secrets.token_hex(8)
CSRF_SLOT = slot("csrf")
HERE_SLOT = slot("here")


class FragmentMemo:
    """The HTML of up to ``max_entries`` fragments by key, for ``FEEDS_RENDER_CACHE_SECONDS``."""

    def __init__(self, max_entries: int) -> None:
        from bridgenote.feeds import localcache  # the one "forget everything" of the process

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
    """Put a CSRF token and a page address (escaped) into the slots of ``html``."""
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, escape(csrf))
    if HERE_SLOT in html:
        html = html.replace(HERE_SLOT, escape(here))
    return html


def fill_csrf(html: str, request: HttpRequest) -> SafeString:
    """``html`` (our template's output) with this request's CSRF token in ``CSRF_SLOT``,
    masked once per request (masking draws 32 random characters)."""
    token = getattr(request, "_fragments_csrf", None)
    if token is None:
        token = escape(get_token(request))
        request._fragments_csrf = token  # type: ignore[attr-defined]
    return mark_safe(html.replace(CSRF_SLOT, token))  # noqa: S308 - our template, an escaped token
