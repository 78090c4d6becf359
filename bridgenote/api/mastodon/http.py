"""Wire details Mastodon clients depend on: bodies, errors, IDs, times, pagination."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import HttpRequest, HttpResponse, QueryDict

MAX_JSON_BODY = 1024 * 1024


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with an HTTP status, as Mastodon does."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(data), status=status, content_type="application/json; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(exc: ApiError) -> HttpResponse:
    return respond({"error": exc.message, **exc.extra}, status=exc.status)


class Params:
    """Request parameters from the query string, a form body or a JSON body, as clients send
    all three. Array parameters may be named ``media_ids[]`` or ``media_ids``."""

    def __init__(self, request: HttpRequest) -> None:
        self._query = request.GET
        self._form: QueryDict | None = None
        self._json: dict[str, Any] = {}
        content_type = request.content_type or ""
        if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            if content_type == "application/json":
                if len(request.body) > MAX_JSON_BODY:
                    raise ApiError(413, "Request body is too large")
                try:
                    body = json.loads(request.body or b"{}")
                except (ValueError, UnicodeDecodeError):
                    raise ApiError(400, "The request body is not valid JSON") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "The request body must be a JSON object")
                self._json = body
            elif request.method == "POST":
                self._form = request.POST
            else:
                self._form = _form_body(request)

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._json:
            return self._json[name]
        if self._form is not None and name in self._form:
            return self._form.get(name)
        return self._query.get(name, default)

    def text(self, name: str, default: str = "", max_length: int = 10_000) -> str:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str | int | float):
            raise ApiError(422, f"Validation failed: {name} must be a string")
        value = str(value)
        if "\x00" in value:
            raise ApiError(422, f"Validation failed: {name} contains a NUL character")
        if len(value) > max_length:
            raise ApiError(422, f"Validation failed: {name} is too long (maximum {max_length})")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"1", "true", "on", "yes"}

    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int = 2**62) -> int:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ApiError(422, f"Validation failed: {name} must be a number") from None
        return max(minimum, min(maximum, number))

    def id(self, name: str) -> int | None:
        """An ID parameter (a string of digits); None when absent, 422 when malformed."""
        value = self.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 19:
            raise ApiError(422, f"Validation failed: {name} is not a valid ID")
        return int(value)

    def list(self, name: str, max_items: int = 100) -> list[str]:
        values: list[Any]
        for key in (f"{name}[]", name):
            if key in self._json:
                raw = self._json[key]
                values = raw if isinstance(raw, list) else [raw]
                break
            if self._form is not None and key in self._form:
                values = self._form.getlist(key)
                break
            if key in self._query:
                values = self._query.getlist(key)
                break
        else:
            return []
        if len(values) > max_items:
            raise ApiError(422, f"Validation failed: too many {name}")
        return [str(v) for v in values]


def _form_body(request: HttpRequest) -> QueryDict:
    """Django parses form bodies only for POST; clients send PATCH and PUT forms too."""
    if (request.content_type or "").startswith("multipart/"):
        method = request.method
        request.method = "POST"
        try:
            request._load_post_and_files()
        finally:
            request.method = method
        return request.POST
    return QueryDict(request.body, encoding=request.encoding)


def parse_id(value: str) -> int:
    """A path ID; anything that is not a plausible ID is simply not found."""
    if not value.isdigit() or len(value) > 19:
        raise ApiError(404, "Record not found")
    return int(value)


def isotime(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as Mastodon sends: 2025-01-14T10:03:22.123Z."""
    if moment is None:
        return None
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def isodate(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT00:00:00.000Z")


def page_bounds(params: Params, *, default_limit: int = 20, max_limit: int = 40) -> dict[str, Any]:
    """``max_id`` / ``since_id`` / ``min_id`` / ``limit`` as Mastodon defines them."""
    return {
        "max_id": params.id("max_id"),
        "since_id": params.id("since_id"),
        "min_id": params.id("min_id"),
        "limit": params.integer("limit", default_limit, minimum=1, maximum=max_limit),
    }


def link_header(request: HttpRequest, ids: Sequence[int] | Iterable[int]) -> dict[str, str]:
    """The ``Link`` header for a page whose items have these IDs (newest first)."""
    ids = list(ids)
    if not ids:
        return {}
    base = request.build_absolute_uri(request.path)
    keep = {k: v for k, v in request.GET.lists() if k not in {"max_id", "since_id", "min_id"}}

    def url(**bound: int) -> str:
        query = [(k, v) for k, values in keep.items() for v in values]
        query += [(k, str(v)) for k, v in bound.items()]
        return f"{base}?{urlencode(query)}"

    return {"Link": f'<{url(max_id=min(ids))}>; rel="next", <{url(min_id=max(ids))}>; rel="prev"'}
