"""Translating statuses through the translate app, and what it can translate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bridgenote.accounts.models import Profile
from bridgenote.api.mastodon.http import ApiError, Params, error, respond
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.statuses import note_or_comment
from bridgenote.api.mastodon.statuses_json import content_html, status_text
from bridgenote.core.text import detect_language
from bridgenote.notes.models import Note, NoteAttachment
from bridgenote.translate import services as translate
from bridgenote.translate.engine import provider_label
from bridgenote.translate.providers import available_targets, get_provider

# What a client is told translated a note that has the author's own second-language version.
AUTHOR_PROVIDER = gettext_lazy("its author")


def enabled() -> bool:
    """Whether a machine translation provider is configured (not only the dictionary)."""
    return bool(available_targets())


def translation_languages(request: HttpRequest) -> HttpResponse:
    """``{source: [targets]}``: every language the provider reads, into each target this
    instance offers (empty without a provider)."""
    targets = available_targets()
    if not targets:
        return respond({})
    sources = sorted(get_provider().languages)
    return respond({src: [t for t in targets if t != src] for src in sources})


def _target(request: HttpRequest) -> str:
    """``lang`` when given, else the user's interface language, else English."""
    params = Params(request)
    asked = params.text("lang", max_length=16).strip()
    if asked:
        target = translate.normalise_target(asked)
        if not target or target not in available_targets():
            raise ApiError(422, _("Translation into this language is not available on this site."))
        return target
    grant = grant_of(request)
    profile = Profile.objects.filter(user=grant.user).first() if grant and grant.user else None
    return translate.normalise_target(profile.ui_language if profile else "") or "en"


def _translate(request: HttpRequest, text: str, target: str) -> translate.TranslationResult:
    grant = grant_of(request)
    rate_key = f"user:{grant.user.pk}" if grant and grant.user else None
    return translate.translate_text(text=text, target=target, rate_key=rate_key)


def status_translate(request: HttpRequest, status_id: str) -> HttpResponse:
    """``POST /statuses/:id/translate``: the Translation entity of a note (title line and
    body) or a comment, with its image descriptions. A note whose author wrote a version in
    the target language is answered with that version; everything else goes through the
    translate app (its cache, limits and provider)."""
    item = note_or_comment(request, status_id)
    target = _target(request)
    source = item.language or ""
    attachments: list[Any] = []
    if isinstance(item, Note):
        attachments = [
            link.attachment
            for link in NoteAttachment.objects.filter(note=item)
            .select_related("attachment")
            .order_by("position")
        ]
        if item.has_alt and item.alt_language == target and item.language != target:
            return respond(
                _entity(
                    content_html(item.alt_title, item.alt_body),
                    source or detect_language(status_text(item)),
                    str(AUTHOR_PROVIDER),
                    [(a.pk, a.alt_text) for a in attachments],
                )
            )
        text = status_text(item)
    else:
        text = item.body
    try:
        result = _translate(request, text, target)
        descriptions = [
            (a.pk, _translate(request, a.alt_text, target).text if a.alt_text else "")
            for a in attachments
        ]
    except translate.TranslationError as exc:
        response = error(ApiError(exc.status, exc.message))
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    detected = source or detect_language(text) or "und"
    return respond(
        _entity(
            content_html(result.text),
            detected,
            provider_label(result.provider, result.model),
            descriptions,
        )
    )


def _entity(
    content: str, source: str, provider: str, descriptions: list[tuple[int, str]]
) -> dict[str, Any]:
    return {
        "content": content,
        "spoiler_text": "",
        "poll": None,
        "media_attachments": [
            {"id": str(pk), "description": text or None} for pk, text in descriptions
        ],
        "detected_source_language": source,
        "provider": provider,
    }
