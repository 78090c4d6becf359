"""Search pages: results with tabs, suggestions as you type (htmx), history, topic aliases."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from bridgenote.notes.models import Topic
from bridgenote.search import queries, services
from bridgenote.search.limits import search_allowed
from bridgenote.search.models import TopicAlias

TABS = ("notes", "people", "topics")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """/search/?q=...&type=notes|people|topics&sort=...&language=...&media=...&page=N"""
    params = request.GET
    search = queries.search_request(
        params.get("q"), sort=params.get("sort", ""), language=params.get("language", ""),
        media=params.get("media", ""), page=params.get("page", 1),
    )  # fmt: skip
    tab = params.get("type") if params.get("type") in TABS else "notes"
    context: dict[str, object] = {
        "search": search, "tab": tab, "sorts": queries.SORTS, "nav": "search",
        "history": [], "notes": [], "people": [], "topics": [], "has_next": False,
    }  # fmt: skip
    status = 200
    if search.query.is_empty:
        context["history"] = queries.history_of(request.user)
    elif not search_allowed(request):
        status = 429
        search.notices.append(_("You are searching too fast. Wait a minute and try again."))
    elif tab == "notes":
        found = queries.search_notes(search, viewer=request.user)
        context.update(notes=found.notes, has_next=found.has_next)
        if found.notes and search.page == 1:
            services.search_record(user=request.user, query=search.query)  # type: ignore[arg-type]
    elif tab == "people":
        context["people"] = queries.search_people(search.raw, viewer=request.user)
    else:
        context["topics"] = queries.search_topics(search.raw)
    template = (
        "search/_results.html"
        if _is_htmx(request) and params.get("partial")
        else "search/results.html"
    )
    return render(request, template, context, status=status)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """The suggestion list under the search box (htmx, as the user types)."""
    text = request.GET.get("q", "")
    suggestions = queries.suggest(text, viewer=request.user)
    return render(request, "search/_suggestions.html", {"suggestions": suggestions, "q": text})


@login_required
@require_POST
def history_clear(request: HttpRequest) -> HttpResponse:
    entry = request.POST.get("entry")
    services.search_history_clear(
        user=request.user,  # type: ignore[arg-type]
        entry_id=int(entry) if entry and entry.isdigit() else None,
    )
    if _is_htmx(request):
        return render(
            request, "search/_history.html", {"history": queries.history_of(request.user)}
        )
    messages.success(request, _("Your search history is cleared."))
    return redirect("search:results")


_ALIAS_ERRORS = {  # gettext_lazy: translated when shown, in the user's language
    "same_topic": gettext_lazy("A topic cannot be an alias of itself."),
    "canonical_is_alias": gettext_lazy("That topic is already an alias of another topic."),
    "alias_is_canonical": gettext_lazy("That topic already has aliases of its own."),
    "already_aliased": gettext_lazy("That topic already has an alias."),
}


@staff_member_required
def aliases(request: HttpRequest) -> HttpResponse:
    """Staff: proposed topic aliases to accept or reject; add one by hand."""
    status = request.GET.get("status", TopicAlias.Status.PROPOSED)
    if status not in TopicAlias.Status.values:
        status = TopicAlias.Status.PROPOSED
    errors: list[str] = []
    values = {"alias": "", "canonical": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip().lstrip("#") for k in values}
        alias = queries_topic(values["alias"])
        canonical = queries_topic(values["canonical"])
        if alias is None or canonical is None:
            errors.append(_("Both topics must exist."))
        else:
            try:
                proposal = services.topic_alias_propose(alias=alias, canonical=canonical)
                services.topic_alias_decide(alias=proposal, accept=True, by=request.user)  # type: ignore[arg-type]
            except services.AliasError as error:
                errors.append(str(_ALIAS_ERRORS.get(error.code, error.code)))
            else:
                messages.success(request, _("Alias saved."))
                return redirect("search:aliases")
    return render(request, "search/aliases.html", {
        "proposals": queries.alias_proposals(status)[:200], "status": status,
        "statuses": TopicAlias.Status.choices, "errors": errors, "values": values,
    })  # fmt: skip


def queries_topic(name: str) -> Topic | None:
    from bridgenote.core.text import fold

    return Topic.objects.filter(folded=fold(name)).first() if name else None


@staff_member_required
@require_POST
def alias_decide(request: HttpRequest, alias_id: int) -> HttpResponse:
    alias = get_object_or_404(TopicAlias, pk=alias_id)
    try:
        services.topic_alias_decide(
            alias=alias,
            accept=request.POST.get("decision") == "accept",
            by=request.user,  # type: ignore[arg-type]
        )
    except services.AliasError as error:
        messages.error(request, str(_ALIAS_ERRORS.get(error.code, error.code)))
    return redirect("search:aliases")


@staff_member_required
@require_POST
def alias_propose(request: HttpRequest) -> HttpResponse:
    proposed = services.topic_alias_propose_from_dictionary()
    count = len(proposed)
    messages.success(
        request,
        ngettext(
            "%(count)d alias proposed from the dictionary.",
            "%(count)d aliases proposed from the dictionary.",
            count,
        )
        % {"count": count},
    )
    return redirect("search:aliases")
