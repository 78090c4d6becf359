"""A two-level cache for per-viewer feed state: process memory, then Redis when configured.

On the embedded default the shared cache is the database; writing a viewer's arranged
Discover list there on every first page serialises requests on SQLite's single writer. The
values kept here (a viewer's affinities, their arranged list) are recomputable from the
database and deterministic for one pool version, so a process that does not have them simply
computes them again. With Redis they are shared between processes as well.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from django.core.cache import cache

from bridgenote.feeds import inbox_cache

MAX_ENTRIES = 20_000
_entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def get(key: str) -> Any:
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None:
            if hit[0] > now:
                _entries.move_to_end(key)
                return hit[1]
            del _entries[key]
    if inbox_cache.enabled():
        value = cache.get(key)
        if value is not None:
            _remember(key, value, 30)
        return value
    return None


def set(key: str, value: Any, timeout: int) -> None:
    _remember(key, value, timeout)
    if inbox_cache.enabled():
        cache.set(key, value, timeout=timeout)


def delete(key: str) -> None:
    with _lock:
        _entries.pop(key, None)
    if inbox_cache.enabled():
        cache.delete(key)


_clear_hooks: list[Any] = []


def on_clear(hook: Any) -> Any:
    """Register a function that empties another per-process memo when ``clear()`` runs."""
    _clear_hooks.append(hook)
    return hook


def clear() -> None:
    """Forget every per-process value of the feeds (tests call this between tests)."""
    with _lock:
        _entries.clear()
    for hook in _clear_hooks:
        hook()


def _remember(key: str, value: Any, timeout: int) -> None:
    with _lock:
        _entries[key] = (time.monotonic() + timeout, value)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
