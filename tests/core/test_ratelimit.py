import threading

import pytest

from bridgenote.core import ratelimit


def test_hit_allows_up_to_the_limit_then_refuses():
    decisions = [ratelimit.hit("t:a", limit=3, window=60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert 1 <= decisions[3].retry_after <= 60


def test_hit_keys_are_independent():
    for _ in range(2):
        ratelimit.hit("t:a", limit=2, window=60)
    assert not ratelimit.hit("t:a", limit=2, window=60).allowed
    assert ratelimit.hit("t:b", limit=2, window=60).allowed


def test_hit_window_expiry_allows_again(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    ratelimit.hit("t:w", limit=1, window=10)
    refused = ratelimit.hit("t:w", limit=1, window=10)
    assert not refused.allowed
    assert refused.retry_after == 10
    now[0] += 10
    assert ratelimit.hit("t:w", limit=1, window=10).allowed


def test_peek_does_not_count():
    for _ in range(5):
        assert ratelimit.peek("t:p", limit=1, window=60).allowed
    ratelimit.hit("t:p", limit=1, window=60)
    assert not ratelimit.peek("t:p", limit=1, window=60).allowed


def test_reset_forgets_attempts():
    ratelimit.hit("t:r", limit=1, window=60)
    ratelimit.reset("t:r", window=60)
    assert ratelimit.hit("t:r", limit=1, window=60).allowed


def test_hit_accepts_any_key_text():
    assert ratelimit.hit("sms:+8613800138000:李伟 🌸 2001:db8::1", limit=1, window=60).allowed


def test_hit_rejects_nonsense_arguments():
    with pytest.raises(ValueError):
        ratelimit.hit("t:x", limit=1, window=0)


def test_too_many_requests_has_retry_after():
    decision = ratelimit.Decision(allowed=False, retry_after=42, remaining=0)
    response = ratelimit.too_many_requests(decision, "Slow down")
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.content.decode() == "Slow down"


def test_hit_is_exact_under_threads_on_an_atomic_cache():
    # locmem (tests) and Redis (CI) increment atomically: 40 racing hits, exactly 10 allowed.
    results = []

    def worker():
        for _ in range(4):
            results.append(ratelimit.hit("t:race", limit=10, window=60).allowed)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 10


@pytest.mark.django_db
def test_hit_counts_in_one_statement_on_the_database_cache(database_cache):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bridgenote.core.models import RateCount

    with CaptureQueriesContext(connection) as queries:
        decisions = [ratelimit.hit("t:db", limit=2, window=60) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert [d.remaining for d in decisions] == [1, 0, 0]
    assert 1 <= decisions[2].retry_after <= 60
    assert len(queries) == 3  # one UPSERT per hit, no transaction of its own
    assert list(RateCount.objects.values_list("count", flat=True)) == [3]  # refusals count


@pytest.mark.django_db
def test_database_counts_peek_reset_and_windows(database_cache, monkeypatch):
    from bridgenote.core.models import RateCount

    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.peek("t:p", limit=1, window=10).allowed
    assert ratelimit.hit("t:p", limit=1, window=10).allowed
    assert not ratelimit.peek("t:p", limit=1, window=10).allowed
    refused = ratelimit.hit("t:p", limit=1, window=10)
    assert not refused.allowed and refused.retry_after == 10
    ratelimit.reset("t:p", window=10)
    assert ratelimit.hit("t:p", limit=1, window=10).allowed
    assert ratelimit.hit("t:other", limit=1, window=10).allowed  # keys are independent
    now[0] += 10  # the next window: allowed again, and the ended window's rows can go
    assert ratelimit.hit("t:p", limit=1, window=10).allowed
    assert ratelimit.prune() == 2
    assert RateCount.objects.count() == 1


@pytest.mark.django_db
def test_database_counts_join_the_callers_transaction(database_cache):
    from django.db import transaction

    from bridgenote.core.models import RateCount

    with pytest.raises(RuntimeError), transaction.atomic():
        ratelimit.hit("t:tx", limit=5, window=60)
        raise RuntimeError("the caller's transaction fails")
    assert not RateCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_database_counts_are_exact_under_threads(database_cache):
    # 40 racing hits from 8 threads, each with its own connection: exactly 10 allowed.
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a database file or PostgreSQL (see tests/core/test_writes)")
    results: list[bool] = []

    def worker():
        try:
            for _ in range(5):
                results.append(ratelimit.hit("t:dbrace", limit=10, window=60).allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 40
    assert results.count(True) == 10
