from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page."""
    return {"site_name": settings.SITE_NAME, "debug": settings.DEBUG}
