"""Load runner: serve a generated data directory with `bridgenote serve` and measure it with wrk.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/load.py --duration 15
    BRIDGENOTE_DATA_DIR=/tmp/bench-pg BRIDGENOTE_DATABASE_URL=postgres://postgres@127.0.0.1/bench \\
        BRIDGENOTE_CACHE_URL=redis://127.0.0.1:6379/9 python bench/load.py

It starts the server itself on 127.0.0.1 (granian, as `python -m bridgenote.cli serve`), signs in
a sample of users, then runs wrk (apt-get install wrk) with 16 connections for ``--duration``
seconds per scenario: the floor (GET /api/ping), Following page, Following page of the user
with the longest history (first page and a page below the inbox window), Discover page (first
and next page, and the first page of the user with the longest history), note detail, and
like / comment when the engage app serves them. Each result is also given as a ratio of the
floor's req/s. Then it publishes a note by the account with the
most followers and one by the largest fanned-out author while Following reads run, and reports
how long until every follower has it. Everything is bounded in time; the server is stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "1")

ROOT = Path(__file__).resolve().parent.parent

LUA = textwrap.dedent("""
    local requests = {}
    local counter = 0
    local function add(method, path, cookie, body)
      local headers = {["Host"] = wrk.host .. ":" .. wrk.port}
      if string.sub(cookie, 1, 7) == "Bearer " then
        headers["Authorization"] = cookie
      elseif cookie ~= "" then
        headers["Cookie"] = cookie
      end
      if body ~= "" then
        headers["Content-Type"] = "application/json"
        headers["X-CSRFToken"] = "benchcsrftokenbenchcsrftoken1234"
      end
      table.insert(requests, wrk.format(method, path, headers, body ~= "" and body or nil))
    end
    init = function(args)
      %(adds)s
      counter = math.random(#requests)
    end
    request = function()
      counter = counter %% #requests + 1
      return requests[counter]
    end
    local non2xx = 0
    response = function(status, headers, body)
      if status >= 400 then non2xx = non2xx + 1 end
    end
    done = function(summary, latency, requests)
      io.write(string.format(
        'RESULT {"requests": %%d, "seconds": %%.3f, "p50": %%.3f, "p90": %%.3f, "p99": %%.3f, ' ..
        '"errors": %%d, "non2xx": %%d}\\n',
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
        latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.timeout, summary.errors.status))
    end
""")


def lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def write_script(requests: list[tuple[str, str, str, str]]) -> str:
    adds = "\n".join(
        f"add({lua_string(m)}, {lua_string(p)}, {lua_string(c)}, {lua_string(b)})"
        for m, p, c, b in requests
    )
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    handle.write(LUA % {"adds": adds})
    handle.close()
    return handle.name


def run_wrk(
    base: str,
    requests: list[tuple[str, str, str, str]],
    *,
    duration: int,
    clients: int,
    threads: int,
) -> dict[str, Any]:
    script = write_script(requests)
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "-s",
                script,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        ).stdout
    finally:
        os.unlink(script)
    for line in output.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            result["rps"] = result["requests"] / max(result["seconds"], 1e-9)
            return result
    raise RuntimeError(f"wrk gave no result:\n{output}")


def django_setup() -> None:
    import django

    django.setup()


def sign_in(user: Any) -> str:
    """A session cookie for ``user`` (plus a fixed CSRF cookie for the JSON writes). Like the
    site's sign-in (``accounts.services.user_logged_in``), it prepares the user's Discover
    state; the rest of that bookkeeping (profile territory from the IP) is left out."""
    from django.conf import settings
    from django.test import Client

    from bridgenote.feeds.services import viewer_signed_in

    client = Client()
    client.force_login(user)
    viewer_signed_in(user_id=user.pk)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (
        f"{settings.SESSION_COOKIE_NAME}={session}; "
        f"{settings.CSRF_COOKIE_NAME}=benchcsrftokenbenchcsrftoken1234"
    )


def bearer_tokens(users: list[Any]) -> dict[int, str]:
    """An OAuth access token per user for the Mastodon API, written straight to the database
    (as a client would get from the authorization-code flow), under one bench application."""
    import datetime as dt
    import secrets

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from bridgenote.api.models import OAuthApplication

    app, _ = OAuthApplication.objects.get_or_create(
        name="bench/load.py",
        defaults={
            "redirect_uris": "http://127.0.0.1/callback",
            "scopes": "read write follow",
            "client_type": "confidential",
            "authorization_grant_type": "authorization-code",
        },
    )
    tokens = {}
    for user in users:
        raw = secrets.token_urlsafe(32)
        token = AccessToken(
            user=user,
            application=app,
            scope="read write follow",
            expires=timezone.now() + dt.timedelta(hours=2),
        )
        set_token_value(token, raw)
        token.save()
        tokens[user.pk] = f"Bearer {raw}"
    return tokens


def wait_until_up(base: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not start")


def api_paths(base: str) -> set[str]:
    import httpx

    return set(httpx.get(f"{base}/api/openapi.json", timeout=10).json().get("paths", {}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure feeds and the floor with wrk.")
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument(
        "--workers", type=int, default=None, help="web processes (default: bridgenote serve's)"
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        default=None,
        help="threads per web process (default: bridgenote serve's)",
    )
    parser.add_argument("--users", type=int, default=300, help="signed-in users to spread over")
    parser.add_argument(
        "--only",
        default="",
        help='comma-separated scenario names ("following, longest history": both parts)',
    )
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument(
        "--stale-discover",
        action="store_true",
        help="mark the sampled users' Discover states stale after setup (as a like would), so"
        " that their first Discover page in each process recomputes it",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also report each scenario's CPU time per request and GC pauses, measured inside"
        " the server (bench/cpu_wsgi.py): figures that do not depend on the machine's load",
    )
    args = parser.parse_args(argv)
    random.seed(7)
    django_setup()
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count

    from bridgenote.accounts.models import Profile, User
    from bridgenote.feeds import ranking, services
    from bridgenote.feeds.models import HybridAuthor, InboxEntry
    from bridgenote.feeds.queries import following_page
    from bridgenote.notes.models import Note

    if not User.objects.exists():
        sys.exit("No data: run bench/generate.py with the same BRIDGENOTE_DATA_DIR first.")
    base = f"http://127.0.0.1:{args.port}"
    # granian listens with SO_REUSEPORT: a server left on the port would silently share the load.
    if port_in_use(args.port):
        sys.exit(f"Port {args.port} is in use: stop what listens there first.")
    env = {
        **os.environ,
        "BRIDGENOTE_DEBUG": "0",
        "BRIDGENOTE_LOG_LEVEL": "WARNING",
        # The comment scenario measures writing a comment, not the per-user rate limit
        # (10 a minute by default), which would answer most of its requests with a 429.
        "BRIDGENOTE_COMMENT_RATE_PER_MINUTE": "100000",
    }
    env.setdefault("BRIDGENOTE_SECRET_KEY", (settings.DATA_DIR / ".secret_key").read_text().strip())
    # The same server configuration for the floor and every page: bridgenote serve's defaults
    # (what production runs) unless --workers / --server-threads say otherwise.
    command = [sys.executable, "-m", "bridgenote.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(args.port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.server_threads:
        command += ["--threads", str(args.server_threads)]
    cpu_dir = ""
    if args.cpu:
        cpu_dir = tempfile.mkdtemp(prefix="bench-cpu-")
        env["BRIDGENOTE_BENCH_CPU_DIR"] = cpu_dir
        command += ["--app", "bench.cpu_wsgi:application"]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    results: dict[str, dict[str, Any]] = {}
    try:
        wait_until_up(base)
        print(
            f"server pid {server.pid} on {base};"
            f" database {settings.DATABASES['default']['ENGINE']};"
            f" cache {settings.CACHES['default']['BACKEND']}",
            flush=True,
        )

        # --- who and what to ask for -------------------------------------------------------
        user_ids = list(User.objects.values_list("id", flat=True))
        sample = random.sample(user_ids, min(args.users, len(user_ids)))
        users = {u.pk: u for u in User.objects.filter(pk__in=sample).select_related("profile")}
        cookies = {pk: sign_in(user) for pk, user in users.items()}
        long_row = (
            Profile.objects.order_by("-following_count").values_list("user_id", flat=True).first()
        )
        long_user = User.objects.get(pk=long_row)
        long_cookie = sign_in(long_user)
        inbox_size = InboxEntry.objects.filter(user=long_user).count()
        deep = following_page(long_user, cursor=None, limit=20)
        cursor = deep.next_cursor
        # Walk past the inbox window so the deep page is a read-time merge over follows.
        boundary = services.inbox_boundary()
        while cursor and int(cursor) > boundary:
            cursor = following_page(long_user, cursor=int(cursor), limit=100).next_cursor
        deep_cursor = cursor
        note_ids = list(Note.objects.order_by("-id").values_list("id", flat=True)[:2000])
        discover_next: list[tuple[str, str, str, str]] = []
        for pk in list(cookies)[:100]:
            viewer = ranking.viewer_for(users[pk], ui_language="en")
            page = ranking.discover_page(viewer, channel=None, cursor=None)
            if page.next_cursor:
                from urllib.parse import quote

                discover_next.append(
                    ("GET", f"/?cursor={quote(page.next_cursor)}", cookies[pk], "")
                )
        signed = list(cookies.items())
        if args.stale_discover:
            with transaction.atomic():
                for pk in cookies:
                    services.viewer_changed(user_id=pk)
        paths = api_paths(base)
        print(
            f"long-history user: @{long_user.handle} follows "
            f"{long_user.profile.following_count}, inbox {inbox_size} entries",
            flush=True,
        )

        scenarios: dict[str, list[tuple[str, str, str, str]]] = {
            "floor /api/ping": [("GET", "/api/ping", "", "")],
            "following page": [("GET", "/following/", c, "") for _, c in signed],
            "following API": [("GET", "/api/feeds/following", c, "") for _, c in signed],
            "following, longest history": [("GET", "/following/", long_cookie, "")],
            "following, below inbox window": [
                ("GET", f"/following/?cursor={deep_cursor}", long_cookie, "")
            ]
            if deep_cursor
            else [],
            "discover page": [("GET", "/", c, "") for _, c in signed],
            "discover next page": discover_next,
            "discover longest history": [("GET", "/", long_cookie, "")],
            "discover API": [("GET", "/api/feeds/discover", c, "") for _, c in signed],
            "note detail": [
                ("GET", f"/notes/{random.choice(note_ids)}/", c, "") for _, c in signed
            ],
        }
        like_path = next((p for p in sorted(paths) if "like" in p and "{note_id}" in p), None)
        comment_path = next((p for p in sorted(paths) if "comment" in p and "{note_id}" in p), None)

        def api(path: str, note_id: int) -> str:
            path = path.replace("{note_id}", str(note_id))
            return path if path.startswith("/api/") else "/api" + path

        # Many distinct (user, note) pairs, so that most likes are new ones, not no-ops.
        pairs = [(random.choice(signed)[1], random.choice(note_ids)) for _ in range(4000)]
        if like_path:
            scenarios["like"] = [("POST", api(like_path, n), c, "{}") for c, n in pairs]
        if comment_path:
            body = json.dumps({"body": "好看 so pretty"})
            scenarios["comment"] = [("POST", api(comment_path, n), c, body) for c, n in pairs]
        tokens = bearer_tokens(list(users.values()))
        scenarios["mastodon home timeline"] = [
            ("GET", "/api/v1/timelines/home", t, "") for t in tokens.values()
        ]
        missing = [
            name for name, path in (("like", like_path), ("comment", comment_path)) if not path
        ]
        only = {s.strip() for s in args.only.split(",") if s.strip()}

        # Warm up every worker (pool loading, connections, and the one-time imports of the
        # note page: phonenumbers' region names for IP territories take 1.6 s on an idle core).
        run_wrk(
            base,
            scenarios["discover page"][:50]
            + scenarios["following page"][:50]
            + scenarios["note detail"][:20],
            duration=3,
            clients=args.clients,
            threads=args.threads,
        )
        for name, requests in scenarios.items():
            if not requests or (only and not selected(name, only) and not name.startswith("floor")):
                continue
            window = time.monotonic()
            results[name] = run_wrk(
                base, requests, duration=args.duration, clients=args.clients, threads=args.threads
            )
            results[name]["window"] = (window, time.monotonic())
            print(f"  measured {name}: {results[name]['rps']:.0f} req/s", flush=True)

        # --- publish: time until every follower has the note, while reads go on -----------------
        publish_report = []
        if not only or "publish" in only:
            hybrid_author = (
                HybridAuthor.objects.annotate(n=Count("user__follower_set"))
                .order_by("-n")
                .values_list("user_id", "n")
                .first()
            )
            fanned = (
                Profile.objects.exclude(user_id__in=HybridAuthor.objects.values("user_id"))
                .order_by("-follower_count")
                .values_list("user_id", "follower_count")
                .first()
            )
            reads = scenarios["following page"]
            background: dict[str, Any] = {}
            reader = threading.Thread(
                target=lambda: background.update(
                    run_wrk(
                        base,
                        reads,
                        duration=args.duration,
                        clients=args.clients,
                        threads=args.threads,
                    )
                )
            )
            # Followers are signed in before, and the bench notes deleted after, the measured
            # reads: the window holds the publishes, the fan-out and the followers' polls only.
            publishes = [
                Publish(label, *row)
                for label, row in (("hybrid (read-time merge)", hybrid_author), ("fan-out", fanned))
                if row is not None
            ]
            window = time.monotonic()
            reader.start()
            time.sleep(2)
            for publish in publishes:
                publish_report.append(publish.run(base))
            reader.join()
            for publish in publishes:
                publish.clean_up()
            background["rps"] = background["requests"] / background["seconds"]
            background["window"] = (window, time.monotonic())
            results["following page during publish"] = background
        floor = results["floor /api/ping"]["rps"]
        print()
        print(
            f"{'scenario':<32} {'req/s':>8} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
        for name, r in results.items():
            print(
                f"{name:<32} {r['rps']:>8.1f} {r['rps'] / floor:>7.1%} {r['p50']:>8.1f} "
                f"{r['p99']:>8.1f} {r['errors'] + r['non2xx']:>7}"
            )
        for line in publish_report:
            print(line)
        if cpu_dir:
            cpu = cpu_report(base, cpu_dir, results)
            for name, row in cpu.items():
                results[name]["cpu"] = row
        if missing:
            print("not measured (no HTTP endpoint served yet): " + ", ".join(missing))
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {"results": results, "publish": publish_report, "missing": missing}, indent=2
                )
            )
    finally:
        stop_server(server)
        if cpu_dir:
            shutil.rmtree(cpu_dir, ignore_errors=True)
    return 0


def cpu_report(
    base: str, cpu_dir: str, results: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per scenario, from the server's meter (bench/cpu_wsgi.py): CPU milliseconds per request
    (mean, p50, p99) of the requests that ended in the scenario's window, and the garbage
    collections in that window (count and CPU ms by generation, the longest)."""
    import httpx

    time.sleep(0.7)
    for _ in range(40):  # each process writes its buffer on its next request
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{base}/api/ping", timeout=5)
    requests: list[tuple[float, float, str]] = []
    collections: list[tuple[float, int, float]] = []
    for log in Path(cpu_dir).glob("*.log"):
        for line in log.read_text().splitlines():
            kind, *fields = line.split(" ", 3)
            if kind == "request":
                requests.append((float(fields[0]), float(fields[1]), fields[2]))
            elif kind == "gc":
                collections.append((float(fields[0]), int(fields[1]), float(fields[2])))
    floor_path = "/api/ping"
    out: dict[str, dict[str, Any]] = {}
    floor_mean = None
    print()
    print(
        f"{'scenario (CPU in the server)':<32} {'ms/req':>7} {'ratio':>7} {'p50':>6} {'p99':>6}"
        f" {'max':>6} {'GC n':>5} {'GC ms':>7} {'GC max':>7} {'gen2 n':>6} {'gen2 max':>8}"
    )
    for name, result in results.items():
        start, end = result["window"]
        cpu = sorted(
            spent * 1000
            for at, spent, path in requests
            if start <= at <= end and (path == floor_path) == name.startswith("floor")
        )
        gcs = [(gen, spent * 1000) for at, gen, spent in collections if start <= at <= end]
        if not cpu:
            continue
        mean = sum(cpu) / len(cpu)
        if name.startswith("floor"):
            floor_mean = mean
        gen2 = [spent for gen, spent in gcs if gen == 2]
        row = {
            "requests": len(cpu),
            "mean_ms": mean,
            "p50_ms": cpu[len(cpu) // 2],
            "p99_ms": cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))],
            "max_ms": cpu[-1],
            "gc_count": len(gcs),
            "gc_ms": sum(spent for _gen, spent in gcs),
            "gc_max_ms": max((spent for _gen, spent in gcs), default=0.0),
            "gen2_count": len(gen2),
            "gen2_max_ms": max(gen2, default=0.0),
            "seconds": end - start,
        }
        out[name] = row
        ratio = f"{floor_mean / mean:.1%}" if floor_mean else ""
        print(
            f"{name:<32} {mean:>7.2f} {ratio:>7} {row['p50_ms']:>6.2f} {row['p99_ms']:>6.2f}"
            f" {row['max_ms']:>6.1f} {row['gc_count']:>5} {row['gc_ms']:>7.1f}"
            f" {row['gc_max_ms']:>7.1f} {row['gen2_count']:>6} {row['gen2_max_ms']:>8.1f}"
        )
    print(
        "(ratio: the floor's CPU per request over the scenario's, the req/s ratio a CPU-bound"
        " server would reach)"
    )
    return out


