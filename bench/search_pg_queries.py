"""Time ``queries.search_notes`` on an existing PostgreSQL database (the feeds dataset, after
``bridgenote search-reindex``), per query class and sort, against a ``SELECT 1`` reference.

    BRIDGENOTE_DATABASE_URL=postgres://.../bench_x python bench/search_pg_queries.py --repeat 5
    git show main:bridgenote/search/backends/postgres.py > /tmp/pg_old.py
    ... python bench/search_pg_queries.py --old /tmp/pg_old.py   # A/B, interleaved

The queries are words of the feeds dataset (``bench/generate.py``: titles of three words from
20-word vocabularies, Zipf-weighted topics), at high, mid and low frequency and absent; each
runs in every sort, for a visitor and for a signed-in user who follows people (a different
visibility clause), after one untimed warm-up pass. With ``--old``, the backend in that file
runs each case alternately with the current one. ``--explain`` prints the page query plans.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")
os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "search-benchmark-only-not-a-real-secret-key")

# Query classes -> queries; frequencies on the 1M feeds dataset are printed by --counts.
QUERIES: dict[str, list[str]] = {
    "zh one word": ["咖啡", "推荐", "宝藏", "啡旅", "身控"],
    "zh two words": ["咖啡 旅行", "美食 推荐", "咖啡 身控", "宝藏 小众"],
    "en one word": ["coffee", "tips", "selfie", "gymgoals"],
    "en two words": ["coffee travel", "selfie tips", "coffee gymgoals"],
    "mixed": ["咖啡 coffee", "selfie 穿搭", "旅行 tips"],
    "pinyin": ["kafei", "kf", "chuanda"],
    "no match": ["量子", "quantum"],
}
SORTS = ("relevance", "latest", "likes", "comments", "collects")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def uptime() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", help="a postgres.py backend file to compare with")
    parser.add_argument("--sorts", default=",".join(SORTS))
    parser.add_argument("--classes", default="", help="comma-separated class names")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--counts", action="store_true", help="print each query's matches")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from bridgenote.accounts.models import User
    from bridgenote.engage.models import Follow
    from bridgenote.search import queries
    from bridgenote.search.backends.postgres import PostgresBackend, tsquery

    classes = {k: v for k, v in QUERIES.items() if not args.classes or k in args.classes}
    sorts = args.sorts.split(",")
    if args.counts:
        with connection.cursor() as cursor:
            for name, group in classes.items():
                for q in group:
                    text = tsquery(queries.search_request(q).query)
                    cursor.execute(
                        "SELECT count(*) FROM search_notedocument"
                        " WHERE tsv @@ to_tsquery('simple'::regconfig, %s)",
                        [text],
                    )
                    print(f"{name:14} {q:18} {text:40} {cursor.fetchone()[0]:>8}")
        return 0

    arms: dict[str, Any] = {"after": PostgresBackend()}
    if args.old:
        spec = importlib.util.spec_from_file_location("old_backend", args.old)
        assert spec is not None and spec.loader is not None
        old = importlib.util.module_from_spec(spec)
        sys.modules["old_backend"] = old
        spec.loader.exec_module(old)
        arms = {"before": old.PostgresBackend(), "after": PostgresBackend()}
    # A signed-in viewer who follows people (followers-only notes and blocks in the clause).
    follower = (
        Follow.objects.values("follower_id").annotate(n=Count("id")).filter(n__gt=20)
        .order_by("follower_id").first()
    )  # fmt: skip
    member = User.objects.get(id=follower["follower_id"]) if follower else None
    viewers = {"visitor": None, "member": member}

    if args.explain:
        explain(classes, sorts, viewers, arms)
        return 0

    cases = [
        (cls, q, sort, vname)
        for cls, group in classes.items()
        for q in group
        for sort in sorts
        for vname in viewers
    ]
    samples: dict[tuple[str, str, str], list[float]] = {}
    worst: dict[str, tuple[float, str]] = {}
    reference: list[float] = []
    load = [uptime()]
    for rep in range(args.repeat + 1):
        order = list(arms.items()) if rep % 2 == 0 else list(arms.items())[::-1]
        for cls, q, sort, vname in cases:
            request = queries.search_request(q, sort=sort)
            for arm, engine in order:
                queries.backend = lambda using, engine=engine: engine  # type: ignore[assignment,misc]
                started = time.perf_counter()
                queries.search_notes(request, viewer=viewers[vname])
                ms = (time.perf_counter() - started) * 1000
                if rep == 0:
                    continue  # warm-up pass
                kind = sort if sort in ("relevance", "latest") else "popularity"
                for key in ((arm, cls, kind), (arm, "all", kind), (arm, "all", "all")):
                    samples.setdefault(key, []).append(ms)
                if ms > worst.get(arm, (0.0, ""))[0]:
                    worst[arm] = (ms, f"{q} {sort} {vname}")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if rep:
                reference.append((time.perf_counter() - started) * 1000)
        load.append(uptime())
    ref50, ref99 = percentile(reference, 0.5), percentile(reference, 0.99)
    report: dict[str, Any] = {
        "load": load,
        "reference_select_1_ms": {"p50": round(ref50, 2), "p99": round(ref99, 2)},
        "worst": {arm: [round(w[0], 1), w[1]] for arm, w in worst.items()},
    }
    for (arm, cls, kind), values in sorted(samples.items()):
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        report[f"{arm} | {cls} | {kind}"] = (
            f"p50 {p50:.1f} p99 {p99:.1f} ms (n={len(values)}, p99/ref p99 {p99 / ref99:.1f})"
        )
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


def explain(
    classes: dict[str, list[str]], sorts: list[str], viewers: dict[str, Any], arms: dict[str, Any]
) -> None:
    """Print EXPLAIN (ANALYZE, BUFFERS) of every SQL statement search_notes runs."""
    from django.db import connection, transaction

    from bridgenote.search import queries

    for group in classes.values():
        for q in group:
            for sort in sorts:
                for vname, viewer in viewers.items():
                    for arm, engine in arms.items():
                        queries.backend = lambda using, engine=engine: engine  # type: ignore[assignment,misc]
                        request = queries.search_request(q, sort=sort)
                        queries.search_notes(request, viewer=viewer)  # warm
                        statements: list[tuple[str, Any]] = []

                        def capture(execute: Any, sql: str, params: Any, many: bool,
                                    context: Any, statements: Any = statements) -> Any:  # fmt: skip
                            statements.append((sql, params))
                            return execute(sql, params, many, context)

                        started = time.perf_counter()
                        with connection.execute_wrapper(capture):
                            queries.search_notes(request, viewer=viewer)
                        ms = (time.perf_counter() - started) * 1000
                        print(f"=== {arm} | {q} | {sort} | {vname} | {ms:.1f} ms")
                        # One transaction, so that the backend's set_config(..., true) apply.
                        with transaction.atomic(), connection.cursor() as cursor:
                            for sql, params in statements:
                                if sql.startswith("SELECT set_config"):
                                    cursor.execute(sql, params)
                                if "search_notedocument" not in sql or sql.startswith("EXPLAIN"):
                                    continue
                                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                                print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    sys.exit(main())
