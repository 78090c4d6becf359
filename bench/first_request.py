"""The first note pages of a fresh process, after the warm-up ``bridgenote.wsgi.build()`` does.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/first_request.py

Imports the URLconf (every view and API module, as ``wsgi.build()`` does before serving), then
opens three note pages of authors outside China (their IP territory names come from the region
table) through Django's test client, signed out, and prints each page's wall time, the
process's maximum resident size and whether phonenumbers' locale table was loaded. Compare
trees by running it from each (``PYTHONPATH`` or the tree as the working directory).
"""

from __future__ import annotations

import os
import resource
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")


def main() -> int:
    import django

    started = time.perf_counter()
    django.setup()
    from django.test import Client
    from django.urls import get_resolver

    from bridgenote.notes.models import Note

    get_resolver().url_patterns  # noqa: B018 - what wsgi.build() does before serving
    setup = time.perf_counter() - started
    shown = Note.objects.filter(
        status="published", moderation="published", media_ready=True, visibility="public"
    )
    notes = list(
        shown.exclude(ip_territory__startswith="CN")
        .exclude(ip_territory="")
        .values_list("pk", flat=True)[:3]
    )
    client = Client(HTTP_HOST="127.0.0.1")
    times = []
    for pk in notes:
        start = time.perf_counter()
        response = client.get(f"/notes/{pk}/")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    pages = " ".join(f"{ms:.0f}" for ms in times)
    locale = "phonenumbers.geodata.locale" in sys.modules
    print(f"setup={setup:.2f}s pages_ms={pages} max_rss={rss}MB locale_table_loaded={locale}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
