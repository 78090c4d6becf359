from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bridgenote.core.net import client_ip


class ClientIPMiddleware:
    """Sets ``request.client_ip`` once, from the trusted-proxy rules in ``core.net``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client_ip = client_ip(request)  # type: ignore[attr-defined]
        return self.get_response(request)
