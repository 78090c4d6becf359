"""Pages of accounts: phone sign-in/sign-up, the newcomer's set-up, profiles, dev outbox."""

from __future__ import annotations

import ipaddress
import time
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bridgenote.accounts import queries, services, sms
from bridgenote.accounts.forms import (
    CodeForm,
    HandleForm,
    LanguagesForm,
    PhoneForm,
    ProfileForm,
    WaitlistForm,
    default_region,
)
from bridgenote.accounts.middleware import remember_user_language
from bridgenote.accounts.models import User
from bridgenote.accounts.phone import display_phone
from bridgenote.accounts.territory import territory_for_ip
from bridgenote.accounts.validators import validate_handle
from bridgenote.core import ratelimit

FLOW_KEY = "accounts:phone-flow"
SIGNUP_KEY = "accounts:verified-phone"
WAITLIST_KEY = "accounts:waitlist-phone"
# A verified number may be used to finish sign-up (choose a handle) for this long.
SIGNUP_WINDOW_SECONDS = 30 * 60


def _ip(request: HttpRequest) -> str:
    return str(getattr(request, "client_ip", "") or "")


def _next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _limited(response: HttpResponse, decision_retry: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(decision_retry)
    return response


def _sign_in(request: HttpRequest, user: User) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    services.user_logged_in(user=user, ip=_ip(request))
    remember_user_language(request, user)


@require_http_methods(["GET", "POST"])
def phone_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number. The same flow signs in a known number and signs up a new one."""
    if request.method == "POST":
        form = PhoneForm(request.POST)
        if form.is_valid():
            phone = form.cleaned_data["phone"]
            try:
                sent = services.phone_code_send(phone=phone, ip=_ip(request))
            except services.CodeError as exc:
                form.add_error("number", exc.message)
                context = {"form": form, "next": _next(request)}
                response = render(request, "accounts/phone.html", context)
                if exc.retry_after:
                    return _limited(response, exc.retry_after)
                return response
            request.session[FLOW_KEY] = {"code_id": sent.id, "phone": phone}
            query = urlencode({"next": _next(request)})
            return redirect(f"{reverse('accounts:phone_code')}?{query}")
    else:
        territory = territory_for_ip(_ip(request))
        form = PhoneForm(initial={"region": default_region(territory, get_language() or "en")})
    return render(request, "accounts/phone.html", {"form": form, "next": _next(request)})


@require_http_methods(["GET", "POST"])
def phone_code(request: HttpRequest) -> HttpResponseBase:
    """Step 2: the 6-digit code (or another one, after the cooldown)."""
    flow = request.session.get(FLOW_KEY)
    if not flow:
        return redirect("accounts:phone")
    context: dict[str, Any] = {"phone": display_phone(flow["phone"]), "next": _next(request)}
    if request.method == "POST" and request.POST.get("action") == "resend":
        form = CodeForm()
        try:
            sent = services.phone_code_send(phone=flow["phone"], ip=_ip(request))
        except services.CodeError as exc:
            context.update(form=form, resend_error=exc.message)
            response = render(request, "accounts/phone_code.html", context)
            return _limited(response, exc.retry_after) if exc.retry_after else response
        request.session[FLOW_KEY] = {"code_id": sent.id, "phone": flow["phone"]}
        context.update(form=form, resent=True)
        return render(request, "accounts/phone_code.html", context)
    if request.method == "POST":
        form = CodeForm(request.POST)
        context["form"] = form
        if form.is_valid():
            decision = ratelimit.hit(
                f"login:ip:{_ip(request)}",
                limit=settings.LOGIN_ATTEMPTS_PER_IP,
                window=settings.LOGIN_ATTEMPT_WINDOW_SECONDS,
            )
            if not decision.allowed:
                form.add_error("code", _("Too many log-in attempts. Try again later."))
                response = render(request, "accounts/phone_code.html", context)
                return _limited(response, decision.retry_after)
            try:
                services.phone_code_check(
                    code_id=flow["code_id"], phone=flow["phone"], code=form.cleaned_data["code"]
                )
            except services.CodeError as exc:
                form.add_error("code", exc.message)
                return render(request, "accounts/phone_code.html", context)
            del request.session[FLOW_KEY]
            user = User.objects.filter(phone=flow["phone"], is_active=True).first()
            if user is not None:
                _sign_in(request, user)
                return redirect(_next(request))
            if settings.REGISTRATIONS == "closed":
                # A new number on a closed instance: offer the waiting list, number filled in.
                request.session[WAITLIST_KEY] = flow["phone"]
                return redirect("accounts:waitlist")
            request.session[SIGNUP_KEY] = {"phone": flow["phone"], "at": int(time.time())}
            return redirect("accounts:signup_handle")
    else:
        context["form"] = CodeForm()
    return render(request, "accounts/phone_code.html", context)


@require_http_methods(["GET", "POST"])
def signup_handle(request: HttpRequest) -> HttpResponseBase:
    """Step 3 for a new number: choose a handle; the account is created here."""
    verified = request.session.get(SIGNUP_KEY)
    if not verified or time.time() - verified["at"] > SIGNUP_WINDOW_SECONDS:
        request.session.pop(SIGNUP_KEY, None)
        return redirect("accounts:phone")
    if settings.REGISTRATIONS == "closed":
        request.session.pop(SIGNUP_KEY, None)
        request.session[WAITLIST_KEY] = verified["phone"]
        return redirect("accounts:waitlist")
    form = HandleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(
                handle=form.cleaned_data["handle"],
                phone=verified["phone"],
                ip=_ip(request),
                ui_language=get_language() or "",
                invite_code=form.cleaned_data.get("invite", ""),
            )
        except ValidationError as exc:
            code = getattr(exc, "code", None)
            form.add_error("invite" if code == "invite" and "invite" in form.fields else
                           None if code in ("closed", "invite") else "handle", exc)  # fmt: skip
        else:
            del request.session[SIGNUP_KEY]
            _sign_in(request, user)
            return redirect("accounts:welcome")
    context = {"form": form, "phone": display_phone(verified["phone"])}
    return render(request, "accounts/signup_handle.html", context)


@require_http_methods(["GET", "POST"])
def waitlist(request: HttpRequest) -> HttpResponseBase:
    """While registrations are closed: leave a phone number or e-mail address to hear when
    they open. Elsewhere it sends people to sign up."""
    if settings.REGISTRATIONS != "closed":
        return redirect("accounts:phone")
    initial = {"contact": request.session.get(WAITLIST_KEY, "")}
    form = WaitlistForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.waitlist_join(
                contact=form.cleaned_data["value"], kind=form.cleaned_data["kind"],
                ip=_ip(request), ui_language=get_language() or "",
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error("contact", exc)
            return render(request, "accounts/waitlist.html", {"form": form}, status=429)
        request.session.pop(WAITLIST_KEY, None)
        return render(request, "accounts/waitlist.html", {"joined": True})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/waitlist.html", {"form": form}, status=status)


@require_http_methods(["GET"])
def handle_check(request: HttpRequest) -> HttpResponse:
    """htmx: whether the handle being typed can be used (the form checks again on submit)."""
    decision = ratelimit.hit(f"handle-check:ip:{_ip(request)}", limit=120, window=60)
    if not decision.allowed:
        return ratelimit.too_many_requests(decision, _("Too many requests. Try again later."))
    handle = request.GET.get("handle", "")
    context: dict[str, Any] = {"handle": handle.strip().lstrip("@")}
    try:
        validate_handle(handle)
    except ValidationError as exc:
        context["errors"] = exc.messages
    return render(request, "accounts/_handle_status.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponseBase:
    """The newcomer's "set up your profile" step: display name and languages."""
    user = cast(User, request.user)
    profile = queries.profile_for(user)
    form = LanguagesForm(
        request.POST or None,
        initial={
            "display_name": profile.display_name,
            "languages_spoken": profile.languages_spoken,
            "languages_learning": profile.languages_learning,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=user,
            display_name=form.cleaned_data["display_name"],
            bio=profile.bio,
            languages_spoken=form.cleaned_data["languages_spoken"],
            languages_learning=form.cleaned_data["languages_learning"],
        )
        return redirect("accounts:profile", handle=user.handle)
    return render(request, "accounts/welcome.html", {"form": form, "nav": "me"})


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    profile_user = get_object_or_404(
        User.objects.select_related("profile"), handle__iexact=handle, is_active=True
    )
    profile = queries.profile_for(profile_user)
    context = {
        "profile_user": profile_user,
        "profile": profile,
        "is_self": request.user.is_authenticated and request.user.pk == profile_user.pk,
        "nav": "me" if request.user.pk == profile_user.pk else "",
    }
    return render(request, "accounts/profile.html", context)


def me(request: HttpRequest) -> HttpResponseBase:
    if not request.user.is_authenticated:
        query = urlencode({"next": reverse("accounts:me")})
        return redirect(f"{reverse('account_login')}?{query}")
    return redirect("accounts:profile", handle=request.user.handle)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponseBase:
    user = cast(User, request.user)
    profile = queries.profile_for(user)
    initial = {
        "display_name": profile.display_name,
        "bio": profile.bio_pending or profile.bio,
        "languages_spoken": profile.languages_spoken,
        "languages_learning": profile.languages_learning,
        "ui_language": profile.ui_language or get_language(),
    }
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("avatar"):
        decision = ratelimit.hit(f"avatar:user:{user.pk}", limit=20, window=3600)
        if not decision.allowed:
            form.add_error("avatar", _("Too many new avatars. Try again later."))
            context = {"form": form, "profile": profile, "nav": "me"}
            response = render(request, "accounts/profile_edit.html", context)
            return _limited(response, decision.retry_after)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("avatar"):
            services.profile_set_avatar(user=user, image=data["avatar"])
        try:
            services.profile_update(
                user=user,
                display_name=data["display_name"],
                bio=data["bio"],
                languages_spoken=data["languages_spoken"],
                languages_learning=data["languages_learning"],
                ui_language=data["ui_language"],
            )
        except ValidationError as refused:  # a moderation rule refuses the bio: keep the draft
            form.add_error(None, refused)
            context = {"form": form, "profile": profile, "nav": "me"}
            return render(request, "accounts/profile_edit.html", context, status=400)
        response = redirect("accounts:profile", handle=user.handle)
        if data["ui_language"]:
            request.session["ui_language"] = data["ui_language"]
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, data["ui_language"], samesite="Lax")
        return response
    context = {"form": form, "profile": profile, "nav": "me"}
    return render(request, "accounts/profile_edit.html", context)


def dev_outbox(request: HttpRequest) -> HttpResponse:
    """Recent text messages of the console SMS backend, for the machine it runs on only."""
    try:
        local = ipaddress.ip_address(_ip(request)).is_loopback
    except ValueError:
        local = False
    # A reverse proxy on the same machine whose address is not in TRUSTED_PROXIES makes every
    # visitor look local; such requests carry forwarding headers, so those are refused too.
    proxied = any(
        header in request.META
        for header in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
    )
    if settings.SMS_BACKEND != "console" or not local or proxied:
        raise Http404
    response = render(request, "accounts/dev_outbox.html", {"messages_sent": sms.outbox()})
    response["Cache-Control"] = "no-store"
    return response
