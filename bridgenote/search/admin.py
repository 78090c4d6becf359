from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from bridgenote.search.models import SearchQueryLog, TopicAlias
from bridgenote.search.services import AliasError, topic_alias_decide


@admin.register(TopicAlias)
class TopicAliasAdmin(admin.ModelAdmin[TopicAlias]):
    list_display = ("alias", "canonical", "status", "source", "evidence", "created_at")
    list_filter = ("status", "source")
    search_fields = ("alias__name", "canonical__name")
    raw_id_fields = ("alias", "canonical")
    readonly_fields = ("decided_at", "decided_by")
    actions = ("accept", "reject")

    @admin.action(description="Accept the selected aliases")
    def accept(self, request: HttpRequest, aliases: QuerySet[TopicAlias]) -> None:
        self._decide(request, aliases, accept=True)

    @admin.action(description="Reject the selected aliases")
    def reject(self, request: HttpRequest, aliases: QuerySet[TopicAlias]) -> None:
        self._decide(request, aliases, accept=False)

    def _decide(self, request: HttpRequest, aliases: QuerySet[TopicAlias], *, accept: bool) -> None:
        for alias in aliases:
            try:
                topic_alias_decide(alias=alias, accept=accept, by=request.user)  # type: ignore[arg-type]
            except AliasError as error:
                self.message_user(request, f"{alias}: {error.code}", level="error")

    def save_model(self, request: HttpRequest, obj: TopicAlias, form: object, change: bool) -> None:
        # Saving through the admin goes through the service so the index follows.
        status = obj.status
        if not change:
            obj.status = TopicAlias.Status.PROPOSED
        super().save_model(request, obj, form, change)
        if status != TopicAlias.Status.PROPOSED:
            accept = status == TopicAlias.Status.ACCEPTED
            topic_alias_decide(alias=obj, accept=accept, by=request.user)  # type: ignore[arg-type]


@admin.register(SearchQueryLog)
class SearchQueryLogAdmin(admin.ModelAdmin[SearchQueryLog]):
    list_display = ("display", "count", "last_searched_at")
    search_fields = ("query",)
    ordering = ("-count",)
