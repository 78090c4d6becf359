"""The Bridgenote WSGI application with a CPU meter, for ``bench/load.py --cpu``.

On a shared 2-core machine wall-clock latency mostly measures the other processes; the CPU
time a request costs (``time.thread_time()`` of the thread that served it) and the garbage
collector's pauses do not depend on them. Each web process appends one line per request,
``request <monotonic> <cpu seconds> <path>``, and one per collection, ``gc <monotonic>
<generation> <cpu seconds>``, to ``$BRIDGENOTE_BENCH_CPU_DIR/<pid>.log`` (buffered, flushed at
most every half second); the load runner reads them per scenario.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from bridgenote.wsgi import application as _application

_DIR = os.environ.get("BRIDGENOTE_BENCH_CPU_DIR", "")
_lock = threading.Lock()
_lines: list[str] = []
_flushed = [time.monotonic()]
_gc_started: dict[int, float] = {}


def _flush(now: float) -> None:
    with _lock:
        lines, _lines[:] = list(_lines), []
        _flushed[0] = now
    if lines and _DIR:
        with open(os.path.join(_DIR, f"{os.getpid()}.log"), "a") as out:
            out.write("".join(lines))


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    ident = threading.get_ident()
    if phase == "start":
        _gc_started[ident] = time.thread_time()
    elif ident in _gc_started:
        spent = time.thread_time() - _gc_started.pop(ident)
        _lines.append(f"gc {time.monotonic():.4f} {info['generation']} {spent:.6f}\n")


gc.callbacks.append(_on_gc)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    started = time.thread_time()
    try:
        return _application(environ, start_response)
    finally:
        spent = time.thread_time() - started
        now = time.monotonic()
        path = environ.get("PATH_INFO", "") + ("?" if environ.get("QUERY_STRING") else "")
        _lines.append(f"request {now:.4f} {spent:.6f} {path}\n")
        if now - _flushed[0] > 0.5:
            _flush(now)
