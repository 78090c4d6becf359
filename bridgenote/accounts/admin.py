from __future__ import annotations

from django.contrib import admin

from bridgenote.accounts.models import InviteCode, PhoneCode, Profile, User, WaitlistEntry


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = (
        "ip_territory",
        "note_count",
        "follower_count",
        "following_count",
        "likes_and_collects_count",
    )


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("handle", "phone", "email", "is_active", "is_moderator", "date_joined")
    list_filter = ("is_active", "is_moderator", "is_staff", "phone_verified")
    search_fields = ("handle", "phone", "email", "profile__display_name")
    readonly_fields = ("id", "date_joined", "last_login", "password")
    exclude = ("user_permissions",)
    inlines = (ProfileInline,)


@admin.register(PhoneCode)
class PhoneCodeAdmin(admin.ModelAdmin):
    """Codes are shown for support (was one sent, how many tries); only the hash is stored."""

    list_display = ("phone", "purpose", "created_at", "expires_at", "attempts", "used_at")
    search_fields = ("phone",)
    readonly_fields = ("phone", "purpose", "created_at", "expires_at", "attempts", "used_at")
    exclude = ("code_hash",)

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    """Codes are made with `bridgenote invite-create` (only their hash is stored)."""

    list_display = ("id", "uses", "max_uses", "expires_at", "created_by", "note", "created_at")
    readonly_fields = ("code_hash", "uses", "created_by", "created_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("contact", "kind", "ui_language", "created_at")
    search_fields = ("contact",)
