"""Hypothesis over every route of the Mastodon route table (api/mastodon/urls.py), with a valid
token of a user who has data: random and malformed query parameters, form, multipart and JSON
bodies, oversized bodies, unknown, foreign and used ``media_ids``, forged and malformed IDs.
Never a 500; every error is ``{"error": "..."}`` with a sensible 4xx.

The tests are generated from ``ROUTES``, so a route added to the table is covered at once.
Bounded for CI: MASTODON_FUZZ_EXAMPLES examples per route (default 8)."""

import json
import os
import re
import secrets
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bridgenote.api.mastodon import http
from bridgenote.api.mastodon.urls import ROUTES
from bridgenote.engage.services import comment_create, follow_create
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from bridgenote.notify.models import Notification
from tests.api.test_mastodon_routes import bearer, oauth_app, ready_image  # noqa: F401
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MASTODON_FUZZ_EXAMPLES", "8"))
# Small limits so that an oversized body costs little to generate.
BODY_LIMIT = 16 * 1024
SENSIBLE_4XX = {400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429}

# Parameter names Mastodon clients send (and a few they should not).
PARAM_NAMES = [
    "status", "media_ids", "in_reply_to_id", "visibility", "language", "spoiler_text",
    "sensitive", "scheduled_at", "poll", "max_id", "since_id", "min_id", "limit", "id", "acct",
    "q", "resolve", "following", "types", "exclude_types", "account_id", "description", "focus",
    "file", "thumbnail", "display_name", "note", "locked", "bot", "discoverable", "source",
    "fields_attributes", "home", "notifications", "timeline", "local", "remote", "only_media",
    "offset", "type", "lang", "reblogs", "notify", "with_dismissed", "any", "all", "none",
    "grouped_types", "title", "context", "expires_in", "irreversible", "whole_word", "keyword",
    "comment", "category", "rule_ids", "status_ids", "forward", "uri", "exclude_unreviewed",
]  # fmt: skip

GARBAGE_IDS = [
    "0", "-1", "1.5", "1e3", "99999999999999999999", "9223372036854775807",
    "9223372036854775808", "abc", "🌸", "李伟", " 1", "1 ", "0x10", "null", "undefined",
    "%00", "..", "<script>", "' OR 1=1 --", "１２３",
]  # fmt: skip

scalar_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from([*GARBAGE_IDS, "", "true", "false", "public", "private", "direct", "en"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    scalar_text,
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(PARAM_NAMES) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
param_name = st.sampled_from(PARAM_NAMES) | st.text(min_size=1, max_size=12)


@pytest.fixture
def world(settings, monkeypatch, bearer):  # noqa: F811
    """``me`` (the token's user) with notes, media, a comment thread and notifications, and
    ``other`` with a public note, a private note and private comments, media and notifications.
    Every ID of both is in the pool the examples draw from."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    monkeypatch.setattr(http, "MAX_JSON_BODY", BODY_LIMIT)
    me, other = ava(), liwei()
    follow_create(follower=me, followee=other)
    mine = note_create(author=me, title="Tea", body="#tea", attachment_ids=[ready_image(me).pk])
    public = note_create(
        author=other, title="Oolong", body="#tea", attachment_ids=[ready_image(other).pk]
    )
    private = note_create(
        author=other, title="Secret", body="#tea", attachment_ids=[ready_image(other).pk],
        visibility=Note.Visibility.PRIVATE,
    )  # fmt: skip
    my_comment = comment_create(author=me, note=public, body="Nice", check_rate=False)
    hidden_comment = comment_create(author=other, note=private, body="shh", check_rate=False)
    their_comment = comment_create(author=other, note=mine, body="谢谢", check_rate=False)
    free_media, their_media = ready_image(me), ready_image(other)
    used_media = mine.attachments.get()
    my_notification = Notification.objects.create(
        recipient=me, actor=UserFactory(), verb="follow", tab="follows"
    )
    their_notification = Notification.objects.create(
        recipient=other, actor=UserFactory(), verb="follow", tab="follows"
    )
    ids = [
        me.pk, other.pk, mine.pk, public.pk, private.pk, my_comment.pk, hidden_comment.pk,
        their_comment.pk, free_media.pk, their_media.pk, used_media.pk,
        my_notification.pk, their_notification.pk,
    ]  # fmt: skip
    return {
        "headers": bearer(me, "read write follow push"),
        "ids": [str(i) for i in ids],
        "handles": [me.handle, other.handle, "tea", "TEA", "nobody"],
        "media": [str(free_media.pk), str(their_media.pk), str(used_media.pk)],
    }


PATH_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def path_names(route) -> list[str]:
    """The names of a route's path parameters (``<str:status_id>``, ``<int:id>``, ``<id>``)."""
    return PATH_PARAM.findall(route.path)


def request_strategy(route, world):
    known_ids = st.sampled_from(world["ids"] + world["handles"])
    path_value = st.one_of(known_ids, known_ids, st.sampled_from(GARBAGE_IDS), st.text(max_size=20))
    names = path_names(route)
    media_ids = st.lists(
        st.sampled_from(world["media"]) | st.sampled_from(GARBAGE_IDS) | known_ids, max_size=20
    )
    value = st.one_of(scalar_text, known_ids, media_ids)
    query = st.lists(
        st.tuples(param_name, st.one_of(scalar_text, known_ids))
        | st.tuples(param_name.map(lambda n: f"{n}[]"), scalar_text)
        | st.tuples(st.just("media_ids[]"), st.sampled_from(world["media"])),
        max_size=6,
    )
    form = st.dictionaries(param_name | param_name.map(lambda n: f"{n}[]"), value, max_size=6)
    numeric_media_ids = media_ids.map(
        lambda ids: [int(i) for i in ids if i.isascii() and i.isdigit()]
    )
    json_object = st.dictionaries(
        param_name, st.one_of(json_value, known_ids, media_ids, numeric_media_ids), max_size=6
    )
    body = st.one_of(
        st.tuples(st.just("none"), st.none()),
        st.tuples(st.just("form"), form),
        st.tuples(st.just("json"), json_object),
        st.tuples(st.just("json-any"), json_value),
        st.tuples(st.just("bytes"), st.binary(max_size=64)),
        st.tuples(st.just("multipart"), st.tuples(form, st.binary(max_size=256))),
        st.tuples(st.just("huge-json"), st.none()),
        st.tuples(st.just("huge-form"), st.none()),
    )
    return st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries(dict.fromkeys(names, path_value)),
            "query": query,
            "body": body,
            "idempotency": st.none() | st.text(max_size=40),
        }
    )


