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

Writes: ``--method POST --data '{"body": "好看"}'`` sends a JSON body (with the CSRF header
bench/load.py uses), and ``{note_id}`` in the path becomes one of the 2,000 newest notes, a
different one per request (so likes are new likes, not no-ops):

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/profile_request.py \\
        /api/engage/notes/{note_id}/comments --method POST --data '{"body": "好看 so pretty"}'

Every run also prints the SQL statements per request and the transactions (COMMITs) among
them: on PostgreSQL each is a round trip to the server.
instead (use ``--users`` >= ``--requests``). ``--queries`` lists instead the SQL statements and
Redis round trips of the warm requests (per request, and those of one request in full).
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
    parser.add_argument("--method", default="GET")
    parser.add_argument("--data", default="", help="a JSON request body")
    parser.add_argument(
        "--queries", action="store_true", help="count SQL statements and Redis round trips"
    )
    parser.add_argument(
        "--cpu-timer", action="store_true", help="profile CPU time (thread_time), not wall time"
    )
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
    note_ids: list[int] = []
    if "{note_id}" in path:
        from bridgenote.notes.models import Note

        note_ids = list(Note.objects.order_by("-id").values_list("id", flat=True)[:2000])
    notes = random.Random()  # unseeded: a second run likes other notes, not the same again
    body = args.data.encode()
    writes: dict[str, str] = {}
    if body:
        writes = {
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_CSRFTOKEN": "benchcsrftokenbenchcsrftoken1234",
        }  # fmt: skip

    def call(index: int) -> tuple[str, bytes]:
        target = path.replace("{note_id}", str(notes.choice(note_ids))) if note_ids else path
        environ: dict[str, Any] = {
            "REQUEST_METHOD": args.method, "PATH_INFO": target, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), **writes, **headers[index % len(headers)],
        }  # fmt: skip
        status: list[str] = []
        answer = b"".join(handler(environ, lambda s, h, e=None: status.append(s)))
        return status[0], answer

    if not args.cold:
        status, answer = call(0)
        print(f"{status}, {len(answer)} bytes: {answer[:120]!r}")
        for i in range(args.warm):
            call(i)
        started = time.perf_counter()
        for i in range(args.requests):
            call(i)
        elapsed = (time.perf_counter() - started) / args.requests
        print(f"{elapsed * 1000:.2f} ms per request without the profiler")
        _count_statements(call, args.requests)
    if args.queries:
        cpu_per_request(call, args.requests)
        return count_round_trips(call, args.requests)
    profile = cProfile.Profile(time.thread_time) if args.cpu_timer else cProfile.Profile()
    profile.enable()
    for i in range(args.requests):
        call(i)
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{stats.total_calls / args.requests:,.0f} Python calls per request")  # type: ignore[attr-defined]
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


def _count_statements(call: Any, requests: int) -> None:
    """Print the SQL statements and COMMITs per request, and the statements of one request."""
    from django.db import connection

    statements: list[str] = []
    first: list[str] = []
    commits = [0]
    waited = {"statements": 0.0, "commits": 0.0}
    by_kind: dict[str, float] = {}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            waited["statements"] += spent
            kind = " ".join(sql.split()[:3])[:60]
            by_kind[kind] = by_kind.get(kind, 0.0) + spent

    real_commit = connection.commit

    def commit() -> None:
        commits[0] += 1
        started = time.perf_counter()
        real_commit()
        waited["commits"] += time.perf_counter() - started

    connection.commit = commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(wrapper):
            for i in range(requests):
                call(i)
                if i == 0:
                    first = list(statements)
    finally:
        del connection.commit
    in_statements, in_commits = (waited[k] * 1000 / requests for k in ("statements", "commits"))
    print(
        f"{len(statements) / requests:.1f} SQL statements ({in_statements:.2f} ms) and"
        f" {commits[0] / requests:.1f} COMMITs ({in_commits:.2f} ms) per request;"
        " the first request's statements:"
    )
    for sql in first:
        print("   ", " ".join(sql.split())[:160])
    print("Time in the database per request, by statement (first words):")
    for kind, spent in sorted(by_kind.items(), key=lambda item: -item[1])[:12]:
        print(f"    {spent * 1000 / requests:6.2f} ms  {kind}")


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds the PostgreSQL backend process ``pid`` has used (it runs on this machine)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(call: Any, requests: int) -> None:
    """CPU per request of this thread (the application) and of the PostgreSQL backend serving
    it: neither depends on what else the machine runs."""
    from django.db import connection

    def backend() -> int | None:
        raw = connection.connection
        return raw.info.backend_pid if connection.vendor == "postgresql" and raw else None

    connection.close()  # a new connection, well within CONN_MAX_AGE for the loop
    call(0)
    pid = backend()
    app, db = time.thread_time(), _backend_cpu(pid)
    for i in range(requests):
        call(i)
    app = time.thread_time() - app
    if backend() != pid:
        print("the connection changed during the loop: no CPU figures")
        return
    db = _backend_cpu(pid) - db
    print(
        f"CPU per request: application {app / requests * 1000:.2f} ms, PostgreSQL backend "
        f"{db / requests * 1000:.2f} ms"
    )


def count_round_trips(call: Any, requests: int) -> int:
    """SQL statements (Django's query log) and Redis round trips (each write of a command or
    of a pipeline to the socket) per request, and the statements of the last request."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext
    from redis.connection import AbstractConnection

    sent: list[list[str]] = []
    original_send = AbstractConnection.send_packed_command
    original_pack, original_packs = (
        AbstractConnection.pack_command,
        AbstractConnection.pack_commands,
    )
    pending: list[str] = []

    def pack(self: Any, *args: Any) -> Any:
        pending.append(" ".join(str(a)[:40] for a in args[:2]))
        return original_pack(self, *args)

    def packs(self: Any, commands: Any) -> Any:
        pending.extend(" ".join(str(a)[:40] for a in c[:2]) for c in commands)
        return original_packs(self, commands)

    def send(self: Any, command: Any, check_health: bool = True) -> Any:
        sent.append(pending[:])
        pending.clear()
        return original_send(self, command, check_health)

    AbstractConnection.pack_command = pack  # type: ignore[method-assign]
    AbstractConnection.pack_commands = packs  # type: ignore[method-assign]
    AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
    checks: list[int] = []
    wrapper = type(connections["default"])
    original_usable = wrapper.is_usable

    def usable(self: Any) -> bool:
        checks.append(1)
        return bool(original_usable(self))

    wrapper.is_usable = usable  # type: ignore[method-assign]
    statements = 0
    trips = 0
    last_sql: list[str] = []
    last_redis: list[list[str]] = []
    try:
        for i in range(requests):
            sent.clear()
            with CaptureQueriesContext(connection) as queries:
                call(i)
            statements += len(queries.captured_queries)
            trips += len(sent)
            last_sql = [q["sql"] for q in queries.captured_queries]
            last_redis = [c[:] for c in sent]
    finally:
        AbstractConnection.pack_command = original_pack  # type: ignore[method-assign]
        AbstractConnection.pack_commands = original_packs  # type: ignore[method-assign]
        AbstractConnection.send_packed_command = original_send  # type: ignore[method-assign]
        wrapper.is_usable = original_usable  # type: ignore[method-assign]
    print(
        f"{statements / requests:.2f} SQL statements (plus {len(checks) / requests:.2f} health"
        f" checks), {trips / requests:.2f} Redis round trips"
    )
    print("last request's SQL:")
    for sql in last_sql:
        print("  ", sql[:220])
    print("last request's Redis round trips:")
    for commands in last_redis:
        print("  ", "; ".join(commands))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
