"""Which objects can be translated: a registry of kinds, filled by the apps that own them.

An app registers a *kind* once, in its ``AppConfig.ready()``::

    from bridgenote.translate.registry import register

    def note_texts(viewer, object_id):
        note = get_object_or_404(Note.objects.visible_to(viewer), pk=object_id)
        return {"title": note.title, "body": note.body}

    register("note", note_texts)

The resolver returns the text fields ``viewer`` may see (a mapping of field name -> text,
looked up with ``[]``, so a ``dict`` subclass with ``__missing__`` can load rarely asked
fields only when asked) and raises
Http404 (or ObjectDoesNotExist) for an object the viewer may not see. Every translate and
pinyin endpoint for objects (``/translate/o/<kind>/<id>/<field>/`` and the API's
``/api/translate/objects/...``) goes through it, so authorization lives with the owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

Resolver = Callable[[Any, int], Mapping[str, str]]

_kinds: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver, *, replace: bool = False) -> None:
    """Make objects of ``kind`` translatable. Kinds are short slugs: "note", "comment"."""
    if not kind.replace("_", "").isalnum() or not kind.islower():
        raise ValueError(f"translate kind {kind!r} must be a lower-case slug")
    if kind in _kinds and not replace and _kinds[kind] is not resolver:
        raise ValueError(f"translate kind {kind!r} is already registered")
    _kinds[kind] = resolver


def unregister(kind: str) -> None:
    _kinds.pop(kind, None)


def kinds() -> list[str]:
    return sorted(_kinds)


def resolve(kind: str, viewer: Any, object_id: int, field: str) -> str:
    """The text of ``field`` of object ``object_id`` of ``kind``, as ``viewer`` may see it.

    Raises Http404 for an unknown kind or field, and for anything the resolver hides.
    """
    resolver = _kinds.get(kind)
    if resolver is None:
        raise Http404("unknown kind")
    try:
        fields = resolver(viewer, object_id)
    except ObjectDoesNotExist as exc:
        raise Http404("not found") from exc
    try:
        text = fields[field]  # [] rather than get(): a resolver may load some fields lazily
    except (KeyError, ObjectDoesNotExist) as exc:
        raise Http404("unknown field") from exc
    if not isinstance(text, str):
        raise Http404("unknown field")
    return text
