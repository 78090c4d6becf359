"""CPU time per Discover request in one process, independent of other load on the machine.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/discover_cpu.py / 40 7
    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/discover_cpu.py /api/feeds/discover 40 7

Signs in ``n`` sampled viewers (random seed ``seed``) and sends ``path`` through Django's test
client: the first request of each viewer in this process, the second, and 30 requests of one
viewer (warm), reporting ``time.process_time()`` per request and Python calls per warm request.
Run it against a generated dataset (bench/generate.py); it only reads, apart from the sessions
it signs in and the Discover states it stores.
"""

from __future__ import annotations

import cProfile
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
    from django.test import Client

    from bridgenote.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    random.seed(seed)
    ids = list(User.objects.values_list("id", flat=True))
    users = list(User.objects.filter(pk__in=random.sample(ids, n + 1)))
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
        start = time.process_time()
        for cookie in batch:
            get(cookie)
        return 1000 * (time.process_time() - start) / len(batch)

    get(cookies[-1])  # the process loads the pool, templates and connections
    get(cookies[-1])
    first = cpu_ms(cookies[:n])
    second = cpu_ms(cookies[:n])
    warm = cpu_ms([cookies[0]] * 30)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(20):
        get(cookies[0])
    profile.disable()
    calls = pstats.Stats(profile).total_calls // 20
    print(
        f"{path}: first request of {n} viewers {first:.1f} ms CPU, second {second:.1f} ms,"
        f" warm {warm:.1f} ms ({calls} calls)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
