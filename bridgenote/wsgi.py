"""The WSGI application (``bridgenote serve`` runs it under granian, one copy per worker).

Garbage collection: a Django process holds ~150,000 long-lived objects (modules, URL patterns,
API schemas, templates). Python's full collection scans all of them whenever enough new objects
have survived, a pause of 50-100 ms of CPU for whatever request happens to trigger it
(docs/performance.md, "Tail latency"). Here every view is imported up front and those objects
are frozen (``gc.freeze()``: kept out of every later collection; they live as long as the
process anyway), and once more after the first ``FREEZE_AGAIN_AFTER`` requests, when
templates, translations and precompiled queries have been loaded lazily. Collections then scan
only what requests create. ``BRIDGENOTE_GC_FREEZE=false`` turns this off.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
FREEZE_AGAIN_AFTER = 500


def freeze_long_lived() -> None:
    """Collect what is garbage now, then move everything still alive out of the collector's
    generations (it is not scanned again; objects freed by reference counting still go)."""
    gc.collect()
    gc.freeze()


class FreezingApplication:
    """The Django handler, freezing the process's objects once more after its first requests."""

    def __init__(self, handler: Callable[..., Iterable[bytes]], after: int) -> None:
        self.handler = handler
        self.remaining = after

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.remaining > 0:
            self.remaining -= 1  # a lost update between threads only delays the freeze
            if self.remaining == 0:
                freeze_long_lived()
        return self.handler(environ, start_response)


def build() -> Callable[..., Any]:
    from django.conf import settings
    from django.urls import get_resolver

    handler = get_wsgi_application()
    if not settings.GC_FREEZE:
        return handler
    get_resolver().url_patterns  # noqa: B018 - imports every view and API module now
    freeze_long_lived()
    return FreezingApplication(handler, FREEZE_AGAIN_AFTER)


application = build()
