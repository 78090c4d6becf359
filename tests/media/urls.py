"""The project's URLs plus a bare compose form holding the uploader, for browser tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from bridgenote.media.queries import attachments_for_owner
from bridgenote.urls import urlpatterns as project_urlpatterns

PAGE = """{% extends "web/base.html" %}
{% block content %}
<form method="post" class="form" id="compose">{% csrf_token %}
  {% include "media/_uploader.html" with attachments=attachments cover_id=cover_id %}
  <button type="submit">Post</button>
</form>
{% endblock %}"""


def compose(request: HttpRequest) -> HttpResponse:
    attachments, cover_id, errors = [], "", []
    if request.method == "POST":
        # A submission that fails server-side: the page re-renders what was uploaded.
        attachments = attachments_for_owner(
            owner=request.user, attachment_ids=request.POST.getlist("attachment_ids")
        )
        cover_id, errors = request.POST.get("cover_id", ""), ["The title is too long."]
    template = engines["django"].from_string(PAGE)
    context = {
        "nav": "post",
        "attachments": attachments,
        "cover_id": cover_id,
        "media_errors": errors,
    }  # fmt: skip  (the include passes media_errors through)
    return HttpResponse(template.render(context, request))


urlpatterns = [path("test-compose/", compose), *project_urlpatterns]
