from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from bridgenote.core.ids import new_id

# The languages a profile can speak or learn, and the UI languages.
LANGUAGE_CHOICES = [
    ("zh", _("Chinese")),
    ("en", _("English")),
    ("ja", _("Japanese")),
    ("ko", _("Korean")),
]
UI_LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, handle: str | None) -> User:
        return self.get(handle__iexact=handle)

    def create_user(self, handle: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(handle=handle, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, handle: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(handle, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """An account. Sign-in is by phone number (E.164) or e-mail; the handle is the @name."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    handle = models.CharField(_("handle"), max_length=30)
    phone = PhoneNumberField(_("phone number"), null=True, blank=True)
    phone_verified = models.BooleanField(default=False)
    # NULL, not "", so that the unique constraint allows many accounts without e-mail.
    # NULL rather than "" so that the unique constraint admits many accounts with no e-mail.
    email = models.EmailField(_("e-mail address"), null=True, blank=True)  # noqa: DJ001  # noqa: DJ001
    is_staff = models.BooleanField(default=False)
    is_moderator = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("handle"), name="user_handle_ci_unique"),
            models.UniqueConstraint(fields=["phone"], name="user_phone_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._credentials_changed = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new password (set_password, which a hash upgrade at log-in does not count as) or
        # none at all: the account's API tokens stop working with it (Django's session hash
        # already ends the other sessions).
        new_password = getattr(self, "_password", None) is not None
        changed = not self._state.adding and (
            new_password or getattr(self, "_credentials_changed", False)
        )
        super().save(*args, **kwargs)
        if changed:
            from bridgenote.accounts.services import api_access_revoke

            self._credentials_changed = False
            api_access_revoke(user_id=self.pk)


class AccountSession(AbstractBaseSession):
    """Django's database session plus the account it is signed in as. ``user_id`` is written
    from the session's own data each time the session is saved (``sessions.SessionStore``),
    so it follows every log-in, key change (a password change, ``cycle_key``) and log-out
    without any other bookkeeping, and ``services.sessions_end`` is one indexed delete."""

    # A relation for reading the account with the session in one query (``sessions.py``); no
    # database constraint, as when this was a plain column: ending an account's sessions is
    # ``sessions_end``'s job.
    user = models.ForeignKey(
        User,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        db_table = "accounts_session"
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> type[Any]:
        from bridgenote.accounts.sessions import SessionStore

        return SessionStore


class Profile(models.Model):
    """What others see of an account. Counters are denormalised and changed with F()."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True)
    display_name = models.CharField(_("display name"), max_length=40, blank=True)
    bio = models.TextField(_("bio"), max_length=500, blank=True)
    # Set by the moderation app. A new bio a rule holds waits in ``bio_pending`` (the public
    # ``bio`` stays as it was) until a moderator approves it; ``bio_moderation`` is the state
    # of the bio last submitted or reported (published, pending, limited, removed).
    bio_pending = models.TextField(max_length=500, blank=True)
    bio_moderation = models.CharField(max_length=10, default="published")
    avatar = models.CharField(max_length=255, blank=True)  # storage name of the re-encoded image
    languages_spoken = models.JSONField(default=list, blank=True)
    languages_learning = models.JSONField(default=list, blank=True)
    ui_language = models.CharField(max_length=8, choices=UI_LANGUAGE_CHOICES, blank=True)
    # A territory code: "CN-51" (a Chinese province, GB/T 2260 prefix) or "US" (ISO 3166-1).
    ip_territory = models.CharField(max_length=8, blank=True)
    note_count = models.PositiveIntegerField(default=0)
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    likes_and_collects_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.display_name or self.user.handle


class PhoneCodePurpose(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign in or sign up")


class PhoneCode(models.Model):
    """A six-digit code sent by SMS. Only a keyed hash of the code is stored.

    A code is usable while ``used_at`` is NULL, ``attempts`` < the maximum and ``expires_at``
    is in the future; services change these with conditional UPDATEs so that two concurrent
    guesses can never both count as the fifth try, nor one code sign in twice.
    """

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    phone = PhoneNumberField()
    purpose = models.CharField(max_length=16, choices=PhoneCodePurpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"], name="phonecode_phone_recent")]

    def __str__(self) -> str:
        return f"code for {self.phone} ({self.purpose})"


class InviteCode(models.Model):
    """An invitation to sign up while ``BRIDGENOTE_REGISTRATIONS=invite``. Only the SHA-256 of
    the code is stored; the code itself is shown once, to the staff member who made it."""

    code_hash = models.CharField(max_length=64, unique=True)
    max_uses = models.PositiveIntegerField(default=1)
    uses = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(uses__lte=models.F("max_uses")), name="invite_uses_lte_max"
            )
        ]

    def __str__(self) -> str:
        return f"invite {self.pk} ({self.uses}/{self.max_uses})"


class WaitlistEntry(models.Model):
    """Someone who wants an account while registrations are closed: a phone number (E.164) or
    an e-mail address, once each."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone number")
        EMAIL = "email", _("E-mail address")

    contact = models.CharField(max_length=254, unique=True)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    ui_language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
