"""Precompiled ORM queries for the feeds' hot paths.

Building and compiling a queryset costs far more Python than running its (indexed) SQL: a
Following page spent most of its time in ``Query.clone``, ``build_filter`` and ``as_sql``. Here
a query is written once with the ORM (so the visibility rules stay those of the notes and
engage apps), compiled once per process with sentinel arguments, and afterwards executed as
plain SQL with the real arguments put where the sentinels were. Rows come back as tuples in the
order of the ``values_list`` fields.

    by_author = Precompiled(lambda a, b: Note.objects.filter(author_id=a, id__lt=b)
                            .order_by("-id").values_list("id", flat=True)[:20])
    ids = [row[0] for row in by_author.rows(a=viewer_id, b=cursor)]

Arguments are integers (ids, cursors) or strings (a token checksum, a session key: compared
as they are, so not through a lookup that rewrites them, such as ``iexact`` or ``contains``,
which is refused at compile time). A list argument is compiled once per length (use
``padded`` to keep the number of lengths small: a list padded with its own first value selects
nothing more). Arguments named in ``static`` (a LIMIT, a flag) are passed to the builder as they
are and compiled once per value.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet

_SENTINEL_BASE = -7_770_000_000_000_000
_STRING = "str"  # the compile key of a string argument


class Precompiled:
    def __init__(
        self,
        build: Callable[..., QuerySet[Any]],
        *,
        static: Sequence[str] = (),
        using: str = "default",
    ) -> None:
        self.build = build
        self.using = using
        self.static = frozenset(static)
        self.names = list(inspect.signature(build).parameters)
        self._compiled: dict[tuple[Any, ...], tuple[str, list[Any], list[Any]]] = {}
        self._lock = threading.Lock()

    def _compile(self, key: tuple[Any, ...]) -> tuple[str, list[Any], list[Any]]:
        # sentinel -> (argument, list index)
        slots: dict[int | str, tuple[int, int | None]] = {}
        args: list[Any] = []
        next_value = _SENTINEL_BASE
        for position, (name, size) in enumerate(zip(self.names, key, strict=True)):
            if name in self.static:
                args.append(size)  # the value itself
            elif size == _STRING:
                sentinel = f"\x00precompiled-argument-{position}\x00"
                slots[sentinel] = (position, None)
                args.append(sentinel)
            elif size is None:
                slots[next_value] = (position, None)
                args.append(next_value)
                next_value -= 1
            else:
                values = []
                for index in range(size):
                    slots[next_value] = (position, index)
                    values.append(next_value)
                    next_value -= 1
                args.append(values)
        queryset = self.build(*args)
        compiler = queryset.query.get_compiler(self.using)
        sql, params = compiler.as_sql()
        # The fields' converters (SQLite datetimes and booleans, JSON), as the ORM applies them.
        converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )
        template: list[Any] = []
        for param in params:
            # A sentinel becomes its (argument, index) slot; anything else stays a constant.
            if isinstance(param, int | str) and not isinstance(param, bool) and param in slots:
                template.append(slots[param])
            else:
                template.append(_Constant(param))
        missing = set(slots) - set(params)
        if missing:
            raise ValueError("an argument does not reach the SQL (was it folded away?)")
        return sql, template, list(converters.items())

    def rows(self, **kwargs: Any) -> list[tuple[Any, ...]]:
        values = [kwargs[name] for name in self.names]
        key = tuple(
            v
            if name in self.static
            else (
                len(v) if isinstance(v, list | tuple) else (_STRING if isinstance(v, str) else None)
            )
            for name, v in zip(self.names, values, strict=True)
        )
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(key)
                self._compiled[key] = compiled
        sql, template, converters = compiled
        params = [
            slot.value
            if isinstance(slot, _Constant)
            else (values[slot[0]] if slot[1] is None else values[slot[0]][slot[1]])
            for slot in template
        ]
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for position, (functions, expression) in converters:
                value = values[position]
                for function in functions:
                    value = function(value, expression, connection)
                values[position] = value
            out.append(tuple(values))
        return out


class _Constant:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def padded(values: Sequence[int], sizes: Sequence[int]) -> list[int]:
    """``values`` padded (with their first value) to the smallest of ``sizes`` that fits."""
    for size in sizes:
        if len(values) <= size:
            return list(values) + [values[0]] * (size - len(values))
    return list(values)
