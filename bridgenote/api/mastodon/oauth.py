"""OAuth 2 for Mastodon clients: app registration, consent, tokens, revocation, metadata.

django-oauth-toolkit does the protocol (authorization code with PKCE S256, client credentials,
refresh tokens, revocation); these views adapt it to what Mastodon clients send and expect.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView

from bridgenote.api.mastodon.http import ApiError, Params, respond
from bridgenote.api.mastodon.routes import grant_of
from bridgenote.api.mastodon.scopes import describe
from bridgenote.api.mastodon.serializers import application
from bridgenote.api.models import FORBIDDEN_SCHEMES, OOB_URI, OAuthApplication


def _redirect_uris(params: Params) -> list[str]:
    raw = params.get("redirect_uris")
    values = raw if isinstance(raw, list) else str(raw or "").split()
    uris = [str(v).strip() for v in values if str(v).strip()]
    if not uris:
        raise ApiError(422, "Validation failed: Redirect URI can't be blank")
    for uri in uris:
        parts = urlsplit(uri)
        if uri == OOB_URI:
            continue
        if not parts.scheme or parts.scheme.lower() in FORBIDDEN_SCHEMES or "#" in uri:
            raise ApiError(422, "Validation failed: Redirect URI must be an absolute URI")
        if parts.scheme in {"http", "https"} and not parts.hostname:
            raise ApiError(422, "Validation failed: Redirect URI must be an absolute URI")
    return uris


def _scopes(value: str) -> list[str]:
    scopes = value.split() or ["read"]
    unknown = [s for s in scopes if s not in settings.MASTODON_SCOPES]
    if unknown:
        raise ApiError(422, f"Validation failed: Scopes are invalid: {' '.join(unknown)}")
    return scopes


def apps_create(request: HttpRequest) -> HttpResponse:
    params = Params(request)
    name = params.text("client_name", max_length=200).strip()
    if not name:
        raise ApiError(422, "Validation failed: Application name can't be blank")
    website = params.text("website", max_length=1000).strip()
    if website and urlsplit(website).scheme not in {"http", "https"}:
        website = ""
    secret = generate_client_secret()
    app = OAuthApplication.objects.create(
        name=name,
        website=website,
        redirect_uris=" ".join(_redirect_uris(params)),
        scopes=" ".join(_scopes(params.text("scopes", "read", max_length=2000))),
        client_type=OAuthApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=OAuthApplication.GRANT_AUTHORIZATION_CODE,
        client_secret=secret,
    )
    return respond(application(app, client_secret=secret))


def apps_verify_credentials(request: HttpRequest) -> HttpResponse:
    grant = grant_of(request)
    assert grant is not None
    app = OAuthApplication.objects.get(pk=grant.application_id)
    return respond(application(app))


class ConsentView(AuthorizationView):
    """The consent page ("Authorize Tusky to use your account?"), in the user's language.

    ``redirect_uri=urn:ietf:wg:oauth:2.0:oob`` shows the code on the page for the user to
    copy, as Mastodon does for command-line clients.
    """

    template_name = "api/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang", "")
        if language.lower().startswith("zh"):
            translation.activate("zh-hans")
        elif language.lower().startswith("en"):
            translation.activate("en")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scopes = context.get("scopes") or []
        context["scope_descriptions"] = describe(
            scopes.split() if isinstance(scopes, str) else list(scopes)
        )
        context["nav"] = ""
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        challenge_method = request.GET.get("code_challenge_method")
        if request.GET.get("code_challenge") and challenge_method not in (None, "S256"):
            return render(
                request,
                "api/authorize.html",
                {
                    "error": {
                        "error": "invalid_request",
                        "description": "code_challenge_method must be S256",
                    }
                },
                status=400,
            )
        return super().get(request, *args, **kwargs)

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        if redirect_to.startswith(OOB_URI):
            code = parse_qs(urlsplit(redirect_to).query).get("code", [""])[0]
            return render(
                self.request, "api/authorized_oob.html", {"code": code, "application": application}
            )
        return super().redirect(redirect_to, application)


authorize = ConsentView.as_view()


def _as_form(request: HttpRequest) -> None:
    """Clients post token requests as JSON as often as form-encoded; oauthlib wants a form."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        form = QueryDict(mutable=True)
        for key, value in body.items() if isinstance(body, dict) else []:
            form[key] = str(value)
        request.POST = form  # type: ignore[assignment]
        request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        request._body = form.urlencode().encode()


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    _as_form(request)
    if request.POST.get("grant_type") == "password":
        return respond(
            {
                "error": "unsupported_grant_type",
                "error_description": "The password grant is not supported",
            },
            status=400,
        )
    response = TokenView.as_view()(request)
    if response.status_code == 200:
        data = json.loads(response.content)
        data["created_at"] = int(time.time())
        return respond(data, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response


@csrf_exempt
def revoke(request: HttpRequest) -> HttpResponse:
    _as_form(request)
    response = RevokeTokenView.as_view()(request)
    if response.status_code == 200:
        return respond({})
    if response.status_code == 401 or response.status_code == 400:
        # An unknown client or a bad secret: Mastodon answers 403 here.
        return respond(
            {"error": "unauthorized_client", "error_description": "You may not revoke this token"},
            status=403,
        )
    return response


def metadata(request: HttpRequest) -> HttpResponse:
    base = settings.SITE_URL
    return respond(
        {
            "issuer": f"{base}/",
            "service_documentation": f"{base}/about/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": list(settings.MASTODON_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
