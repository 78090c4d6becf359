from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class NoteTexts(dict[str, str]):
    """A note's texts; the photos' alt texts (``alt0``, ``alt1``...) are read only when one
    is asked for, so translating a title or body costs no attachment query."""

    def __init__(self, note: Any, texts: dict[str, str]) -> None:
        super().__init__(texts)
        self.note = note

    def __missing__(self, key: str) -> str:
        if self.note is None or not (key.startswith("alt") and key[3:].isdigit()):
            raise KeyError(key)
        attachments = self.note.attachments.order_by("noteattachment__position")
        for position, attachment in enumerate(attachments):
            self[f"alt{position}"] = attachment.alt_text
        self.note = None  # loaded: a photo still missing does not exist
        if key not in self:
            raise KeyError(key)
        return self[key]


def note_texts(viewer: Any, note_id: int) -> NoteTexts:
    """The texts of a note the viewer may see, for translation; 404 otherwise."""
    from django.http import Http404

    from bridgenote.notes.queries import visible_note

    note = visible_note(note_id, viewer)  # the rules of visible_to, for one note, cheaply
    if note is None:
        raise Http404
    texts = {"title": note.title, "body": note.body}
    if note.has_alt:  # the author's second-language version
        texts["alt_title"] = note.alt_title
        texts["alt_body"] = note.alt_body
    return NoteTexts(note, texts)


class NotesConfig(AppConfig):
    name = "bridgenote.notes"
    label = "notes"

    def ready(self) -> None:
        from bridgenote.translate.registry import register

        register("note", note_texts)
