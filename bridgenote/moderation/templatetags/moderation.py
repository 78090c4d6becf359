from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext

from bridgenote.moderation.queries import author_view, bio_author_view, comment_author_view
from bridgenote.moderation.queries import masked as _masked

register = template.Library()


@register.filter
def masked(text: str, language: str = "") -> str:
    """``{{ note.body|masked:note.language }}``: terms of "mask" rules shown as asterisks.
    Returns plain text, so autoescaping still applies."""
    return _masked(text or "", language=language or None)


@register.simple_tag(takes_context=True)
def author_moderation_notice(context: Any, note: Any) -> str:
    """``{% author_moderation_notice note %}`` on the author's own note page: "Under review",
    "Limited" or "Removed", the rule category, the reason and the appeal button, all in the
    author's language (Profile.ui_language, else the request's). Nothing for a public note."""
    request = context.get("request")
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None else None
    language = getattr(profile, "ui_language", "") or translation.get_language() or "en"
    view = author_view(note, language=language)
    if view is None:
        return ""
    with translation.override(language):
        return render_to_string(
            "moderation/_author_notice.html", {"note": note, "view": view}, request=request
        )


def _reader_language(context: Any) -> tuple[Any, str]:
    request = context.get("request")
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None else None
    return request, getattr(profile, "ui_language", "") or translation.get_language() or "en"


@register.simple_tag(takes_context=True)
def comment_moderation_notice(context: Any, comment: Any) -> str:
    """``{% comment_moderation_notice comment %}`` in the thread, for the comment's author
    only: its state, category, reason and an appeal link, in the author's language."""
    request, language = _reader_language(context)
    if getattr(getattr(request, "user", None), "pk", None) != comment.author_id:
        return ""
    view = comment_author_view(comment, language=language)
    if view is None:
        return ""
    with translation.override(language):
        return render_to_string(
            "moderation/_content_notice.html",
            {"view": view, "kind": "comment", "appeal_url": reverse("moderation:appeal_comment",
             args=[comment.pk]), "anchor": f"comment-{comment.pk}"},
            request=request,
        )  # fmt: skip


@register.simple_tag(takes_context=True)
def bio_moderation_notice(context: Any, profile: Any) -> str:
    """``{% bio_moderation_notice profile %}`` on the owner's own profile page: the state of
    the bio they last submitted (a held one is shown to them), with an appeal link."""
    request, language = _reader_language(context)
    if getattr(getattr(request, "user", None), "pk", None) != profile.user_id:
        return ""
    view = bio_author_view(profile, language=language)
    if view is None:
        return ""
    with translation.override(language):
        return render_to_string(
            "moderation/_content_notice.html",
            {"view": view, "kind": "bio", "appeal_url": reverse("moderation:appeal_bio"),
             "pending_text": profile.bio_pending, "anchor": "bio"},
            request=request,
        )  # fmt: skip


@register.simple_tag(takes_context=True)
def report_link(context: Any, kind: str, target: Any) -> str:
    """``{% report_link "comment" comment %}`` / ``{% report_link "account" user %}``: a
    "Report" link to the report page, for signed-in people other than the author."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return ""
    if kind == "comment":
        url = reverse("moderation:report_comment", args=[target.pk])
    else:
        url = reverse("moderation:report_account", args=[target.handle])
    return format_html(
        '<a class="link report-link" href="{}" rel="nofollow">{}</a>', url, gettext("Report")
    )
