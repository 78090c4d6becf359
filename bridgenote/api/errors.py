"""One error shape for the whole native API: ``{"error": code, "message": text}``.

The apps' routers already answer their own errors in this shape; this module covers the errors
django-ninja and Django raise before or around a view (no session, a CSRF failure, an unknown
path or method, a body that does not validate or is too large, a throttle), so that a client
never has to parse a second shape. Messages are in the caller's language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# django-ninja raises these messages (in English): a cookie-authenticated write without its
# token, and a body its parser refused.
NINJA_CSRF_MESSAGE = "CSRF check Failed"
NINJA_BODY_MESSAGE = "Cannot parse request body"

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "invalid",
    429: "rate_limited",
}


def body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def default_message(status: int) -> str:
    """The message for a status when nothing more specific is known."""
    messages = {
        400: _("The request is not valid."),
        401: _("Sign in to do this."),
        403: _("You are not allowed to do this."),
        404: _("There is nothing here, or you cannot see it."),
        405: _("This address does not accept this method."),
        413: _("The request is too large."),
        422: _("Some values are missing or not valid."),
        429: _("Too many requests. Wait a moment and try again."),
    }
    return messages.get(status, _("The request could not be completed."))


def _field_message(error_type: str) -> str:
    if error_type == "missing":
        return _("This field is required.")
    if error_type == "json_invalid":
        return _("The request body is not valid JSON.")
    if "too_long" in error_type:
        return _("This value is too long.")
    if "too_short" in error_type:
        return _("This value is too short.")
    if error_type.startswith(("greater_than", "less_than")):
        return _("This number is out of range.")
    if error_type.endswith(("_type", "_parsing")):
        return _("This value has the wrong type.")
    return _("This value is not valid.")


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    # ninja locates a body field as ("body", <parameter name>, field, ...): keep the field.
    if parts[:1] == ["body"] and len(parts) > 2:
        parts = parts[2:]
    elif len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for item in errors:
        name = _field_name(item.get("loc") or ())
        message = _field_message(str(item.get("type", "")))
        if message not in fields.setdefault(name, []):
            fields[name].append(message)
    return fields


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "A stable code: not_found, invalid..."},
        "message": {"type": "string", "description": "For people, in their language."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Per field messages (422).",
        },
    },
    "required": ["error", "message"],
}
DESCRIPTIONS = {
    400: "The body is not valid JSON",
    401: "No signed-in session",
    403: "The session's CSRF token is missing or wrong",
    404: "Not found, or not visible to you",
    413: "The body is too large",
    422: "A parameter or a body field is missing or not valid",
}


def document(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the errors that any operation may answer to the OpenAPI spec, so that a client (or
    schemathesis) knows them: 401/403 where a session is needed, 422 where there is input, 400
    and 413 where there is a body, 404 where the path names something."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = set()
            if operation.get("security"):
                statuses.add(401)
                if method != "get":
                    statuses.add(403)
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            if operation.get("requestBody"):
                statuses |= {400, 413}
            if "{" in path:
                statuses.add(404)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(
                    status, {"description": DESCRIPTIONS[status], "content": content}
                )
    return spec


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (later registrations win over ninja's defaults)."""

    def respond(request: HttpRequest, status: int, data: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, data, status=status)

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        status = exc.status_code
        code = CODES.get(status, "error")
        if isinstance(exc, Throttled):
            message = default_message(429)
        elif isinstance(exc, AuthenticationError):
            message = default_message(401)
        elif isinstance(exc, AuthorizationError):
            message = default_message(403)
        elif status == 403 and exc.message == NINJA_CSRF_MESSAGE:
            code = "csrf_failed"
            message = _("The security token is missing or wrong. Reload the page and try again.")
        elif status == 400 and exc.message.startswith(NINJA_BODY_MESSAGE):
            code = "invalid_json"
            message = _("The request body is not valid JSON.")
        else:
            # An app raised it with its own (translated) message.
            message = str(exc) or default_message(status)
        return respond(request, status, body(code, message))

    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        fields = validation_fields(list(exc.errors))
        message = _("Some values are missing or not valid: %(fields)s.") % {
            "fields": ", ".join(fields)
        }
        return respond(request, 422, body("invalid", message, fields=fields))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 404, body("not_found", default_message(404)))

    def on_too_large(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 413, body("too_large", default_message(413)))

    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(NinjaValidationError, on_validation_error)
    api.add_exception_handler(Http404, on_not_found)
    for too_large in (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        api.add_exception_handler(too_large, on_too_large)


def _error_response(status: int) -> JsonResponse:
    return JsonResponse(
        body(CODES[status], default_message(status)),
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def with_json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method it does not route with a bare 405: give it the shared shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response["Allow"]
            response = _error_response(405)
            response["Allow"] = allow
        return response

    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under /api/ that no router serves."""
    return _error_response(404)


def wrap_urls(
    urls: list[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in urls:
        if isinstance(pattern, URLPattern):
            # ninja's root view only exists to be reversed; it raises an HTML 404.
            callback = not_found if pattern.name == "api-root" else pattern.callback
            pattern = URLPattern(
                pattern.pattern, with_json_405(callback), pattern.default_args, pattern.name
            )
        wrapped.append(pattern)
    # Last: everything else under the API's prefix is a JSON 404, not the HTML page.
    wrapped.append(re_path(r"^(?P<rest>.*)$", not_found))
    return wrapped
