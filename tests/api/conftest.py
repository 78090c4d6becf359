"""Shared fixtures of the API tests: each test gets its own empty media storage, as in the
media tests (the same autouse fixture)."""

from tests.media.conftest import _empty_media_storage  # noqa: F401
