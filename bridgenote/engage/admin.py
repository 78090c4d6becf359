from __future__ import annotations

from django.contrib import admin

from bridgenote.engage.models import Block, Board, Comment, Follow, Mute


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("id", "note", "author", "created_at", "is_deleted", "is_pinned", "like_count")
    list_filter = ("is_deleted", "is_pinned")
    raw_id_fields = ("note", "author", "root", "reply_to", "reply_to_user")
    search_fields = ("body", "author__handle")
    # Counters are the services' and `bridgenote recount`'s business, never typed by hand.
    readonly_fields = ("like_count", "reply_count")


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin[Board]):
    list_display = ("id", "owner", "name", "is_default", "is_private", "note_count")
    raw_id_fields = ("owner",)
    readonly_fields = ("note_count",)


@admin.register(Follow, Block, Mute)
class RelationAdmin(admin.ModelAdmin[Follow]):
    list_display = ("id", "__str__", "created_at")
