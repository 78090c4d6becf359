"""The note page for readers other than its author, made of remembered parts.

A note page is the same for every reader apart from a few bits, so it is assembled from:

- the **shell** (``web/base.html`` around the page: navigation, language switch, unread
  badge), rendered once per (language, signed in, unread count) with the title, the page
  address, the CSRF token and the body as slots;
- the **article** (gallery, title, text with its translation and version buttons, meta),
  rendered once per note version: every column of the note and its author that it shows
  (not the counters: the engagement part shows them), its attachments' rows, the interface
  language and the ``?version=`` choice;
- the reader's **engagement** part, rendered per request from one query of relations
  (following, blocks, mute, liked, collected): follow button, like and collect buttons;
- the **comments**: two precompiled queries, and each comment's HTML remembered by what it
  shows and the reader's role (``engage_tags.rendered_comment``).

Visibility is decided on every request from the note's columns (``models.admits``, the rules
of ``Note.objects.visible_to``) and the relations query, so a block, a moderation decision or
a change of audience applies on the next request. The author's own page, pages with flash
messages, and everything when ``FEEDS_RENDER_CACHE_SECONDS=0`` take the plain path
(``views.detail`` renders ``notes/detail.html``).
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import get_language

from bridgenote.accounts.models import Profile, User
from bridgenote.core.fastsql import Precompiled
from bridgenote.core.fragments import CSRF_SLOT, FragmentMemo, fill, slot
from bridgenote.media.models import Attachment
from bridgenote.notes import queries
from bridgenote.notes.forms import LANGUAGE_NAMES
from bridgenote.notes.models import RULE_FIELDS, Note, NoteAttachment, admits
from bridgenote.notes.templatetags.notes_tags import note_version

_TITLE = slot("title")
_PATH = slot("path")
_BODY = slot("body")
_ENGAGE = slot("engage")

_NOTE_COLUMNS = tuple(f.attname for f in Note._meta.concrete_fields)
# The counters are shown by the engagement part only: the article's key leaves them out, so a
# like or a comment does not render the article again.
_COUNTERS = ("like_count", "collect_count", "comment_count")
_ARTICLE_COLUMNS = tuple(i for i, name in enumerate(_NOTE_COLUMNS) if name not in _COUNTERS)
_AUTHOR_COLUMNS = ("author__handle", "author__profile__display_name", "author__profile__avatar")
_ROW = Precompiled(
    lambda note: Note.objects.filter(pk=note).values_list(*_NOTE_COLUMNS, *_AUTHOR_COLUMNS)
)
# What the article shows of the attachments (their renditions are settled once the note is
# shown to others: it is only visible when its media are ready).
_ATTACHMENTS = Precompiled(
    lambda note: (
        NoteAttachment.objects.filter(note_id=note)
        .order_by("position")
        .values_list(
            "attachment_id",
            "attachment__state",
            "attachment__alt_text",
            "attachment__blurhash",
            "attachment__width",
            "attachment__height",
        )
    )
)

_ATTACHMENT_COLUMNS = tuple(f.attname for f in Attachment._meta.concrete_fields)
_FULL_ATTACHMENTS = Precompiled(
    lambda note: (
        Attachment.objects.filter(noteattachment__note_id=note)
        .order_by("noteattachment__position")
        .values_list(*_ATTACHMENT_COLUMNS)
    )
)
_MENTIONS = Precompiled(
    lambda note: Note.mentions.through.objects.filter(note_id=note).values_list(
        "user_id", "user__handle"
    )
)

_articles = FragmentMemo(4_000)
_shells = FragmentMemo(500)
_actions = FragmentMemo(20_000)


class _SlotPath:
    """The request, except that its address is the path slot (the shell is shared by every
    note page; ``web/base.html`` puts the address in the language switch)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def get_full_path(self) -> str:
        return _PATH

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def _stub(row: tuple[Any, ...]) -> Note:
    """The note (its own columns) with ``author`` and ``author.profile`` from the row, for
    the engagement templates; nothing else is loaded."""
    size = len(_NOTE_COLUMNS)
    note = Note(**dict(zip(_NOTE_COLUMNS, row[:size], strict=True)))
    note._state.adding, note._state.db = False, "default"
    handle, display_name, avatar = row[size:]
    author = User(id=note.author_id, handle=handle)
    author.profile = Profile(user_id=note.author_id, display_name=display_name or "", avatar=avatar)
    note.author = author
    return note


def _title(note: Note, version: str) -> str:
    chosen = note_version(note, version)
    return str(chosen["title"] or Truncator(chosen["body"]).chars(30))


