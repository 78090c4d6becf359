"""A/B of two PostgreSQL search backends on one corpus, interleaved in one process.

    git show a9e7b5c:bridgenote/search/backends/postgres.py > /tmp/search_old_pg.py
    BRIDGENOTE_DATABASE_URL=postgres://... python bench/search_ab_pg.py /tmp/search_old_pg.py 3

"before" is the backend in the given file with the windows of that time (popularity sorts
ranked two windows), "after" the current one (one window). Every query of search_bench's
groups (relevance and latest) and six queries in the three popularity sorts, run alternately
by both, engine only (``backend.page``, visitor's visibility clause); the reference is a
``SELECT 1`` round trip on the same connection after each pair.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")
os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "search-benchmark-only-not-a-real-secret-key")


def main() -> int:
    import django

    django.setup()
    import search_bench as sb
    from django.conf import settings
    from django.db import connection

    from bridgenote.search.backends.postgres import PostgresBackend
    from bridgenote.search.queries import _where, search_request, searchable_notes

    spec = importlib.util.spec_from_file_location("old_backend", sys.argv[1])
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_backend"] = old
    spec.loader.exec_module(old)
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    where = _where(searchable_notes(None))
    window = settings.SEARCH_WINDOW
    arms: dict[str, tuple[Any, dict[str, int]]] = {
        "before": (old.PostgresBackend(), {"relevance": window, "latest": 200, "pop": 2 * window}),
        "after": (PostgresBackend(), {"relevance": window, "latest": 200, "pop": window}),
    }
    sorts = ("likes", "comments", "collects")
    cases = [
        (q, s) for group in sb.QUERIES.values() for q in group for s in ("relevance", "latest")
    ]
    cases += [
        (q, s) for q in ["咖啡", "travel", "咖啡 latte", "hg", "zp", "旅行 攻略"] for s in sorts
    ]
    samples: dict[str, list[float]] = {}
    reference: list[float] = []
    for rep in range(repeats):
        order = list(arms.items()) if rep % 2 == 0 else list(arms.items())[::-1]
        for q, sort in cases:
            query = search_request(q).query
            for name, (backend, windows) in order:
                started = time.perf_counter()
                backend.page(where, query, order=sort, offset=0, limit=21,
                             window=windows.get(sort, windows["pop"]))  # fmt: skip
                kind = "sorts" if sort in sorts else "search"
                samples.setdefault(f"{name} {kind}", []).append(
                    (time.perf_counter() - started) * 1000
                )
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            reference.append((time.perf_counter() - started) * 1000)
    p = sb.percentile
    ref50 = p(reference, 0.5)
    report: dict[str, Any] = {
        "reference_select_1_ms": {"p50": round(ref50, 2), "p99": round(p(reference, 0.99), 2)}
    }
    for key, values in samples.items():
        report[key] = {
            "p50": round(p(values, 0.5), 1),
            "p99": round(p(values, 0.99), 1),
            "n": len(values),
            "p50_ratio_to_reference": round(p(values, 0.5) / ref50, 1),
        }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
