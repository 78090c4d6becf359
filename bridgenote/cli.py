"""The ``bridgenote`` command.

bridgenote serve [--host H] [--port P] [--workers N] [--threads T]
                                                      web server (granian, WSGI) + job worker
bridgenote worker                                     a background job worker + periodic jobs
bridgenote init                                       migrate, prepare, load the demo once
bridgenote demo                                       load the demo community
bridgenote <django command> ...                       any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
    import django

    django.setup()


def default_workers() -> int:
    """A web process per core this process may use (at most 4)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bridgenote serve", description="Serve Bridgenote.")
    parser.add_argument("--host", default=os.environ.get("BRIDGENOTE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BRIDGENOTE_PORT", "8000")))
    # One process per core (Python runs one thread at a time per process), few threads each:
    # more threads add GIL hand-offs, not throughput (docs/performance.md, "Tail latency").
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BRIDGENOTE_WORKERS", str(default_workers()))),
        help="web processes (default: one per CPU core, at most 4)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("BRIDGENOTE_THREADS", "2")),
        help="request threads per web process (default 2)",
    )
    parser.add_argument("--no-worker", action="store_true", help="do not start the job worker")
    parser.add_argument(
        "--app",
        default="bridgenote.wsgi:application",
        help="the WSGI application (module:attribute; bench/load.py --cpu wraps it in a meter)",
    )
    args = parser.parse_args(argv)

    _django_setup()
    from django.conf import settings

    from bridgenote.search.services import repair_at_start

    # A search reindex killed half-way left the full-text index without upkeep: restore it.
    repair_at_start()

    web = [
        sys.executable, "-m", "granian",
        "--interface", "wsgi",
        "--host", args.host,
        "--port", str(args.port),
        "--workers", str(args.workers),
        "--blocking-threads", str(args.threads),
        "--no-ws",
        args.app,
    ]  # fmt: skip
    children = [subprocess.Popen(web)]  # noqa: S603
    if settings.EMBEDDED_WORKER and not args.no_worker:
        nice = str(settings.EMBEDDED_WORKER_NICE)
        worker = [sys.executable, "-m", "bridgenote.cli", "worker", "--nice", nice]
        children.append(subprocess.Popen(worker))  # noqa: S603
    print(f"Bridgenote is serving at http://{args.host}:{args.port}/", flush=True)

    def stop(signum: int, frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Supervise: if one child dies, stop the other, so the command never half-runs.
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop(signal.SIGTERM, None)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return max((child.returncode or 0) for child in children)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        return serve(argv[1:])
    if argv and argv[0] == "worker":
        argv = ["worker", "--interval", "0.5", *argv[1:]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bridgenote", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
