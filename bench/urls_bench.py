"""URL resolution cost per request: Django's resolver over the project's URL conf, for the
paths the feeds benchmark requests, against a one-pattern URL conf resolved in the same run.

    python bench/urls_bench.py [--repeat 20000]

Prints microseconds per resolve (median of 5 rounds) and the ratio to the one-pattern
reference. Resolution is pure Python and load-independent in count, so the ratio is the figure
to compare between runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "bench-only")
os.environ.setdefault("BRIDGENOTE_DATA_DIR", tempfile.mkdtemp(prefix="urls-bench-"))

PATHS = {
    "floor /api/ping": "/api/ping",
    "Following page": "/following/",
    "Discover page": "/",
    "note detail": "/notes/123456789/",
    "like (native API)": "/api/engage/notes/123456789/like",
    "Mastodon home timeline": "/api/v1/timelines/home",
    "Mastodon status": "/api/v1/statuses/123456789",
}


def per_resolve_us(resolver, path: str, repeat: int) -> float:  # type: ignore[no-untyped-def]
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            resolver.resolve(path)
        rounds.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20000)
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
    django.setup()
    from django.http import HttpResponse
    from django.urls import get_resolver, path
    from django.urls.resolvers import RegexPattern, URLResolver

    project = get_resolver()
    reference = URLResolver(RegexPattern(r"^/"), [path("api/ping", lambda r: HttpResponse())])
    ref = per_resolve_us(reference, "/api/ping", args.repeat)
    print(f"reference (one pattern): {ref:.2f} us per resolve")
    for label, url in PATHS.items():
        project.resolve(url)  # raises if the path does not resolve
        cost = per_resolve_us(project, url, args.repeat)
        print(f"{label:<26} {url:<36} {cost:8.2f} us  {cost / ref:6.1f}x reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
