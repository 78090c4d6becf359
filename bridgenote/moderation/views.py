"""The moderator console, and the two pages every user has: reporting a note, appealing a
decision. Console views are for moderators and staff only: anonymous visitors are sent to log
in, everyone else gets a 404 (the console's existence is not advertised)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bridgenote.accounts.models import Profile, User
from bridgenote.engage import queries as engage_queries
from bridgenote.engage.errors import EngageError
from bridgenote.engage.models import Comment
from bridgenote.moderation import queries, services
from bridgenote.moderation.forms import (
    AccountActionForm,
    AppealDecisionForm,
    AppealForm,
    BulkForm,
    DecisionForm,
    ReportForm,
)
from bridgenote.moderation.models import (
    Appeal,
    ModerationCase,
    ModerationDecision,
    ReasonTemplate,
)
from bridgenote.notes.models import Note

View = Callable[..., HttpResponse]


def moderator_required(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (getattr(user, "is_moderator", False) or getattr(user, "is_staff", False)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@moderator_required
def queue(request: HttpRequest) -> HttpResponse:
    order = "reports" if request.GET.get("order") == "reports" else "oldest"
    page = Paginator(queries.case_queue(order=order), 30).get_page(request.GET.get("page"))
    rows = [{"case": case, "preview": queries.case_preview(case)} for case in page]
    templates = ReasonTemplate.objects.filter(enabled=True)
    return render(
        request,
        "moderation/queue.html",
        {"page": page, "rows": rows, "order": order, "templates": templates, "nav": "me"},
    )


@moderator_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(ModerationCase.objects.select_related("note__author"), pk=case_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_record(
                case=case,
                moderator=request.user,  # type: ignore[arg-type]
                **form.decision(),
            )
        except services.ModerationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("moderation:queue")
    return render(
        request,
        "moderation/case.html",
        {
            "case": case, "preview": queries.case_preview(case), "form": form,
            "reports": case.reports.select_related("reporter").order_by("created_at"),
            "account_id": services.case_author_id(case), "nav": "me",
        },
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


@moderator_required
def account(request: HttpRequest, user_id: int) -> HttpResponse:
    """An account's standing, its moderation history, and the account actions (warn, limit,
    suspend and their reversal), each with a reason from the templates."""

    target = get_object_or_404(User.objects.select_related("profile"), pk=user_id)
    form = AccountActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_action(
                account=target,
                moderator=request.user,  # type: ignore[arg-type]
                **form.decision(),
            )
        except services.ModerationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Account action recorded."))
            return redirect("moderation:account", user_id=target.pk)
    history = (
        ModerationDecision.objects.filter(account=target, action__in=services.ACCOUNT_ACTIONS)
        .select_related("moderator")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "moderation/account.html",
        {
            "target": target, "standing": services.account_standing(target), "form": form,
            "history": history, "nav": "me",
        },
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


@require_POST
@moderator_required
def bulk(request: HttpRequest) -> HttpResponse:
    open_ids = list(queries.case_queue().values_list("id", flat=True))
    data = request.POST.copy()
    quick = request.POST.get("quick", "")
    if quick:  # one case's own button: "<action>:<case id>"
        action, _sep, case_id = quick.partition(":")
        data.setlist("cases", [case_id])
        data["action"] = action
    form = BulkForm(data, case_ids=open_ids)
    if not form.is_valid():
        for error in [*form.non_field_errors(), *form.errors.get("cases", [])]:
            messages.error(request, error)
        if form.errors and not form.non_field_errors() and "cases" not in form.errors:
            messages.error(request, _("Choose a decision."))
        return redirect("moderation:queue")
    cases = list(ModerationCase.objects.filter(pk__in=form.cleaned_data["cases"]))
    done = services.decisions_bulk(
        cases=cases, moderator=request.user,  # type: ignore[arg-type]
        action=form.cleaned_data["action"], template=form.cleaned_data["template"],
    )  # fmt: skip
    messages.success(request, _("%(count)d decisions recorded.") % {"count": len(done)})
    return redirect("moderation:queue")


@require_GET
@moderator_required
def log(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.audit_log(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/log.html",
        {"page": page, "rescan": queries.latest_rescan(), "nav": "me"},
    )


@require_GET
@moderator_required
def appeals(request: HttpRequest) -> HttpResponse:
    rows = [{"appeal": a, "form": AppealDecisionForm()} for a in queries.open_appeals()]
    return render(request, "moderation/appeals.html", {"rows": rows, "nav": "me"})


@require_POST
@moderator_required
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    appeal = get_object_or_404(Appeal, pk=appeal_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to overturn or uphold the decision."))
        return redirect("moderation:appeals")
    try:
        services.appeal_decide(
            appeal=appeal, moderator=request.user,  # type: ignore[arg-type]
            overturn=form.cleaned_data["overturn"], outcome=form.cleaned_data["outcome"],
        )  # fmt: skip
    except services.ModerationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Appeal decided."))
    return redirect("moderation:appeals")


@require_POST
@moderator_required
def rescan(request: HttpRequest) -> HttpResponse:
    job = services.rescan_start(started_by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Rescan of %(count)d notes started.") % {"count": job.total})
    return redirect("moderation:log")


# --- for everyone: reporting a note, appealing a decision ---------------------------------
def _reportable(request: HttpRequest, note_id: int) -> Note:
    # INTEGRATION: use Note.objects.visible_to(request.user) once notes provides it.
    return get_object_or_404(
        Note.objects.exclude(moderation=Note.Moderation.REMOVED).filter(
            status=Note.Status.PUBLISHED, visibility=Note.Visibility.PUBLIC
        ),
        pk=note_id,
    )


@login_required
def report(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _reportable(request, note_id)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,  # type: ignore[arg-type]
                note=note, category=form.cleaned_data["category"], text=form.cleaned_data["text"],
            )  # fmt: skip
        except services.ModerationError as error:
            form.add_error("category" if error.code == "bad_category" else None, error.message)
        else:
            return render(request, "moderation/report_done.html", {"note": note})
    status = 400 if request.method == "POST" else 200
    return render(request, "moderation/report.html", {"note": note, "form": form}, status=status)


def _report_page(request: HttpRequest, *, title: str, subject: str, **target: Any) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user,  # type: ignore[arg-type]
                category=form.cleaned_data["category"], text=form.cleaned_data["text"], **target,
            )  # fmt: skip
        except services.ModerationError as error:
            form.add_error("category" if error.code == "bad_category" else None, error.message)
        else:
            return render(request, "moderation/report_done.html", {"subject": subject})
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "subject": subject}
    return render(request, "moderation/report.html", context, status=status)


@login_required
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Report a comment the reporter can see (hidden ones are 404, as in the thread)."""
    try:
        comment = engage_queries.comment_for(request.user, comment_id)
    except EngageError as error:
        raise Http404 from error
    if comment.is_deleted:
        raise Http404
    return _report_page(
        request, title=_("Report a comment"), subject=comment.body[:80], comment=comment
    )


