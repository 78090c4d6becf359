"""The route table of the Mastodon client API: every route, its method, view and scope.

One table, so that it can be compared with Mastodon's route list and so that the tests can
walk it (every route is checked with a token that lacks its scope).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.csrf import csrf_exempt

from bridgenote.api.mastodon.auth import Grant, authenticate, scope_allows
from bridgenote.api.mastodon.http import ApiError, error

View = Callable[..., HttpResponse]

PUBLIC = "public"  # no token needed (a token, if sent, must be valid and have the scope)
USER = "user"  # a token of a signed-in user with the scope
APP = "app"  # any token with the scope, including an app-only token


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    view: View
    scope: str | None = None
    access: str = USER


def dispatch(routes: list[Route]) -> View:
    by_method = {route.method: route for route in routes}

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        route = by_method.get(request.method or "")
        if route is None:
            response = error(ApiError(405, "Method not allowed"))
            response["Allow"] = ", ".join(sorted(by_method))
            return response
        try:
            _check_body_size(request)
            if any("\x00" in str(value) for value in kwargs.values()):
                # No stored name or ID contains a NUL, and PostgreSQL refuses it in a query.
                raise ApiError(404, "Record not found")
            grant = authenticate(request)
            if route.access != PUBLIC:
                if grant is None:
                    raise ApiError(401, "The access token is invalid")
                if route.access == USER and grant.user is None:
                    raise ApiError(422, "This method requires an authenticated user")
                if route.scope and not scope_allows(grant.scopes, route.scope):
                    raise ApiError(403, "This action is outside the authorized scopes")
            elif grant is not None and route.scope and not scope_allows(grant.scopes, route.scope):
                # A public route with a scope checks it when a token is sent (Mastodon's
                # authorize_if_got_token!).
                raise ApiError(403, "This action is outside the authorized scopes")
            request.grant = grant  # type: ignore[attr-defined]
            return route.view(request, **kwargs)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            return error(ApiError(413, "Request body is too large"))
        except ApiError as exc:
            return error(exc)

    return view


def _check_body_size(request: HttpRequest) -> None:
    """A body over the upload limit is refused on every route, read or not (files in a
    multipart body have their own limits, in the media app)."""
    if (request.content_type or "").startswith("multipart/"):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "Invalid Content-Length") from None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise ApiError(413, "Request body is too large")


FREQUENT_RESOURCES = ("timelines", "statuses", "notifications", "accounts", "markers")


def urlpatterns_for(routes: list[Route], prefix: str = "") -> list[URLPattern | URLResolver]:
    """One URL pattern (and its trailing-slash twin) per path of ``routes``, relative to
    ``prefix``: the route table's paths are written in full, and the URL conf includes each
    API version's patterns under its prefix, so a request outside it tests one prefix instead
    of every route (bench/urls_bench.py)."""
    grouped: dict[str, list[Route]] = defaultdict(list)
    for route in routes:
        if not route.path.startswith(prefix):
            raise ValueError(f"{route.path} is not under {prefix}")
        grouped[route.path.removeprefix(prefix)].append(route)
    # A second level by the first segment (accounts, statuses, timelines...): a request tests
    # a dozen resource names, then the few routes of its own. A resource's own path (e.g.
    # ``api/v1/markers``) is a pattern beside its include.
    patterns: list[URLPattern | URLResolver] = []
    by_resource: dict[str, list[URLPattern]] = defaultdict(list)
    for route_path, group in grouped.items():
        resource, _slash, rest = route_path.partition("/")
        view = dispatch(group)
        # Rails routes ignore a trailing slash, and some clients (Mastodon.py) send one.
        twins = [path(rest or resource, view), path(f"{rest or resource}/", view)]
        (by_resource[resource].extend if rest else patterns.extend)(twins)
    # Clients poll these most (home, statuses, notifications); the resources are disjoint, so
    # their order changes only how many are tested first.
    first = [r for r in FREQUENT_RESOURCES if r in by_resource]
    order = first + [r for r in by_resource if r not in first]
    return [*(path(f"{r}/", include(by_resource[r])) for r in order), *patterns]


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A path under /api/v1 or /api/v2 that no route serves: JSON, as Mastodon answers."""
    return error(ApiError(404, "Record not found"))


def grant_of(request: HttpRequest) -> Grant | None:
    return getattr(request, "grant", None)
