"""Schemathesis over the native API's OpenAPI spec, in process (Django's WSGI handler), signed
in as a normal user who has notes, comments, a board and followers: no operation answers 500,
and every answer conforms to the spec (documented status, content type and body schema).

Bounded for CI: a few examples per operation (SCHEMATHESIS_EXAMPLES raises it locally)."""

import os
import secrets

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from bridgenote.api.api import api
from bridgenote.engage import services as engage
from bridgenote.notes.services import note_create
from bridgenote.notify.models import Notification
from tests.api.test_mastodon_routes import ready_image
from tests.factories import UserFactory, ava, liwei

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))


@pytest.fixture
def some_data():
    """A user with notes, a comment thread, a board, follows both ways and a notification."""
    me, other = ava(), liwei()
    notes = [
        note_create(
            author=author, title=f"Tea {n}", body="#tea", attachment_ids=[ready_image(author).pk]
        )
        for n, author in enumerate([me, other, other])
    ]
    engage.follow_create(follower=me, followee=other)
    engage.follow_create(follower=other, followee=me)
    engage.like_create(user=me, note=notes[1])
    comment = engage.comment_create(author=me, note=notes[1], body="Looks good")
    engage.comment_create(author=other, note=notes[0], body="谢谢")
    Notification.objects.create(recipient=me, actor=UserFactory(), verb="follow", tab="follows")
    return {"me": me, "notes": notes, "comment": comment}


@pytest.fixture
def signed_in(some_data):
    """Headers of a browser session of ``me``: its session cookie and a matching CSRF token."""
    client = Client()
    client.force_login(some_data["me"])
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "headers": {"X-CSRFToken": csrf},
    }


def operations() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) of every operation in the spec, read when the tests are collected:
    valid data for each, and data outside the spec for those that take any input."""
    spec = api.get_openapi_schema()
    found = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if op.get("parameters") or op.get("requestBody"):
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI handler itself, whose request signals close "old" database
    connections: on PostgreSQL (no persistent connections in tests) that would close the test's
    own connection in the middle of its transaction. Django's test client detaches the same
    handlers while it runs a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def native_schema(django_db_setup, django_db_blocker):
    # Fetching the spec goes through the whole middleware stack, which may read the (test)
    # database or its cache table: allowed here, once the test database exists.
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


def not_an_undocumented_server_error(ctx, response, case):
    """``not_a_server_error``, but for a 503 the operation documents: "translation is not set
    up on this site" or "storage unavailable" are deliberate answers in the shared error
    shape (checked by ``response_schema_conformance``), not crashes. A 500 always fails."""
    documented = case.operation.definition.raw.get("responses", {})
    if response.status_code == 503 and (503 in documented or "503" in documented):
        return None
    return not_a_server_error(ctx, response, case)


POSITIVE_CHECKS = [
    not_an_undocumented_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Data outside the schema may be refused with any documented error; it must still not be a 500
# and still be answered in the shared shape.
NEGATIVE_CHECKS = [
    not_an_undocumented_server_error,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "mode"), operations(), ids=lambda v: str(v))
def test_no_500_and_answers_follow_the_spec(native_schema, signed_in, method, path, mode):
    operation = native_schema[path][method]
    checks = POSITIVE_CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(**signed_in)
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    try:
        run()
    except Unsatisfiable:
        # Every value fits the spec (a free-text path parameter): there is no invalid input.
        assert mode == GenerationMode.NEGATIVE
    # The session works: valid requests are not all refused for want of it.
    if mode == GenerationMode.POSITIVE:
        assert set(statuses) - {401, 403}, statuses
