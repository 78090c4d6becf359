"""``normalize`` for many texts at once, with numpy: what makes ``Matcher.scan_many`` fast.

Python's regex engine and ``str.translate`` cost 50-100 ns per character, which is most of
the time of scanning a short note. Here the texts are joined with ``SEPARATOR``, turned into
an array of code points, and every step of ``normalize`` but one runs as array operations:

- ``_`` counts as a space;
- the gaps between Han characters (runs of one to three "noise" characters, neither letter,
  digit, underscore, line break nor ``。``, with a Han character on each side) are removed;
- each character is folded through a table of ``normalize.fold`` for every character of the
  Basic Multilingual Plane and the emoji planes (built once per process, ~0.3 s).

What the arrays cannot do is marked instead, and the caller scans those texts one by one
with ``normalize`` itself: a character whose fold is several characters or is not in the
table (it becomes ``UNSURE``), and three or more spaced-out single letters (``s e x``, found
with ``normalize``'s own hint pattern). Everything else is, character for character, what
``normalize`` gives each text (a Hypothesis test compares them).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np

from bridgenote.moderation import normalize as _n

MARK = "\uffff"  # between two texts; a noncharacter, and it folds to itself
UNSURE = "\ufffe"  # stands for a character the tables cannot fold: scan that text alone
# Line breaks stop every step that looks at neighbours (Han gaps, spaced letters) from
# reaching into the next text; the spaces are what ``normalize``'s hint pads a text with.
SEPARATOR = f" \n{MARK}\n "
_DELETE = -1
_MANY = -2  # folds to several characters, or was not precomputed


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any, Any]:
    """(is Han, is noise, fold) for every code point: built once (~3 s of CPU, the larger
    part of a worker's one-time cost), then loaded from ``normalize.cache_file`` (~0.05 s)."""
    path = _n.cache_file("tables", ".npz")
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as saved:
                return saved["han"], saved["noise"], saved["fold"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged file: build again and overwrite it
    han, noise, fold = _build_tables()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez(partial, han=han, noise=noise, fold=fold)
            os.replace(partial, path)  # atomic: a concurrent reader sees all or nothing
        except OSError:
            pass
    return han, noise, fold


def _build_tables() -> tuple[Any, Any, Any]:
    size = 0x110000
    han = np.zeros(size, dtype=bool)
    for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF)):
        han[lo : hi + 1] = True
    everything = "".join(map(chr, range(size)))
    # ``[^\w\n。]``: the regex engine's ``\w`` is ``str.isalnum`` or ``_`` (one pass with
    # ``map`` instead of a regex match per character: 0.1 s instead of ~2 s).
    noise = ~np.fromiter(map(str.isalnum, everything), dtype=bool, count=size)
    noise[[ord("_"), ord("\n"), ord("。")]] = False
    fold = np.full(size, _MANY, dtype=np.int32)
    fold[:0x80] = np.frombuffer(
        "".join(map(chr, range(0x80))).lower().replace("_", " ").encode("ascii"), dtype=np.uint8
    )
    for lo, hi in _n._PRECOMPUTED:
        for cp in range(max(lo, 0x80), hi + 1):
            char = chr(cp)
            if 0xD800 <= cp <= 0xDFFF:
                fold[cp] = cp  # a lone surrogate: ``normalize`` leaves it as it is
                continue
            folded = _n._fold_one(char) if _n._UNSTABLE.match(char) else char
            folded = folded.lower().replace("_", " ")
            if folded == "":
                fold[cp] = _DELETE
            elif len(folded) == 1:
                fold[cp] = ord(folded)
    for char in (MARK, UNSURE):
        fold[ord(char)] = _MANY if char == UNSURE else ord(char)
    return han, noise, fold


def normalize_joined(joined: str) -> tuple[str, Any, list[int]]:
    """``normalize`` of each part of ``joined`` (texts joined with ``SEPARATOR``), spaced
    letters left as they are, with ``UNSURE`` for characters the tables cannot fold; the
    positions of ``MARK`` in the result (where each text's part ends); and positions in the
    result whose part must be normalised alone (``UNSURE``, or two single letters close
    together, which ``normalize`` may join: a superset of its ``_SPACED_HINT``)."""
    han, noise, fold = _tables()
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = np.where(cps == 0x5F, np.uint32(0x20), cps)  # "_" counts as a space
    is_noise = noise[cps]
    if is_noise.any():
        edges = np.diff(is_noise.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)  # exclusive
        ok = (ends - starts <= 3) & (starts > 0) & (ends < len(cps))
        starts, ends = starts[ok], ends[ok]
        ok = han[cps[starts - 1]] & han[cps[ends]]
        starts, ends = starts[ok], ends[ok]
        if starts.size:
            step = np.zeros(len(cps) + 1, dtype=np.int8)
            step[starts] = 1
            step[ends] = -1
            cps = cps[np.cumsum(step[:-1]) == 0]
    folded = fold[cps]
    folded = folded[folded != _DELETE]
    unsure = folded == _MANY
    folded[unsure] = ord(UNSURE)
    # Single letters (noise on both sides; the ends count as noise, as the hint's padding).
    around = np.concatenate(([True], noise[folded], [True]))
    single = (folded >= 0x61) & (folded <= 0x7A) & around[:-2] & around[2:]
    letters = np.flatnonzero(single)
    close = letters[1:][letters[1:] - letters[:-1] <= 4]
    alone = np.concatenate((np.flatnonzero(unsure), close)).tolist()
    text = folded.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    return text, np.flatnonzero(folded == ord(MARK)), alone
