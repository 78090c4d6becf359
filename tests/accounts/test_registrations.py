"""BRIDGENOTE_REGISTRATIONS: open, by invitation, closed with a waiting list."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from bridgenote.accounts import services, sms
from bridgenote.accounts.models import InviteCode, User, WaitlistEntry
from bridgenote.conf import env
from tests.factories import ava

pytestmark = pytest.mark.django_db

US_IP = "8.8.8.8"
PASSWORD = "a long enough passphrase 42"


def _verify_new_number(client: Client, number: str = "202 555 0143") -> Any:
    client.post(reverse("accounts:phone"), {"region": "US", "number": number}, REMOTE_ADDR=US_IP)
    code = re.search(r"\b(\d{6})\b", sms.outbox()[-1]["body"]).group(1)  # type: ignore[union-attr]
    return client.post(reverse("accounts:phone_code"), {"code": code}, REMOTE_ADDR=US_IP)


def _email_signup(client: Client, **extra: str) -> Any:
    data = {"email": "mia@example.com", "username": "mia", "password1": PASSWORD,
            "password2": PASSWORD, **extra}  # fmt: skip
    return client.post(reverse("account_signup"), data, REMOTE_ADDR=US_IP)


def test_setting_is_parsed_strictly(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for good in ("open", "invite", "closed"):
        monkeypatch.setenv("BRIDGENOTE_REGISTRATIONS", good)
        assert env.choice("REGISTRATIONS", "open", {"open", "invite", "closed"}) == good
    for bad in ("Open", "yes", "invite-only"):
        monkeypatch.setenv("BRIDGENOTE_REGISTRATIONS", bad)
        with pytest.raises(env.ConfigError, match="must be one of: closed, invite, open"):
            env.choice("REGISTRATIONS", "open", {"open", "invite", "closed"})
    # The settings module itself refuses to start with a bad value.
    run = subprocess.run(
        [sys.executable, "-c", "import bridgenote.conf.settings"],
        env={**os.environ, "BRIDGENOTE_REGISTRATIONS": "yes", "BRIDGENOTE_DEBUG": "1",
             "BRIDGENOTE_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0
    assert "BRIDGENOTE_REGISTRATIONS='yes' must be one of: closed, invite, open" in run.stderr


def test_open_instance_signs_up_by_phone_and_email(client: Client, settings: Any) -> None:
    settings.REGISTRATIONS = "open"
    assert _verify_new_number(client)["Location"] == reverse("accounts:signup_handle")
    assert "invite" not in client.get(reverse("accounts:signup_handle")).content.decode()
    client.post(reverse("accounts:signup_handle"), {"handle": "newcomer"}, REMOTE_ADDR=US_IP)
    assert User.objects.filter(handle="newcomer").exists()
    assert _email_signup(Client())["Location"] == reverse("accounts:welcome")
    assert client.get(reverse("accounts:waitlist"))["Location"] == reverse("accounts:phone")


def test_invite_codes_are_hashed_and_single_use() -> None:
    invite, code = services.invite_create(max_uses=1)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert code.replace("-", "") not in invite.code_hash and len(invite.code_hash) == 64
    assert services.invite_valid(code=code.lower().replace("-", " "))
    services.invite_redeem(code=code)
    with pytest.raises(ValidationError) as caught:
        services.invite_redeem(code=code)
    assert caught.value.code == "invite"
    assert InviteCode.objects.get(pk=invite.pk).uses == 1


def test_invite_command_prints_codes_that_work(settings: Any) -> None:
    settings.REGISTRATIONS = "invite"
    out = io.StringIO()
    call_command("invite-create", "--count", "2", "--uses", "3", stdout=out)
    codes = out.getvalue().split()
    assert len(codes) == 2 and InviteCode.objects.filter(max_uses=3).count() == 2
    assert all(services.invite_valid(code=c) for c in codes)


@pytest.mark.parametrize("language,message", [
    ("en", "This invitation code is not valid or has been used up."),
    ("zh-hans", "邀请码无效或已用完。"),
])  # fmt: skip
def test_invite_instance_phone_signup_needs_a_code(
    client: Client, settings: Any, language: str, message: str
) -> None:
    settings.REGISTRATIONS = "invite"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    _verify_new_number(client)
    page = client.get(reverse("accounts:signup_handle")).content.decode()
    assert 'name="invite"' in page
    response = client.post(
        reverse("accounts:signup_handle"), {"handle": "newcomer", "invite": "AAAA-BBBB-CCCC"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="newcomer"' in html  # what they wrote is kept
    assert not User.objects.exists()
    _invite, code = services.invite_create()
    response = client.post(
        reverse("accounts:signup_handle"), {"handle": "newcomer", "invite": code},
        REMOTE_ADDR=US_IP,
    )  # fmt: skip
    assert response["Location"] == reverse("accounts:welcome")
    assert User.objects.filter(handle="newcomer").exists()


def test_invite_instance_email_signup_needs_a_code(settings: Any) -> None:
    settings.REGISTRATIONS = "invite"
    response = _email_signup(Client(), invite="nope")
    assert response.status_code == 200
    assert "This invitation code is not valid or has been used up." in response.content.decode()
    assert not User.objects.filter(handle="mia").exists()
    _invite, code = services.invite_create()
    assert _email_signup(Client(), invite=code)["Location"] == reverse("accounts:welcome")
    assert InviteCode.objects.get().uses == 1
    # The code is spent: the next person is refused.
    response = _email_signup(Client(), invite=code, email="b@example.com", username="bea")
    assert response.status_code == 200
    assert not User.objects.filter(handle="bea").exists()


def test_closed_instance_offers_the_waitlist_instead_of_an_account(
    client: Client, settings: Any
) -> None:
    settings.REGISTRATIONS = "closed"
    response = _verify_new_number(client)
    assert response["Location"] == reverse("accounts:waitlist")
    page = client.get(reverse("accounts:waitlist")).content.decode()
    assert "+12025550143" in page  # the verified number, filled in
    assert client.get(reverse("accounts:signup_handle"))["Location"] == reverse("accounts:phone")
    response = client.post(reverse("accounts:waitlist"), {"contact": "+12025550143"})
    assert "You are on the waiting list." in response.content.decode()
    assert WaitlistEntry.objects.get().kind == "phone"
    assert not User.objects.exists()
    with pytest.raises(ValidationError) as caught:
        services.user_sign_up(handle="sneaky", phone="+12025550199", ip=US_IP)
    assert caught.value.code == "closed"


def test_closed_instance_email_signup_shows_the_waitlist(settings: Any) -> None:
    settings.REGISTRATIONS = "closed"
    client = Client()
    page = client.get(reverse("account_signup")).content.decode()
    assert "Sign-ups are closed" in page and reverse("accounts:waitlist") in page
    _email_signup(client)
    assert not User.objects.filter(handle="mia").exists()


@pytest.mark.parametrize("language,message", [
    ("en", "Write the phone number with its country code"),
    ("zh-hans", "请填写带国家或地区代码的手机号"),
])  # fmt: skip
def test_waitlist_form_errors_and_rate_limit(settings: Any, language: str, message: str) -> None:
    settings.REGISTRATIONS = "closed"
    settings.WAITLIST_PER_IP_PER_HOUR = 2
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("accounts:waitlist"), {"contact": "202 555 0143"})
    assert response.status_code == 400 and message in response.content.decode()
    assert 'value="202 555 0143"' in response.content.decode()
    bad = client.post(reverse("accounts:waitlist"), {"contact": "not@mail"})
    assert bad.status_code == 400
    client.post(reverse("accounts:waitlist"), {"contact": "A@Example.com"}, REMOTE_ADDR=US_IP)
    client.post(reverse("accounts:waitlist"), {"contact": "a@example.com"}, REMOTE_ADDR=US_IP)
    assert list(WaitlistEntry.objects.values_list("contact", flat=True)) == ["a@example.com"]
    limited = client.post(
        reverse("accounts:waitlist"), {"contact": "c@example.com"}, REMOTE_ADDR=US_IP
    )
    assert limited.status_code == 429
    assert not WaitlistEntry.objects.filter(contact="c@example.com").exists()


def test_closed_instance_still_lets_existing_users_log_in(settings: Any) -> None:
    settings.REGISTRATIONS = "closed"
    user = ava()  # +12025550143
    client = Client()
    response = _verify_new_number(client)
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == user.pk
    user.email = "ava@example.com"
    user.set_password(PASSWORD)
    user.save()
    other = Client()
    response = other.post(
        reverse("account_login"), {"login": "ava", "password": PASSWORD}, REMOTE_ADDR=US_IP
    )
    assert response.status_code == 302
    assert int(other.session["_auth_user_id"]) == user.pk
