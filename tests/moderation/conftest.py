from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridgenote.moderation import rulesets
from bridgenote.moderation.rules import forget_matcher


@pytest.fixture(autouse=True)
def fresh_matcher(settings: pytest.FixtureRequest) -> Iterator[None]:
    """Each test sees exactly the rules it created (the database is rolled back between tests,
    the per-process matcher is not)."""
    settings.MODERATION_RULES_CHECK_SECONDS = 0  # type: ignore[attr-defined]
    forget_matcher()
    yield
    forget_matcher()


@pytest.fixture
def starter(db: None) -> rulesets.ImportReport:
    """The realistic starter list, loaded."""
    report = rulesets.parse(rulesets.STARTER.read_text(encoding="utf-8"))
    assert not report.errors
    return rulesets.rules_import(report=report)


@pytest.fixture
def reason_templates(db: None) -> None:
    """The reason templates the data migration creates. A transactional test elsewhere on the
    same worker flushes the tables, migration data included, so tests that use them ask."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("bridgenote.moderation.migrations.0002_reason_templates")
    migration.add_templates(apps, None)
    importlib.import_module(
        "bridgenote.moderation.migrations.0007_reason_templates_any_content"
    ).any_content(apps, None)
