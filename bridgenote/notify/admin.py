from __future__ import annotations

from django.contrib import admin

from bridgenote.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("id", "recipient", "actor", "verb", "tab", "is_read", "created_at")
    list_filter = ("tab", "verb", "is_read")
    raw_id_fields = ("recipient", "actor", "note", "comment")
