from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers, and how the job queue stands."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # any database error means "not ready"
        healthy = False
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    if healthy:
        queue = DBTaskResult.objects.all()
        checks["jobs"] = {
            "ok": True,
            "ready": queue.filter(status="READY").count(),
            "running": queue.filter(status="RUNNING").count(),
            "failed": queue.filter(status="FAILED").count(),
        }
    return JsonResponse({"ok": healthy, "checks": checks}, status=200 if healthy else 503)
