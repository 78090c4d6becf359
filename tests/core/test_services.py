"""The PostgreSQL + Redis configuration, run for real when CI names the servers."""

import os
import threading

import pytest
from django.core.cache import cache, caches
from django.db import connection

pytestmark = pytest.mark.skipif(
    not os.environ.get("BRIDGENOTE_TEST_DATABASE_URL"),
    reason="BRIDGENOTE_TEST_DATABASE_URL / BRIDGENOTE_TEST_REDIS_URL not set",
)


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


def test_the_cache_is_redis_and_increments_atomically():
    assert type(caches["default"]).__module__.startswith("django_redis")
    cache.set("counter", 0)

    def bump():
        for _ in range(200):
            cache.incr("counter")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("counter") == 800
