"""Profile one path through the whole WSGI stack, in-process, on a generated data directory.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/profile_request.py /api/v1/timelines/home \\
        --auth bearer --requests 300
    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/profile_request.py /following/ --auth cookie

Signs in ``--users`` sampled users (session cookies or bearer tokens, made as bench/load.py
makes them), calls Django's WSGI handler directly (every middleware, ``BRIDGENOTE_DEBUG=0``),
warms up, times ``--requests`` requests without the profiler, then profiles as many and prints
the Python function calls per request (what the CPU pays, whatever the machine's load) and the
top of the profile. ``--cold`` profiles the first request of each user in the fresh process
instead (use ``--users`` >= ``--requests``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one path through the WSGI stack.")
    parser.add_argument("path")
    parser.add_argument("--auth", choices=["cookie", "bearer", "none"], default="cookie")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warm", type=int, default=100, help="requests before measuring")
    parser.add_argument("--cold", action="store_true", help="profile the first requests")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)

    from pathlib import Path

    data_dir = Path(os.environ.get("BRIDGENOTE_DATA_DIR", ""))
    if not os.environ.get("BRIDGENOTE_SECRET_KEY") and (data_dir / ".secret_key").exists():
        os.environ["BRIDGENOTE_SECRET_KEY"] = (data_dir / ".secret_key").read_text().strip()
    import django

    django.setup()
    import load  # bench/load.py: the same sign-in and tokens as the load runs
    from django.core.handlers.wsgi import WSGIHandler

    from bridgenote.accounts.models import User

    random.seed(3)
    ids = list(User.objects.values_list("id", flat=True)[:5000])
    users = list(User.objects.filter(pk__in=random.sample(ids, min(args.users, len(ids)))))
    headers: list[dict[str, str]] = [{}]
    if args.auth == "bearer":
        headers = [{"HTTP_AUTHORIZATION": t} for t in load.bearer_tokens(users).values()]
    elif args.auth == "cookie":
        headers = [{"HTTP_COOKIE": load.sign_in(u)} for u in users]
    handler = WSGIHandler()
    path, _, query = args.path.partition("?")

    def call(index: int) -> tuple[str, bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            **headers[index % len(headers)],
        }  # fmt: skip
        status: list[str] = []
        body = b"".join(handler(environ, lambda s, h, e=None: status.append(s)))
        return status[0], body

    if not args.cold:
        status, body = call(0)
        print(f"{status}, {len(body)} bytes")
        for i in range(args.warm):
            call(i)
        started = time.perf_counter()
        for i in range(args.requests):
            call(i)
        elapsed = (time.perf_counter() - started) / args.requests
        print(f"{elapsed * 1000:.2f} ms per request without the profiler")
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.requests):
        call(i)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{stats.total_calls / args.requests:,.0f} Python calls per request")  # type: ignore[attr-defined]
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