def send(client, route, example, headers):
    url = "/" + route.path
    url = PATH_PARAM.sub(lambda m: quote(example["path"][m.group(1)], safe=""), url)
    if example["query"]:
        url += "?" + urlencode(example["query"])
    extra = dict(headers)
    if example["idempotency"] is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = (
            example["idempotency"].encode("utf-8", "replace").decode("latin-1")
        )
    kind, data = example["body"]
    method = getattr(client, route.method.lower())
    if kind == "none" or route.method == "GET":
        return method(url, **extra)
    if kind == "form":
        form = "application/x-www-form-urlencoded"
        return method(url, urlencode(data, doseq=True), content_type=form, **extra)
    if kind in {"json", "json-any"}:
        return method(url, json.dumps(data), content_type="application/json", **extra)
    if kind == "bytes":
        return method(url, data, content_type="application/json", **extra)
    if kind == "multipart":
        fields, blob = data
        payload = {**fields, "file": SimpleUploadedFile("x.jpg", blob, content_type="image/jpeg")}
        boundary = "BoUnDaRy" + secrets.token_hex(4)
        multipart = f"multipart/form-data; boundary={boundary}"
        return method(url, encode_multipart(boundary, payload), content_type=multipart, **extra)
    if kind == "huge-json":
        big = json.dumps({"status": "x" * (BODY_LIMIT + 10), "media_ids": ["1"]})
        return method(url, big, content_type="application/json", **extra)
    assert kind == "huge-form"
    big = urlencode({"status": "x" * (BODY_LIMIT + 10)})
    return method(url, big, content_type="application/x-www-form-urlencoded", **extra)


def check(response):
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response.status_code in SENSIBLE_4XX, (response.status_code, response.content)
        assert response["Content-Type"].startswith("application/json"), response.content[:300]
        data = response.json()
        assert isinstance(data, dict), data
        assert isinstance(data.get("error"), str) and data["error"], data
    elif response.status_code != 204 and response.content:
        json.loads(response.content)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_random_and_malformed_requests_never_fail_and_errors_are_mastodon_errors(
    client, world, route
):
    @given(example=request_strategy(route, world))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(example):
        check(send(client, route, example, world["headers"]))

    run()


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if r.method in {"POST", "PUT", "PATCH"}],
    ids=lambda r: f"{r.method} {r.path}",
)
@pytest.mark.parametrize("kind", ["huge-json", "huge-form"])
def test_every_write_route_refuses_an_oversized_body_with_413(client, world, route, kind):
    example = {"path": {}, "query": [], "body": (kind, None), "idempotency": None}
    for name in path_names(route):
        example["path"][name] = world["ids"][2]  # my own note
    response = send(client, route, example, world["headers"])
    check(response)
    assert response.status_code == 413, response.content[:300]
    assert response.json() == {"error": "Request body is too large"}