def render(request: HttpRequest, note_id: int) -> HttpResponse | None:
    """The page, or None when the plain path must render it (the author, flash messages,
    memos off). A note that is missing or not visible to the reader raises Http404."""
    from bridgenote.engage.queries import page_relations

    if not FragmentMemo.enabled() or messages.get_messages(request):
        return None
    if not queries.valid_id(note_id):
        raise Http404
    rows = _ROW.rows(note=note_id)
    if not rows:
        raise Http404
    row = rows[0]
    note = _stub(row)
    user: Any = request.user
    viewer_id = int(user.pk) if user.is_authenticated else None
    if viewer_id == note.author_id:
        return None
    relations = page_relations(user, note.author_id, note.pk)
    follow = relations.follow
    values = {name: getattr(note, name) for name in RULE_FIELDS}
    if not admits(
        values, viewer_id, lambda _v, _a: (follow.following, follow.blocking or follow.blocked_by)
    ):
        raise Http404

    version = request.GET.get("version", "")
    language = get_language()
    attachments = _ATTACHMENTS.rows(note=note.pk)
    article_key = (
        tuple(row[i] for i in _ARTICLE_COLUMNS),
        row[len(_NOTE_COLUMNS) :],  # the author's handle, name, avatar
        tuple(attachments),
        language,
        version if version in ("alt", "main") else "",
    )

    def article() -> str:
        full, ordered = _full(note)
        return render_to_string(
            "notes/_detail_main.html",
            {
                **article_context(full, ordered, is_author=False, version=version),
                "csrf_token": CSRF_SLOT,
                "engage_slot": SafeString(_ENGAGE),
            },
            request,
        )

    head, _, tail = _articles.get(article_key, article).partition(_ENGAGE)
    context = {
        "note": note,
        "user": user,
        "request": request,
        "note_state": relations.note,
        "note_state_of": note.pk,
        "follow_state": follow,
        "follow_state_of": note.author_id,
    }
    here = request.get_full_path()
    actions_key = (
        language,
        here,
        viewer_id is not None,
        row[len(_NOTE_COLUMNS) :],  # the author's handle, name, avatar
        note.pk,
        note.author_id,
        note.like_count,
        note.collect_count,
        note.comment_count,
        astuple(relations.note),
        astuple(follow),
    )
    actions = _actions.get(
        actions_key,
        lambda: render_to_string(
            "engage/_note_actions.html", {**context, "csrf_token": CSRF_SLOT}, request
        ),
    )
    engage = actions + render_to_string("engage/_comments.html", context, request)
    from bridgenote.notify.queries import unread_count_on_page

    shell_key = (language, viewer_id is not None, unread_count_on_page(request))
    shell = _shells.get(shell_key, lambda: _shell(request))
    csrf = get_token(request)
    body = fill(head + engage + tail, csrf=csrf, here="")
    before, _, after = shell.partition(_BODY)
    html = (
        fill(before, csrf=csrf, here="")
        .replace(_TITLE, escape(_title(note, version)))
        .replace(_PATH, escape(request.get_full_path()))
        + body
        + fill(after, csrf=csrf, here="").replace(_PATH, escape(request.get_full_path()))
    )
    return HttpResponse(html)


def article_context(
    note: Note, attachments: list[Attachment], *, is_author: bool, version: str
) -> dict[str, Any]:
    """What ``notes/_detail_main.html`` shows of ``note`` and its ``attachments`` (in order),
    for the plain page (``views.detail``) and the assembled one alike."""
    return {
        "note": note,
        "attachments": attachments,
        "is_author": is_author,
        "language_name": LANGUAGE_NAMES.get(note.language, ""),
        "version": version,
        "failed": [
            (i, a) for i, a in enumerate(attachments, 1) if a.state == Attachment.State.FAILED
        ],
        "ready_count": sum(a.state == Attachment.State.READY for a in attachments),
        "pending": sum(
            a.state in (Attachment.State.UPLOADED, Attachment.State.PROCESSING) for a in attachments
        ),
    }


def _full(note: Note) -> tuple[Note, list[Attachment]]:
    """``note`` (a ``_stub``) with its mentions, and its attachments in order: what the
    article shows, by two precompiled queries (visibility is decided already)."""
    attachments = []
    for row in _FULL_ATTACHMENTS.rows(note=note.pk):
        attachment = Attachment(**dict(zip(_ATTACHMENT_COLUMNS, row, strict=True)))
        attachment._state.adding, attachment._state.db = False, "default"
        attachments.append(attachment)
    mentioned: QuerySet[User] = QuerySet(model=User)
    mentioned._result_cache = [
        User(id=pk, handle=handle) for pk, handle in _MENTIONS.rows(note=note.pk)
    ]
    mentioned._prefetch_done = True  # type: ignore[attr-defined]
    note._prefetched_objects_cache = {"mentions": mentioned}  # type: ignore[attr-defined]
    return note, attachments


def _shell(request: HttpRequest) -> str:
    return render_to_string(
        "notes/detail.html",
        {
            "page_title": _TITLE,
            "page_body": SafeString(_BODY),
            "csrf_token": CSRF_SLOT,
        },
        _SlotPath(request),  # type: ignore[arg-type]
    )
