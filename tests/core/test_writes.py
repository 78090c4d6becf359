"""``core.writes.write_transaction``: an atomic block, and writers queue one after another."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from bridgenote.core.writes import write_transaction
from bridgenote.engage.models import Mute
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_commits_and_rolls_back_like_atomic() -> None:
    a, b, c = UserFactory(handle="wa"), UserFactory(handle="wb"), UserFactory(handle="wc")
    with write_transaction():
        Mute.objects.create(muter=a, muted=b)
    with pytest.raises(RuntimeError), write_transaction():
        Mute.objects.create(muter=a, muted=c)
        raise RuntimeError("refused")
    assert list(Mute.objects.values_list("muted__handle", flat=True)) == ["wb"]


def test_writers_queue_instead_of_overlapping() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the queue is SQLite's")
    spans: list[tuple[str, float, float]] = []
    entered = threading.Event()

    def writer(name: str, hold: float) -> None:
        try:
            with write_transaction():
                start = time.monotonic()
                entered.set()
                time.sleep(hold)
                spans.append((name, start, time.monotonic()))
        finally:
            connection.close()

    first = threading.Thread(target=writer, args=("first", 0.3))
    first.start()
    entered.wait(5)
    second = threading.Thread(target=writer, args=("second", 0.0))
    second.start()
    first.join(10)
    second.join(10)
    by_name: dict[str, Any] = {name: (start, end) for name, start, end in spans}
    assert set(by_name) == {"first", "second"}
    assert by_name["second"][0] >= by_name["first"][1]  # started after the first committed
