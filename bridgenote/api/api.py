"""The native JSON API (django-ninja). Each domain app contributes a router in ``<app>/api.py``."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from bridgenote import __version__
from bridgenote.api import errors


class BridgenoteAPI(NinjaAPI):
    """Every error, including ninja's own 404 and 405, in the shared shape (api/errors.py)."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        return errors.wrap_urls(super()._get_urls())

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        spec = super().get_openapi_schema(**kwargs)
        errors.document(spec)
        return spec


api = BridgenoteAPI(
    title="Bridgenote API",
    version=__version__,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)


@api.get("/ping", tags=["meta"], auth=None)
def ping(request: object) -> dict[str, str]:
    """A trivial endpoint; the benchmarks use it as the floor for every other figure."""
    return {"pong": "ok"}


api.add_router("/media", "bridgenote.media.api.router")
api.add_router("/notes", "bridgenote.notes.api.router")
api.add_router("/translate", "bridgenote.translate.api.router")
api.add_router("/engage", "bridgenote.engage.api.router")
api.add_router("/notifications", "bridgenote.notify.api.router")
api.add_router("/feeds", "bridgenote.feeds.api.router")
api.add_router("/search", "bridgenote.search.api.router")
