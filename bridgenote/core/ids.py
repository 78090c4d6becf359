"""Time-sortable 64-bit identifiers (as Mastodon and Twitter use).

Layout: 47 bits of milliseconds since 2025-01-01 UTC, 6 bits of a per-process node number
and 10 bits of a per-millisecond sequence. IDs sort by creation time, so "newer than X"
cursors are plain integer comparisons, and they fit in a signed BIGINT.
"""

from __future__ import annotations

import secrets
import threading
import time

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
_NODE_BITS = 6
_SEQ_BITS = 10
_SEQ_MASK = (1 << _SEQ_BITS) - 1

_lock = threading.Lock()
_node = secrets.randbelow(1 << _NODE_BITS)
_last_ms = 0
_seq = 0


def new_id() -> int:
    """A new unique, time-ordered ID."""
    global _last_ms, _seq
    with _lock:
        now = int(time.time() * 1000) - EPOCH_MS
        if now <= _last_ms:
            now = _last_ms
            _seq = (_seq + 1) & _SEQ_MASK
            if _seq == 0:
                # 1,024 IDs in one millisecond: borrow the next millisecond.
                now += 1
        else:
            _seq = secrets.randbelow(1 << (_SEQ_BITS - 2))
        _last_ms = now
        return (now << (_NODE_BITS + _SEQ_BITS)) | (_node << _SEQ_BITS) | _seq


def id_at(timestamp: float) -> int:
    """The smallest ID that could have been made at ``timestamp`` (seconds since 1970)."""
    return (int(timestamp * 1000) - EPOCH_MS) << (_NODE_BITS + _SEQ_BITS)


def id_time(value: int) -> float:
    """When ``value`` was made, in seconds since 1970."""
    return ((value >> (_NODE_BITS + _SEQ_BITS)) + EPOCH_MS) / 1000
