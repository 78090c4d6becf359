"""Settings for the test suite: the real settings module, with test-only overrides.

Set BRIDGENOTE_TEST_DATABASE_URL (postgres://...) and BRIDGENOTE_TEST_REDIS_URL (redis://...)
to run the whole suite against real PostgreSQL and Redis servers, as CI does.
"""

import os
import tempfile

os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "test-only-secret-key-not-for-production-use")
os.environ.setdefault("BRIDGENOTE_DATA_DIR", tempfile.mkdtemp(prefix="bridgenote-test-"))
# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
if os.environ.get("BRIDGENOTE_TEST_DATABASE_URL"):
    os.environ["BRIDGENOTE_DATABASE_URL"] = os.environ["BRIDGENOTE_TEST_DATABASE_URL"]
if os.environ.get("BRIDGENOTE_TEST_REDIS_URL"):
    # Each pytest-xdist worker gets its own Redis database, since tests clear the cache.
    _base, _, _db = os.environ["BRIDGENOTE_TEST_REDIS_URL"].rpartition("/")
    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    os.environ["BRIDGENOTE_CACHE_URL"] = f"{_base}/{int(_db or 0) + _worker}"

from bridgenote.conf.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Jobs run inline, when the transaction that enqueued them commits.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if not os.environ.get("BRIDGENOTE_TEST_REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
