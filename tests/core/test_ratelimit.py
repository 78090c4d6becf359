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
def test_hit_counts_on_the_database_cache_too(settings):
    # The embedded default: DatabaseCache (exact for sequential hits; see the module docstring).
    from django.core.cache import caches
    from django.core.management import call_command

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "ratelimit_test_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    assert type(caches["default"]).__name__ == "DatabaseCache"
    decisions = [ratelimit.hit("t:db", limit=2, window=60).allowed for _ in range(3)]
    assert decisions == [True, True, False]