@login_required
def report_account(request: HttpRequest, handle: str) -> HttpResponse:
    account = get_object_or_404(User, handle__iexact=handle, is_active=True)
    return _report_page(request, title=_("Report an account"), subject=f"@{account.handle}",
                        account=account)  # fmt: skip


def _language(request: HttpRequest) -> str:
    profile = getattr(request.user, "profile", None)
    return getattr(profile, "ui_language", "") or get_language() or "en"


@login_required
def appeal(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(Note, pk=note_id, author=request.user)
    decision = queries.last_decision(note)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_create(
                author=request.user,  # type: ignore[arg-type]
                note=note, text=form.cleaned_data["text"],
            )  # fmt: skip
        except services.ModerationError as error:
            form.add_error("text" if error.code in ("empty", "too_long") else None, error.message)
        else:
            messages.success(request, _("Your appeal was sent. A moderator will look at it."))
            return redirect("moderation:appeal", note_id=note.pk)
    return render(
        request,
        "moderation/appeal.html",
        {
            "note": note, "decision": decision, "form": form,
            "view": queries.author_view(note, language=_language(request)),
            "open_appeal": Appeal.objects.filter(note=note, state=Appeal.State.OPEN).first(),
            "nav": "me",
        },
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


def _appeal_page(
    request: HttpRequest,
    *,
    view: queries.AuthorView | None,
    subject: str,
    back: str,
    open_appeal: bool,
    **target: Any,
) -> HttpResponse:
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_create(
                author=request.user,  # type: ignore[arg-type]
                text=form.cleaned_data["text"], **target,
            )  # fmt: skip
        except services.ModerationError as error:
            form.add_error("text" if error.code in ("empty", "too_long") else None, error.message)
        else:
            messages.success(request, _("Your appeal was sent. A moderator will look at it."))
            return redirect(request.path)
    return render(
        request,
        "moderation/appeal_other.html",
        {"view": view, "subject": subject, "back": back, "form": form,
         "open_appeal": open_appeal, "nav": "me"},
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


@login_required
def appeal_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The author of a held, limited or removed comment appeals (others: 404)."""
    comment = get_object_or_404(Comment, pk=comment_id, author=request.user, is_deleted=False)
    view = queries.comment_author_view(comment, language=_language(request))
    return _appeal_page(
        request, view=view, subject=comment.body, comment=comment,
        back=f"/notes/{comment.note_id}/#comment-{comment.pk}",
        open_appeal=bool(view and view.open_appeal),
    )  # fmt: skip


@login_required
def appeal_bio(request: HttpRequest) -> HttpResponse:
    """The owner of a held or removed bio appeals."""
    profile = get_object_or_404(Profile, user=request.user)
    view = queries.bio_author_view(profile, language=_language(request))
    return _appeal_page(
        request, view=view, subject=profile.bio_pending or profile.bio,
        back=f"/@{profile.user.handle}", open_appeal=bool(view and view.open_appeal),
    )  # fmt: skip


@require_GET
def public_log(request: HttpRequest) -> HttpResponse:
    """The public moderation log (instance setting ``MODERATION_PUBLIC_LOG``, off by default):
    what moderators decided and why, without who decided, who was concerned or the content."""

    if not settings.MODERATION_PUBLIC_LOG:
        raise Http404
    page = Paginator(queries.public_log(), 50).get_page(request.GET.get("page"))
    return render(request, "moderation/public_log.html", {"page": page})
