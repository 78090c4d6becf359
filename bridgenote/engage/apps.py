from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def comment_texts(viewer: Any, comment_id: int) -> dict[str, str]:
    """The text of a comment the viewer may see, for translation; 404 otherwise."""
    from django.http import Http404

    from bridgenote.engage.errors import NotFound
    from bridgenote.engage.queries import comment_for_translation

    try:
        comment = comment_for_translation(viewer, comment_id)
    except NotFound:
        raise Http404 from None
    return {"body": comment.body}


class EngageConfig(AppConfig):
    name = "bridgenote.engage"
    label = "engage"

    def ready(self) -> None:
        from bridgenote.translate.registry import register

        register("comment", comment_texts)
