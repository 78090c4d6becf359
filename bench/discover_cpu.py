"""CPU time per Discover request in one process, independent of other load on the machine.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/discover_cpu.py / 40 7
    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/discover_cpu.py /api/feeds/discover 40 7

Signs in ``2n`` sampled viewers (random seed ``seed``; signing in stores their Discover
state) and sends ``path`` through Django's test client, reporting ``time.process_time()`` per
request: the first request in this process of ``n`` viewers whose state was then marked stale
(as a like does: the request recomputes it), of ``n`` viewers whose state is stored (read back),
the second request of all of them, and 30 requests of one viewer (warm), with the Python calls
per warm request. Run it against a generated dataset (bench/generate.py); it only reads, apart
from the sessions it signs in and the Discover states it stores.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import random
import sys
import time
from typing import Any

from load import django_setup, sign_in


def main() -> int:
    path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    django_setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from bridgenote.accounts.models import User
    from bridgenote.feeds import ranking
    from bridgenote.feeds.services import viewer_changed

    settings.ALLOWED_HOSTS = ["*"]
    random.seed(seed)
    ids = list(User.objects.values_list("id", flat=True))
    users = list(User.objects.filter(pk__in=random.sample(ids, 2 * n + 1)))
    cookies = [dict(part.split("=", 1) for part in sign_in(u).split("; ")) for u in users]
    client = Client()

    def get(cookie: dict[str, str]) -> None:
        client.cookies.clear()
        for name, value in cookie.items():
            client.cookies[name] = value
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: status {response.status_code}")

    def cpu_ms(batch: list[Any]) -> float:
        # Long-lived objects out of the collector, as the server does (bridgenote/wsgi.py):
        # otherwise a batch pays full collections over whatever the previous one left.
        gc.collect()
        gc.freeze()
        start = time.process_time()
        for cookie in batch:
            get(cookie)
        return 1000 * (time.process_time() - start) / len(batch)

    get(cookies[-1])  # the process loads the pool, templates and connections
    get(cookies[-1])
    with transaction.atomic():
        for user in users[:n]:
            viewer_changed(user_id=user.pk)
    ranking.forget_parsed_states()  # as in a process that has not seen these viewers
    stale = cpu_ms(cookies[:n])
    stored = cpu_ms(cookies[n : 2 * n])
    second = cpu_ms(cookies[: 2 * n])
    warm = cpu_ms([cookies[0]] * 30)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(20):
        get(cookies[0])
    profile.disable()
    calls = pstats.Stats(profile).total_calls // 20
    print(
        f"{path}: first request of {n} viewers, state stale {stale:.1f} ms CPU,"
        f" state stored {stored:.1f} ms; second {second:.1f} ms; warm {warm:.1f} ms"
        f" ({calls} calls)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
