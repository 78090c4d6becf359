from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Every log-in (allauth, the phone code, the admin, the test client's ``force_login``)
    goes through ``django.contrib.auth.login``, which sends this signal: the one place that
    sees them all, so a suspension can end the account's sessions by key."""
    from bridgenote.accounts.services import session_record

    session = getattr(request, "session", None)
    if session is None or user is None or user.pk is None:
        return
    if session.session_key is None:
        session.save()  # login() flushed the previous session: make the new key now
    session_record(user_id=user.pk, session_key=session.session_key)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from bridgenote.accounts.services import session_forget

    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        session_forget(session_key=key)


class AccountsConfig(AppConfig):
    name = "bridgenote.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        user_logged_in.connect(_logged_in, dispatch_uid="accounts.session_record")
        user_logged_out.connect(_logged_out, dispatch_uid="accounts.session_forget")
