from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bridgenote.accounts.models import User
from bridgenote.media.models import Attachment
from bridgenote.notes import queries, services
from bridgenote.notes.forms import NoteForm, posted_ids
from bridgenote.notes.models import Note
from bridgenote.notes.services import NoteError

# Errors of fields the form does not render as inputs (the uploader shows them).
_MEDIA_FIELDS = ("attachments", "cover")


def _me(request: HttpRequest) -> User:
    """The signed-in user (views that call this are behind ``login_required``)."""
    return cast(User, request.user)


def _ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or request.META.get("REMOTE_ADDR", ""))


def _chosen(user: Any, ids: list[int]) -> list[Attachment]:
    """The author's own attachments among ``ids``, in that order (to re-render the uploader)."""
    ids = [i for i in ids if queries.valid_id(i)]
    found = Attachment.objects.filter(owner=user, id__in=ids).in_bulk()
    return [found[i] for i in ids if i in found]


def _cover_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("cover_id", "")
    return int(raw) if raw.isdigit() else None


def _editor(
    request: HttpRequest,
    *,
    form: NoteForm,
    attachment_ids: list[int],
    cover_id: int | None,
    note: Note | None,
    media_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "notes/compose.html",
        {
            "nav": "post",
            "form": form,
            "note": note,
            "attachments": _chosen(request.user, attachment_ids),
            "cover_id": cover_id,
            "media_errors": media_errors or [],
            "limits": services.limits(),
            "machine_draft": _can_translate(),
        },
        status=status,
    )


def _can_translate() -> bool:
    """Whether this site has a machine translation provider (not the offline dictionary)."""
    from bridgenote.translate.providers import available_targets

    return bool(available_targets())


@login_required
@require_POST
def machine_draft(request: HttpRequest) -> HttpResponse:
    """Fill the second-language fields with a machine translation of the title and text.

    htmx gets the second-language fields back (the draft in them, or what the author had and
    a message); other clients get JSON ``{"title", "body", "language", "provider"}`` or the
    API error shape. Nothing is saved: the author edits the draft, then publishes.
    """
    from bridgenote.translate.services import TranslationError, translate_text

    data = request.POST.copy()
    target = data.get("alt_language", "")
    title = services.clean_text(data.get("title", ""), single_line=True)
    body = services.clean_text(data.get("body", ""))
    error, status, code, provider = "", 200, "", ""
    draft = {"title": "", "body": ""}
    if target not in services.ALT_LANGUAGES:
        error, status = _("Choose the language of the second version first."), 400
        code = "alt_language_missing"
    elif not (title or body):
        error, status = _("Write a title or a text first."), 400
        code = "empty"
    else:
        try:
            for name, text in (("title", title), ("body", body)):
                if text:
                    result = translate_text(
                        text=text, target=target, rate_key=f"user:{request.user.pk}"
                    )
                    draft[name] = result.text
                    provider = result.label or result.provider
        except TranslationError as failure:
            error, status, code = failure.message, failure.status, failure.code
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            return JsonResponse({"error": code, "message": error}, status=status)
        return JsonResponse({**draft, "language": target, "provider": provider})
    if not error:
        data["alt_title"], data["alt_body"] = draft["title"], draft["body"]
    # htmx swaps only 2xx answers by default: the message goes in the fields, with status 200.
    return render(
        request,
        "notes/_alt_fields.html",
        {
            "form": NoteForm(data=data),
            "limits": services.limits(),
            "machine_draft": True,
            "draft_error": error,
            "draft_provider": "" if error else provider,
        },
    )


def _show_errors(form: NoteForm, error: NoteError) -> list[str]:
    """Put each error next to its field; returns the messages for the uploader."""
    media: list[str] = []
    for name, errors in error.error_dict.items():
        for item in errors:
            message = next(iter(item.messages), "")
            if name in _MEDIA_FIELDS:
                media.append(message)
            elif name in form.fields:
                form.add_error(name, message)
            else:  # NON_FIELD_ERRORS: shown above the form
                form.add_error(None, message)
    return media


