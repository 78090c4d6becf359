from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeGuard

from django.conf import settings
from django.contrib.auth import (  # type: ignore[attr-defined]
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    _get_user_session_key,
    load_backend,
)
from django.contrib.auth import middleware as django_auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from bridgenote.accounts.models import User
from bridgenote.accounts.sessions import USER_FIELDS as _USER_FIELDS
from bridgenote.accounts.sessions import SessionStore
from bridgenote.core.fastsql import Precompiled

SESSION_KEY = "ui_language"


def _valid(language: Any) -> TypeGuard[str]:
    return isinstance(language, str) and language in dict(settings.LANGUAGES)


def remember_user_language(request: HttpRequest, user: Any) -> None:
    """At log-in: the user's saved UI language follows them to this device.

    A user who never chose one gets the language this device was already showing (the
    ``bn_lang`` cookie, else the first guess from Accept-Language), saved on their profile.
    """
    from bridgenote.accounts.models import Profile
    from bridgenote.accounts.services import profile_set_ui_language

    saved = Profile.objects.filter(user_id=user.pk).values_list("ui_language", flat=True).first()
    if not _valid(saved):
        saved = translation.get_language()
        if not _valid(saved):
            return
        profile_set_ui_language(user=user, language=saved)
    request.session[SESSION_KEY] = saved
    translation.activate(saved)
    request.LANGUAGE_CODE = saved


class UserLanguageMiddleware:
    """A signed-in user's chosen UI language wins over the cookie and Accept-Language.

    Runs after LocaleMiddleware, which has already picked a language from the ``bn_lang``
    cookie or the Accept-Language header. The signed-in user's language is kept in the
    session (copied from Profile.ui_language at log-in), so anonymous visitors cost nothing
    and signed-in ones no query. When the shell's language switch (Django's ``set_language``)
    answers, the choice is saved on the signed-in user's profile and session as well.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY) if session is not None else None
        if _valid(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if request.method == "POST" and match is not None and match.url_name == "set_language":
            self._remember_switch(request, response)
        elif _valid(language) and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            # Keep the cookie in step, so the choice survives log-out on this device.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
        return response

    def _remember_switch(self, request: HttpRequest, response: HttpResponse) -> None:
        morsel = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        chosen = morsel.value if morsel is not None else None
        user = getattr(request, "user", None)
        if not _valid(chosen) or user is None or not user.is_authenticated:
            return
        from bridgenote.accounts.services import profile_set_ui_language

        profile_set_ui_language(user=user, language=str(chosen))
        request.session[SESSION_KEY] = chosen


# --- authentication ---------------------------------------------------------------------------
_USER_BY_ID = Precompiled(lambda pk: User.objects.filter(pk=pk).values_list(*_USER_FIELDS))
_BACKENDS: dict[str, Any] = {}


def user_by_id(user_id: int) -> User | None:
    """The User with this id, or None: one precompiled query (``core/fastsql.py``) instead of
    the ORM's ``get``, whose building and compiling cost more than the look-up itself."""
    rows = _USER_BY_ID.rows(pk=user_id)
    return User.from_db("default", _USER_FIELDS, rows[0]) if rows else None


def _backend(path: str) -> Any:
    backend = _BACKENDS.get(path)
    if backend is None:
        backend = _BACKENDS[path] = load_backend(path)
    return backend


def _load_user(backend: Any, user_id: Any, session: Any) -> Any:
    if type(backend).get_user is not ModelBackend.get_user:
        return backend.get_user(user_id)  # a backend with its own way: left to it
    # ModelBackend.get_user (which allauth's backend inherits), with the cheap look-up: the
    # row read with the session (sessions.py), else one precompiled query.
    user = None
    if isinstance(user_id, int):
        if isinstance(session, SessionStore):
            user = session.account(user_id)
        if user is None:
            user = user_by_id(user_id)
    return user if user is not None and backend.user_can_authenticate(user) else None


def get_user(request: HttpRequest) -> Any:
    """``django.contrib.auth.get_user`` (Django 5.2), line for line, except that the user is
    loaded by ``_load_user`` (from the row read with the session): the backend must still be
    one of AUTHENTICATION_BACKENDS, an inactive user is refused, and the session's hash of the
    password must match (a password change ends the other sessions; a hash made with a
    fallback secret is renewed)."""
    user = None
    try:
        user_id = _get_user_session_key(request)
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user = _load_user(_backend(backend_path), user_id, request.session)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = request.session.get(HASH_SESSION_KEY)
                if not session_hash:
                    session_hash_verified = False
                else:
                    session_auth_hash = user.get_session_auth_hash()
                    session_hash_verified = constant_time_compare(session_hash, session_auth_hash)
                if not session_hash_verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback_auth_hash)
                        for fallback_auth_hash in user.get_session_auth_fallback_hash()
                    ):
                        request.session.cycle_key()
                        request.session[HASH_SESSION_KEY] = session_auth_hash
                    else:
                        request.session.flush()
                        user = None
    return user or AnonymousUser()


class AuthenticationMiddleware(django_auth_middleware.AuthenticationMiddleware):
    """Django's AuthenticationMiddleware with the cheaper ``get_user`` above: ``request.user``
    is loaded lazily, on first use, as there; ``request.auser`` is Django's own."""

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "session"):
            raise ImproperlyConfigured("AuthenticationMiddleware needs SessionMiddleware first.")
        request.user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[assignment]
        request.auser = partial(django_auth_middleware.auser, request)
