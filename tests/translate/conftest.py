from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.translate.fakes import FakeTranslator


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeTranslator]:
    fake = FakeTranslator().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(_fake_server: FakeTranslator) -> Iterator[FakeTranslator]:
    """The fake translation server, reset to a faithful model for each test."""
    _fake_server.mode = "faithful"
    _fake_server.delay = 0.0
    _fake_server.requests.clear()
    yield _fake_server
    _fake_server.delay = 0.0


@pytest.fixture
def llm(settings: Any, fake: FakeTranslator) -> FakeTranslator:
    """Bridgenote configured with the OpenAI-compatible provider pointing at the fake."""
    settings.TRANSLATE_PROVIDER = "openai"
    settings.TRANSLATE_URL = fake.url + "/v1"
    settings.TRANSLATE_MODEL = "fake-llm"
    settings.TRANSLATE_API_KEY = "sk-test"
    settings.TRANSLATE_TIMEOUT_MS = 3000
    return fake


@pytest.fixture(autouse=True)
def _forget_local_translations() -> Iterator[None]:
    """The per-process translation LRU never leaks from one test to the next."""
    from bridgenote.translate.services import _local

    _local.clear()
    yield
    _local.clear()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in English unless a test switches language itself."""
    from django.utils import translation

    with translation.override("en"):
        yield
