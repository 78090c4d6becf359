"""Pages and htmx partials: translate, pinyin, glosses, the word list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bridgenote.translate import dictionary, queries, services
from bridgenote.translate.models import WordListEntry
from bridgenote.translate.providers import available_targets
from bridgenote.translate.registry import resolve
from bridgenote.translate.services import TranslationError, WordListError


def _translated(
    request: HttpRequest, *, text: str, source: str | None, context: dict[str, Any]
) -> HttpResponse:
    """The translation partial: the translation, or the reason there is none (never a 5xx).

    Always 200, because htmx only swaps successful answers in, and the message is the answer.
    """
    target = queries.viewer_target(request, request.POST.get("target", ""))
    try:
        result = services.translate_text(
            text=text, target=target, source=source, rate_key=lambda: queries.rate_key(request)
        )
    except TranslationError as error:
        context["error"] = error.message
    else:
        context["result"] = result
    return render(request, "translate/_translation.html", context)


@require_POST
def translate_object(request: HttpRequest, kind: str, object_id: int, field: str) -> HttpResponse:
    text = resolve(kind, request.user, object_id, field)
    context = {"kind": kind, "object_id": object_id, "field": field}
    return _translated(request, text=text, source=None, context=context)


@require_GET
def translate_button(request: HttpRequest, kind: str, object_id: int, field: str) -> HttpResponse:
    """The Translate button again (the "show original" toggle swaps the translation out)."""
    resolve(kind, request.user, object_id, field)
    context = {"kind": kind, "object_id": object_id, "field": field, "show": True}
    return render(request, "translate/_translate_button.html", context)


@require_GET
def object_text(request: HttpRequest, kind: str, object_id: int, field: str) -> HttpResponse:
    """The text with pinyin above its Chinese words (``?pinyin=1``) or plain."""
    text = resolve(kind, request.user, object_id, field)
    pinyin = request.GET.get("pinyin") == "1"
    context = {
        "kind": kind,
        "object_id": object_id,
        "field": field,
        "text": text,
        "pinyin": pinyin,
        "tokens": dictionary.annotate(text) if pinyin else None,
        "has_han": True,
    }
    return render(request, "translate/_text.html", context)


@require_GET
def gloss(request: HttpRequest) -> HttpResponse:
    word = request.GET.get("word", "").strip()[: dictionary.MAX_WORD]
    entries = dictionary.gloss(word) if dictionary.is_chinese_word(word) else []
    saved = (
        request.user.is_authenticated
        and WordListEntry.objects.filter(user=request.user, word=word).exists()
    )
    return render(
        request,
        "translate/_gloss.html",
        {"word": word, "entries": entries, "saved": saved, "pinyin": dictionary.pinyin_of(word)},
    )


def _page_context(request: HttpRequest, text: str = "") -> dict[str, Any]:
    targets = available_targets()
    return {
        "targets": targets,
        "target_choices": [(code, queries.TARGET_NAMES[code]) for code in targets],
        "target": queries.viewer_target(request, request.POST.get("target", "")),
        "max_chars": settings.TRANSLATE_MAX_CHARS,
        "text": text,
    }


@login_required
def text_page(request: HttpRequest) -> HttpResponse:
    """Translate or annotate any text: for learners, and to try the provider."""
    return render(request, "translate/text.html", _page_context(request))


@login_required
@require_POST
def translate_any(request: HttpRequest) -> HttpResponse:
    """Translate (or annotate) arbitrary text for the signed-in user; POST with CSRF.

    Without htmx the whole page comes back with the result and the text kept in the form.
    """
    text = request.POST.get("text", "")
    context = _page_context(request, text)
    if request.POST.get("action") == "pinyin":
        context["partial"] = "translate/_annotated.html"
        try:
            services.check_length(text)
        except TranslationError as error:
            context["error"] = error.message
        else:
            context["tokens"] = dictionary.annotate(text)
    else:
        context["partial"] = "translate/_translation.html"
        target = queries.viewer_target(request, request.POST.get("target", ""))
        try:
            context["result"] = services.translate_text(
                text=text, target=target, rate_key=lambda: queries.rate_key(request)
            )
        except TranslationError as error:
            context["error"] = error.message
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, context["partial"], context)
    return render(request, "translate/text.html", context)


@login_required
def words(request: HttpRequest) -> HttpResponse:
    entries = WordListEntry.objects.of(request.user)
    return render(request, "translate/words.html", {"entries": entries, "nav": "me"})


@login_required
@require_POST
def word_save(request: HttpRequest) -> HttpResponse:
    word = request.POST.get("word", "")
    try:
        entry = services.wordlist_save(user=request.user, word=word)  # type: ignore[arg-type]
    except WordListError as error:
        return render(request, "translate/_word_saved.html", {"error": error.message})
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("translate:words")
    return render(request, "translate/_word_saved.html", {"entry": entry})


@login_required
@require_POST
def word_remove(request: HttpRequest) -> HttpResponse:
    services.wordlist_remove(user=request.user, word=request.POST.get("word", ""))  # type: ignore[arg-type]
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("translate:words")
    return HttpResponse("")
