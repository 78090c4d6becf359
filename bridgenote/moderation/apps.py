from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def case_texts(viewer: Any, case_id: int) -> dict[str, str]:
    """The texts of a moderation case, for the console's one-tap translation: moderators and
    staff only (everyone else: 404, as for the console itself). Held content is included,
    which ``Note.objects.visible_to`` would hide from a moderator."""
    from django.http import Http404

    from bridgenote.moderation.models import ModerationCase
    from bridgenote.moderation.services import note_texts

    if not (getattr(viewer, "is_moderator", False) or getattr(viewer, "is_staff", False)):
        raise Http404
    case = (
        ModerationCase.objects.select_related("note", "comment", "account__profile")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    if case.note is not None:
        # Slug field names only (the translate URLs take slugs): image alt texts as alt0...
        return {
            field.replace("alt_text:", "alt").replace("_", "-"): text
            for field, text, _language in note_texts(case.note)
        }
    if case.comment is not None:
        return {"body": case.comment.body}
    profile = getattr(case.account, "profile", None)
    return {"body": (profile.bio_pending or profile.bio) if profile else ""}


class ModerationConfig(AppConfig):
    name = "bridgenote.moderation"
    label = "moderation"

    def ready(self) -> None:
        from bridgenote.translate.registry import register

        register("moderation_case", case_texts)
