"""Signed-in requests load the session and its user with precompiled queries
(accounts/sessions.py, accounts/middleware.py): the same answers as Django's own engine and
``get_user``, and logging out, a password change, a suspension or a deactivation end a
session on the very next request."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib import auth as django_auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bridgenote.accounts import middleware
from bridgenote.accounts.models import AccountSession
from bridgenote.accounts.sessions import SessionStore
from bridgenote.moderation import services as moderation
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
UNREAD = "/api/notifications/unread"


# Django's database engine on our session model (loads with the ORM ``get``). Named as the
# engines are: the session signature's salt is the store class's name.
OrmSessionStore = type(
    "SessionStore",
    (DjangoSessionStore,),
    {"get_model_class": classmethod(lambda cls: AccountSession)},
)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def same_cookie(client: Client) -> Client:
    """Another device holding the same session cookie (a copied or stolen cookie)."""
    other = Client()
    name = settings.SESSION_COOKIE_NAME
    other.cookies[name] = client.cookies[name].value
    return other


def signed_in_as(client: Client):
    response = client.get(UNREAD)
    user = response.wsgi_request.user
    if response.status_code == 200:
        assert user.is_authenticated
        return user
    assert response.status_code == 401, response.content
    assert not user.is_authenticated
    return None


def test_the_engine_and_middleware_are_the_ones_in_use():
    assert settings.SESSION_ENGINE == "bridgenote.accounts.sessions"
    assert "bridgenote.accounts.middleware.AuthenticationMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" not in settings.MIDDLEWARE


def test_the_engine_reads_what_djangos_engine_writes_and_the_reverse():
    ours = SessionStore()
    ours["a"], ours["中"] = 1, ["文", {"x": None}]
    ours.save()
    theirs = OrmSessionStore(ours.session_key)
    assert dict(theirs.items()) == {"a": 1, "中": ["文", {"x": None}]}
    theirs["b"] = 2
    theirs.save()
    again = SessionStore(ours.session_key)
    assert dict(again.items()) == {"a": 1, "中": ["文", {"x": None}], "b": 2}
    assert again.session_key == ours.session_key


def test_the_session_row_names_its_account_through_every_key_change():
    """``AccountSession.user_id`` follows the session's data: set at log-in, kept when the key
    changes (a password change cycles it), gone with the row at log-out."""
    user = ava()
    client = browser(user)
    key = client.session.session_key
    assert AccountSession.objects.get(session_key=key).user_id == user.pk
    session = SessionStore(key)
    session.cycle_key()
    assert not AccountSession.objects.filter(session_key=key).exists()
    assert AccountSession.objects.get(session_key=session.session_key).user_id == user.pk
    anonymous = SessionStore()
    anonymous["a"] = 1
    anonymous.save()
    assert AccountSession.objects.get(session_key=anonymous.session_key).user_id is None
    client.post("/accounts/logout/")
    assert not AccountSession.objects.filter(user_id=user.pk, session_key=key).exists()


def test_an_unknown_or_expired_session_is_empty_and_its_key_forgotten():
    for key in ["no-such-session-key-0123456789", "短", "x" * 40]:
        store = SessionStore(key)
        assert dict(store.items()) == {}
    store = SessionStore()
    store["a"] = 1
    store.save()
    AccountSession.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert dict(expired.items()) == {}
    assert expired.session_key is None
    # Django's engine says the same.
    assert dict(OrmSessionStore(store.session_key).items()) == {}


def test_a_signed_in_request_sees_its_user_with_every_field():
    user = ava()
    user.email = "ava@example.com"
    user.save(update_fields=["email"])
    seen = signed_in_as(browser(user))
    fresh = type(user).objects.get(pk=user.pk)
    fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert {f: getattr(seen, f) for f in fields} == {f: getattr(fresh, f) for f in fields}
    assert seen.profile.display_name == "Ava 🌸"  # relations load as usual


def test_logging_out_ends_the_session_for_every_holder_of_the_cookie():
    user = ava()
    client = browser(user)
    copy = same_cookie(client)
    assert signed_in_as(copy) == user
    assert client.post("/accounts/logout/").status_code == 302
    assert signed_in_as(client) is None
    assert signed_in_as(copy) is None


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one():
    user = ava()
    here, elsewhere = browser(user), browser(user)
    assert signed_in_as(elsewhere) == user
    answer = here.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a new long passphrase 42",
         "password2": "a new long passphrase 42"},
    )  # fmt: skip
    assert answer.status_code == 302
    assert signed_in_as(here) == user
    assert signed_in_as(elsewhere) is None


def test_a_suspension_ends_the_session_and_a_deactivation_refuses_it():
    user, other = ava(), liwei()
    client, copy = browser(user), None
    copy = same_cookie(client)
    moderator = UserFactory(handle="mod", is_moderator=True)
    moderation.account_action(account=user, moderator=moderator, action="suspend", reason_en="x")
    assert not AccountSession.objects.filter(user_id=user.pk).exists()  # gone, not only refused
    assert signed_in_as(client) is None
    assert signed_in_as(copy) is None
    moderation.account_action(account=user, moderator=moderator, action="unsuspend", reason_en="x")
    assert signed_in_as(client) is None  # lifting the suspension does not sign anyone back in
    # A deactivation by a plain UPDATE leaves the session row: it is refused all the same.
    client = browser(other)
    type(other).objects.filter(pk=other.pk).update(is_active=False)
    assert AccountSession.objects.exists()
    assert signed_in_as(client) is None


def test_a_deleted_account_is_anonymous():
    user = liwei()
    client = browser(user)
    type(user).objects.filter(pk=user.pk).delete()
    assert signed_in_as(client) is None


def _request(session_data: dict) -> object:
    request = RequestFactory().get("/")
    store = SessionStore()
    for key, value in session_data.items():
        store[key] = value
    store.save()
    request.session = SessionStore(store.session_key)
    return request


def test_get_user_answers_as_djangos_for_every_kind_of_session():
    user, inactive = ava(), liwei()
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    model_backend = "django.contrib.auth.backends.ModelBackend"
    allauth_backend = "allauth.account.auth_backends.AuthenticationBackend"

    def session(who, backend=model_backend, hash_of=None) -> dict:
        return {
            SESSION_KEY: str(who.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: (hash_of or who).get_session_auth_hash(),
        }

    wrong_hash = session(user) | {HASH_SESSION_KEY: "0" * 64}
    cases = {
        "empty": {},
        "model backend": session(user),
        "allauth backend": session(user, allauth_backend),
        "unknown backend": session(user, "django.contrib.auth.backends.RemoteUserBackend"),
        "inactive": session(inactive),
        "no hash": {k: v for k, v in session(user).items() if k != HASH_SESSION_KEY},
        "wrong hash": wrong_hash,
        "no such user": session(user) | {SESSION_KEY: "123456789"},
        "no backend": {SESSION_KEY: str(user.pk)},
    }
    for name, data in cases.items():
        ours = middleware.get_user(_request(data))
        theirs = django_auth.get_user(_request(data))
        assert (ours.is_authenticated, ours.pk) == (theirs.is_authenticated, theirs.pk), name
    assert middleware.get_user(_request(session(user))) == user
    # A session whose hash does not verify is flushed, as Django does.
    request = _request(wrong_hash)
    key = request.session.session_key
    middleware.get_user(request)
    assert not AccountSession.objects.filter(session_key=key).exists()


def test_a_hash_made_with_a_fallback_secret_is_renewed(settings):
    user = ava()
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-only-0123456789"
    request = _request({
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: old_hash,
    })  # fmt: skip
    key = request.session.session_key
    assert middleware.get_user(request) == user
    assert request.session[HASH_SESSION_KEY] == user.get_session_auth_hash() != old_hash
    assert request.session.session_key != key  # cycled


def test_the_user_row_is_read_with_the_session_in_one_query():
    user = ava()
    client = browser(user)
    with CaptureQueriesContext(connection) as queries:
        assert signed_in_as(client) == user
    users = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert users == []  # no query of its own
    session = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_session"' in q["sql"]]
    assert len(session) == 1 and '"accounts_user"' in session[0]
    # Nothing is kept: an edit of the row shows on the next request.
    type(user).objects.filter(pk=user.pk).update(handle="ava_renamed")
    assert signed_in_as(client).handle == "ava_renamed"


def test_a_session_row_naming_another_account_is_not_trusted():
    """The session's data decides who is signed in; a row whose ``user_id`` disagrees (it
    cannot, unless written by hand) makes the middleware read the user by the data's id."""
    user, other = ava(), liwei()
    client = browser(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    AccountSession.objects.filter(session_key=key).update(user_id=other.pk)
    assert signed_in_as(client) == user
    AccountSession.objects.filter(session_key=key).update(user_id=None)
    assert signed_in_as(client) == user
