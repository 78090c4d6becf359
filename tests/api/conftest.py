"""Shared fixtures of the API tests: each test gets its own empty media storage, as in the
media tests (the same autouse fixture), and the translate tests' fake translation server
(``llm``) with the per-process translation cache emptied around each test."""

import pytest

from tests.media.conftest import _empty_media_storage  # noqa: F401
from tests.translate.conftest import (  # noqa: F401
    _fake_server,
    _forget_local_translations,
    fake,
    llm,
)


@pytest.fixture(autouse=True)
def _forget_feeds_memory() -> None:
    """The feeds app keeps some values (trending topics) in process memory for a few seconds:
    never across tests (the shared cache is emptied by the root conftest)."""
    from bridgenote.feeds import localcache

    localcache.clear()
