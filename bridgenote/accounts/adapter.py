"""django-allauth hooks for e-mail sign-up and password log-in: our handle rules, a profile
for every account, IP territory and the saved UI language at log-in, shared rate limits."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bridgenote.accounts import services
from bridgenote.accounts.middleware import remember_user_language
from bridgenote.accounts.validators import validate_handle
from bridgenote.core import ratelimit


def _ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or "")


class AccountAdapter(DefaultAccountAdapter):
    def clean_username(self, username: str, shallow: bool = False) -> str:
        return validate_handle(username, check_taken=not shallow)

    def save_user(
        self, request: HttpRequest, user: AbstractBaseUser, form: BaseForm, commit: bool = True
    ) -> AbstractBaseUser:
        # The account and its profile exist together or not at all; an invitation is used
        # up in the same transaction.
        with transaction.atomic():
            if commit:
                services.registrations_check()
                if settings.REGISTRATIONS == "invite":
                    services.invite_redeem(code=form.cleaned_data.get("invite", ""))
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                services.profile_create(
                    user=user, ip=_ip(request), ui_language=get_language() or ""
                )
        return user

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """E-mail sign-up follows BRIDGENOTE_REGISTRATIONS: closed shows the waiting list
        (account/signup_closed.html); by invitation the form asks for a code."""
        return bool(settings.REGISTRATIONS != "closed")

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        decision = ratelimit.hit(
            f"login:ip:{_ip(request)}",
            limit=settings.LOGIN_ATTEMPTS_PER_IP,
            window=settings.LOGIN_ATTEMPT_WINDOW_SECONDS,
        )
        if not decision.allowed:
            raise ValidationError(_("Too many log-in attempts. Try again later."))
        super().pre_authenticate(request, **credentials)

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        super().login(request, user)
        services.user_logged_in(user=user, ip=_ip(request))
        remember_user_language(request, user)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return reverse("accounts:welcome")
