from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def note_texts(viewer: Any, note_id: int) -> dict[str, str]:
    """The texts of a note the viewer may see, for translation; 404 otherwise."""
    from django.shortcuts import get_object_or_404

    from bridgenote.notes.models import Note

    note = get_object_or_404(Note.objects.visible_to(viewer), pk=note_id)
    texts = {"title": note.title, "body": note.body}
    if note.has_alt:  # the author's second-language version
        texts["alt_title"] = note.alt_title
        texts["alt_body"] = note.alt_body
    for position, attachment in enumerate(note.attachments.order_by("noteattachment__position")):
        texts[f"alt{position}"] = attachment.alt_text
    return texts


class NotesConfig(AppConfig):
    name = "bridgenote.notes"
    label = "notes"

    def ready(self) -> None:
        from bridgenote.translate.registry import register

        register("note", note_texts)
