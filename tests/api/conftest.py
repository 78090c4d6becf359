"""Shared fixtures of the API tests: each test gets its own empty media storage, as in the
media tests (the same autouse fixture), and the translate tests' fake translation server
(``llm``) with the per-process translation cache emptied around each test."""

from tests.media.conftest import _empty_media_storage  # noqa: F401
from tests.translate.conftest import (  # noqa: F401
    _fake_server,
    _forget_local_translations,
    fake,
    llm,
)
