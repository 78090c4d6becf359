from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from bridgenote.core.i18n import compile_catalogues

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Each test starts in English: a request that activated Chinese in an earlier test on
    the same thread must not change the messages this one compares."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Rate limits and cached values never leak from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def database_cache(settings: Any) -> None:
    """The embedded default's cache, Django's DatabaseCache (rate limits then count in the
    ``core.RateCount`` table)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bridgenote_test_cache",
        }
    }


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("BRIDGENOTE_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; the browser tests are skipped without it."""
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); browser test skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Any]:
    """New browser pages, each in its own context (its own cookies), with a locale."""
    contexts = []

    def make(locale: str = "en-US", **options: Any) -> Any:
        context = browser.new_context(locale=locale, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def login(live_server: Any) -> Any:
    """Sign a browser page in as ``user`` without the sign-up UI (for journeys that start later)."""
    from django.conf import settings
    from django.test import Client

    def sign_in(page: Any, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in
