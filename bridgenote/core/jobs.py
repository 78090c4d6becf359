"""Background jobs: enqueue only once the surrounding transaction has committed.

A job that runs before its row is committed would not find it, and a job enqueued by a
transaction that rolls back would act on data that never existed. Services call
``enqueue_on_commit``; views and services never call ``task.enqueue`` directly.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` with the arguments after the current transaction commits."""
    transaction.on_commit(functools.partial(task.enqueue, *args, **kwargs))