def selected(name: str, only: set[str]) -> bool:
    """``--only`` is split at commas, so "following, longest history" is asked for as its two
    parts ("following,longest history")."""
    return name in only or all(part.strip() in only for part in name.split(","))


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop ``bridgenote serve`` and everything it started (its own process group), and make
    sure nothing is left listening."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)  # anyone of the group still there?
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)


class Publish:
    """Publish a note as ``author_id`` the way the notes app does (row, then the feeds hook,
    the fan-out job running in the server's worker) and time until every follower's Following
    feed has it: the inbox rows for a fanned-out author, the API for a sample of followers."""

    def __init__(self, label: str, author_id: int, followers: int) -> None:
        from bridgenote.accounts.models import User
        from bridgenote.engage.models import Follow
        from bridgenote.feeds.models import HybridAuthor

        self.label = label
        self.author_id = author_id
        self.followers = followers
        self.follower_ids = list(
            Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True)
        )
        sample = random.sample(self.follower_ids, min(20, len(self.follower_ids)))
        self.cookies = [sign_in(u) for u in User.objects.filter(pk__in=sample)]
        self.hybrid = HybridAuthor.objects.filter(user_id=author_id).exists()
        self.note: Any = None

    def run(self, base: str) -> str:
        import httpx
        from django.db import transaction
        from django.utils import timezone

        from bridgenote.feeds import services
        from bridgenote.feeds.models import InboxEntry
        from bridgenote.notes.models import Note

        cookies = self.cookies
        started = time.monotonic()
        with transaction.atomic():
            note = self.note = Note.objects.create(
                author_id=self.author_id,
                title="bench publish",
                language="en",
                status="published",
                moderation="published",
                visibility="public",
                media_ready=True,
                published_at=timezone.now(),
            )
            services.note_published(note=note)
        inbox_done = None
        seen: dict[int, tuple[float, float]] = {}  # follower -> (request sent, response received)
        misses: list[int] = []  # requests that did not show the note yet

        def poll(index: int) -> None:
            with httpx.Client(base_url=base, timeout=15) as client:
                while time.monotonic() - started < 30:
                    sent = time.monotonic() - started
                    response = client.get(
                        "/api/feeds/following", headers={"Cookie": cookies[index]}
                    )
                    notes = response.json().get("notes", [])
                    if any(n["id"] == str(note.pk) for n in notes):
                        seen[index] = (sent, time.monotonic() - started)
                        return
                    misses.append(index)
                    time.sleep(0.05)

        pollers = [threading.Thread(target=poll, args=(i,)) for i in range(len(cookies))]
        for thread in pollers:
            thread.start()
        expected = len(self.follower_ids) + 1
        while not self.hybrid and inbox_done is None and time.monotonic() - started < 30:
            if InboxEntry.objects.filter(note=note).count() >= expected:
                inbox_done = time.monotonic() - started
            time.sleep(0.05)
        for thread in pollers:
            thread.join()
        seen_all = None
        if len(seen) == len(cookies) and seen:
            seen_all = max(sent for sent, _received in seen.values())
            received_all = max(received for _sent, received in seen.values())
        inbox = (
            ""
            if self.hybrid
            else f", all {len(self.follower_ids)} inboxes written after {_s(inbox_done)}"
        )
        detail = (
            ""
            if seen_all is None
            else f" (responses received by {received_all:.2f} s; {len(misses)} earlier polls"
            " did not have it yet)"
        )
        return (
            f"publish by an author with {self.followers} followers, {self.label}: in the feed"
            f" of all {len(cookies)} sampled followers for requests sent {_s(seen_all)} after"
            f" publishing{detail}{inbox}"
        )

    def clean_up(self) -> None:
        from bridgenote.feeds import services

        if self.note is not None:
            services.note_unfan(note_id=self.note.pk)
            self.note.delete()


def _s(value: float | None) -> str:
    return "NOT within 30 s" if value is None else f"{value:.2f} s"


if __name__ == "__main__":
    raise SystemExit(main())
