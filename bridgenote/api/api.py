"""The native JSON API (django-ninja). Each domain app contributes a router in ``<app>/api.py``."""

from __future__ import annotations

from ninja import NinjaAPI

from bridgenote import __version__

api = NinjaAPI(
    title="Bridgenote API",
    version=__version__,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


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
