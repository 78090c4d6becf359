from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bridgenote.accounts.models import User
from bridgenote.media.models import Attachment
from bridgenote.notes import queries, services
from bridgenote.notes.forms import LANGUAGE_NAMES, NoteForm, posted_ids
from bridgenote.notes.models import Note
from bridgenote.notes.services import NoteError

# Errors of fields the form does not render as inputs (the uploader shows them).
_MEDIA_FIELDS = ("attachments", "cover")


def _ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or request.META.get("REMOTE_ADDR", ""))


def _chosen(user: Any, ids: list[int]) -> list[Attachment]:
    """The author's own attachments among ``ids``, in that order (to re-render the uploader)."""
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
    uploader = select_template(["media/_uploader.html", "notes/_attachment_list.html"])
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
            "uploader_template": uploader.template.name,  # type: ignore[attr-defined]
            "limits": services.limits(),
        },
        status=status,
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
                    author=request.user, publish=publish, ip=_ip(request), **values
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
        request, "notes/drafts.html", {"nav": "post", "notes": queries.drafts_of(request.user)}
    )


def detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note = queries.note_for_viewer(note_id=note_id, viewer=request.user)
    if note is None:
        raise Http404
    attachments = queries.ordered_attachments(note)
    is_author = request.user.is_authenticated and note.author_id == request.user.pk
    return render(
        request,
        "notes/detail.html",
        {
            "note": note,
            "attachments": attachments,
            "is_author": is_author,
            "language_name": LANGUAGE_NAMES.get(note.language, ""),
            "failed": [
                (i, a) for i, a in enumerate(attachments, 1) if a.state == Attachment.State.FAILED
            ],
            "ready_count": sum(a.state == Attachment.State.READY for a in attachments),
            "pending": sum(
                a.state in (Attachment.State.UPLOADED, Attachment.State.PROCESSING)
                for a in attachments
            ),
        },
    )


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