def _submit(request: HttpRequest, note: Note | None) -> HttpResponse:
    form = NoteForm(request.POST)
    ids = posted_ids(request.POST.getlist("attachment_ids"))
    cover_id = _cover_id(request)
    publish = request.POST.get("action") == "publish"
    media_errors: list[str] = []
    if form.is_valid():
        values = {**form.cleaned_data, "attachment_ids": ids, "cover_id": cover_id}
        try:
            if note is None:
                saved = services.note_create(
                    author=_me(request), publish=publish, ip=_ip(request), **values
                )
            else:
                saved = services.note_update(
                    note=note, publish=publish or None, ip=_ip(request), **values
                )
        except NoteError as error:
            media_errors = _show_errors(form, error)
        else:
            if saved.status == Note.Status.DRAFT:
                messages.success(request, _("Draft saved."))
                return redirect("notes:drafts")
            if note is not None and note.status == Note.Status.PUBLISHED:
                messages.success(request, _("Your note was updated."))
            else:
                messages.success(request, _("Your note is published."))
            return redirect("notes:detail", note_id=saved.id)
    return _editor(
        request,
        form=form,
        attachment_ids=ids,
        cover_id=cover_id,
        note=note,
        media_errors=media_errors,
        status=400,
    )


@login_required
def compose(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, None)
    return _editor(request, form=NoteForm(), attachment_ids=[], cover_id=None, note=None)


def _own_note(request: HttpRequest, note_id: int) -> Note:
    if not queries.valid_id(note_id):
        raise Http404
    return get_object_or_404(Note, pk=note_id, author=request.user)


@login_required
def edit(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _own_note(request, note_id)
    if request.method == "POST":
        return _submit(request, note)
    values = services.note_form_values(note)
    ids, cover_id = values.pop("attachment_ids"), values.pop("cover_id")
    return _editor(
        request, form=NoteForm(initial=values), attachment_ids=ids, cover_id=cover_id, note=note
    )


@login_required
@require_POST
def publish(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _own_note(request, note_id)
    try:
        services.note_publish(note=note, ip=_ip(request))
    except NoteError as error:
        values = services.note_form_values(note)
        ids, cover_id = values.pop("attachment_ids"), values.pop("cover_id")
        form = NoteForm(data=values)
        form.is_valid()
        media_errors = _show_errors(form, error)
        return _editor(
            request,
            form=form,
            attachment_ids=ids,
            cover_id=cover_id,
            note=note,
            media_errors=media_errors,
            status=400,
        )
    messages.success(request, _("Your note is published."))
    return redirect("notes:detail", note_id=note.id)


@login_required
@require_POST
def delete(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _own_note(request, note_id)
    services.note_delete(note=note)
    messages.success(request, _("Your note was deleted."))
    return redirect("accounts:me")


@login_required
def drafts(request: HttpRequest) -> HttpResponse:
    return render(
        request, "notes/drafts.html", {"nav": "post", "notes": queries.drafts_of(_me(request))}
    )


def detail(request: HttpRequest, note_id: int) -> HttpResponse:
    from bridgenote.notes import page

    fast = page.render(request, note_id)
    if fast is not None:
        return fast
    note = queries.note_for_viewer(note_id=note_id, viewer=request.user)
    if note is None:
        raise Http404
    context = page.article_context(
        note,
        queries.ordered_attachments(note),
        is_author=request.user.is_authenticated and note.author_id == request.user.pk,
        version=request.GET.get("version", ""),
    )
    return render(request, "notes/detail.html", context)


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() else None


def topic(request: HttpRequest, name: str) -> HttpResponse:
    found = queries.topic_by_name(name)
    if found is None:
        raise Http404
    page = queries.topic_notes(topic=found, viewer=request.user, before=_before(request))
    template = "notes/_grid_page.html" if request.htmx else "notes/topic.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {"nav": "discover", "topic": found, "notes": page.notes, "next_cursor": page.next_cursor},
    )


def author_grid(request: HttpRequest, author_id: int) -> HttpResponse:
    """The next page of a profile grid (htmx "more" button)."""
    if not queries.valid_id(author_id):
        raise Http404
    author = get_object_or_404(User, pk=author_id, is_active=True)
    page = queries.author_notes(author=author, viewer=request.user, before=_before(request))
    return render(
        request,
        "notes/_grid_page.html",
        {"notes": page.notes, "next_cursor": page.next_cursor, "author": author},
    )


@login_required
@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """Suggestions while typing: ``?topic=<prefix>`` (popular when empty) or ``?handle=``."""
    if "handle" in request.GET:
        return JsonResponse({"handles": queries.suggest_handles(request.GET["handle"][:30])})
    return JsonResponse({"topics": queries.suggest_topics(request.GET.get("topic", "")[:30])})
