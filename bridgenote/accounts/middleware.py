from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeGuard

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

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
