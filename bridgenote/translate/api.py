"""The native JSON API for translation and learner aids, mounted at /api/translate.

Errors always have the shape {"error": code, "message": text in the caller's language}.
Writes and translations need a signed-in session and its CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import BaseModel

from bridgenote.translate import dictionary, queries, services
from bridgenote.translate.engine import TranslationResult, provider_label
from bridgenote.translate.models import WordListEntry
from bridgenote.translate.providers import available_targets, get_provider
from bridgenote.translate.registry import resolve
from bridgenote.translate.services import TranslationError, WordListError

router = Router(tags=["translate"])


class Error(Schema):
    error: str
    message: str


class TranslateIn(Schema):
    text: str
    target: str = ""
    source: str | None = None


class TranslateObjectIn(Schema):
    target: str = ""


class TranslationOut(Schema):
    text: str
    original: str
    target: str
    translated: bool
    provider: str
    model: str
    label: str
    cached: bool


class Language(Schema):
    code: str
    name: str


class LanguagesOut(Schema):
    provider: str
    model: str
    label: str
    can_translate: bool
    targets: list[Language]
    attribution: str


class AnnotateIn(Schema):
    text: str


class TokenOut(BaseModel):
    # A plain pydantic model: ninja's Schema runs a Django-aware validator per object, which
    # costs more than the annotation itself for the ~600 tokens of a long note.
    text: str
    pinyin: list[str]
    gloss: str


class EntryOut(Schema):
    simplified: str
    traditional: str
    pinyin: str
    definitions: list[str]


class GlossOut(Schema):
    word: str
    pinyin: str
    entries: list[EntryOut]


class WordIn(Schema):
    word: str


class WordOut(Schema):
    word: str
    pinyin: str
    gloss: str
    saved_at: datetime


def _error(status: int, code: str, message: str) -> Status[dict[str, str]]:
    return Status(status, {"error": code, "message": message})


def _signed_in(request: HttpRequest) -> Status[dict[str, str]] | None:
    """None when the request comes from a signed-in session with a valid CSRF token."""
    if not request.user.is_authenticated:
        return _error(401, "not_authenticated", _("Log in to use this."))
    if check_csrf(request) is not None:
        return _error(403, "csrf_failed", _("The form expired. Reload the page and try again."))
    return None


def _translation(result: TranslationResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "original": result.original,
        "target": result.target,
        "translated": result.translated,
        "provider": result.provider,
        "model": result.model,
        "label": result.label,
        "cached": result.cached,
    }


def _translate(request: HttpRequest, text: str, target: str, source: str | None) -> Any:
    wanted = queries.viewer_target(request, target)
    if target and services.normalise_target(target) == "":
        return _error(
            422,
            "unsupported_target",
            _("Translation into this language is not available on this site."),
        )
    try:
        result = services.translate_text(
            text=text, target=wanted, source=source, rate_key=lambda: queries.rate_key(request)
        )
    except TranslationError as error:
        return _error(error.status, error.code, error.message)
    return Status(200, _translation(result))


@router.get("/languages", response=LanguagesOut, auth=None)
def languages(request: HttpRequest) -> dict[str, Any]:
    """What this instance can translate into, and who translates."""
    provider = get_provider()
    return {
        "provider": provider.name,
        "model": provider.model,
        "label": provider_label(provider.name, provider.model),
        "can_translate": provider.can_translate,
        "targets": [
            {"code": code, "name": str(queries.TARGET_NAMES[code])} for code in available_targets()
        ],
        "attribution": str(dictionary.ATTRIBUTION),
    }


@router.post(
    "/text",
    response={
        200: TranslationOut,
        401: Error,
        403: Error,
        413: Error,
        422: Error,
        429: Error,
        503: Error,
    },
)
def translate_text(request: HttpRequest, payload: TranslateIn) -> Any:
    """Translate any text for the signed-in user (the parts not already in ``target``)."""
    refused = _signed_in(request)
    if refused:
        return refused
    return _translate(request, payload.text, payload.target, payload.source)


@router.post(
    "/objects/{kind}/{object_id}/{field}",
    response={
        200: TranslationOut,
        403: Error,
        404: Error,
        413: Error,
        422: Error,
        429: Error,
        503: Error,
    },
)
def translate_object(
    request: HttpRequest, kind: str, object_id: int, field: str, payload: TranslateObjectIn
) -> Any:
    """Translate one field of an object the caller may see (kinds: see /languages docs)."""
    if request.user.is_authenticated and check_csrf(request) is not None:
        return _error(403, "csrf_failed", _("The form expired. Reload the page and try again."))
    try:
        text = resolve(kind, request.user, object_id, field)
    except Http404:
        return _error(404, "not_found", _("This does not exist, or you cannot see it."))
    return _translate(request, text, payload.target, None)


@router.post("/annotate", response={200: list[TokenOut], 413: Error})
def annotate(request: HttpRequest, payload: AnnotateIn) -> Any:
    """Pinyin (tone marks, one per character) and a short gloss for each Chinese word."""
    try:
        services.check_length(payload.text)
    except TranslationError as error:
        return _error(error.status, error.code, error.message)
    tokens = [
        {"text": token.text, "pinyin": token.pinyin, "gloss": token.gloss}
        for token in dictionary.annotate(payload.text)
    ]
    # Serialised directly (same shape as TokenOut): a long note has ~600 tokens, and the
    # generic response path costs ten times the annotation itself.
    return HttpResponse(orjson.dumps(tokens), content_type="application/json")


@router.get("/gloss", response={200: GlossOut, 400: Error})
def gloss(request: HttpRequest, word: str) -> Any:
    """CC-CEDICT entries for a Chinese word (or for its longest known parts)."""
    word = word.strip()
    if not dictionary.is_chinese_word(word) or len(word) > dictionary.MAX_WORD:
        return _error(400, "invalid_word", _("Give one Chinese word."))
    entries = [
        {
            "simplified": entry.simplified,
            "traditional": entry.traditional,
            "pinyin": entry.pinyin,
            "definitions": list(entry.definitions),
        }
        for entry in dictionary.gloss(word)
    ]
    return Status(200, {"word": word, "pinyin": dictionary.pinyin_of(word), "entries": entries})


@router.get("/words", response={200: list[WordOut], 401: Error, 403: Error})
def words(request: HttpRequest) -> Any:
    """The signed-in user's word list, newest first."""
    if not request.user.is_authenticated:
        return _error(401, "not_authenticated", _("Log in to use this."))
    return Status(200, list(WordListEntry.objects.of(request.user)[:1000]))


@router.post("/words", response={201: WordOut, 400: Error, 401: Error, 403: Error})
def word_save(request: HttpRequest, payload: WordIn) -> Any:
    refused = _signed_in(request)
    if refused:
        return refused
    try:
        entry = services.wordlist_save(user=request.user, word=payload.word)  # type: ignore[arg-type]
    except WordListError as error:
        return _error(400, error.code, error.message)
    return Status(201, entry)


@router.delete("/words/{word}", response={204: None, 401: Error, 403: Error, 404: Error})
def word_remove(request: HttpRequest, word: str) -> Any:
    refused = _signed_in(request)
    if refused:
        return refused
    if not services.wordlist_remove(user=request.user, word=word):  # type: ignore[arg-type]
        return _error(404, "not_found", _("This word is not in your list."))
    return Status(204, None)
