import io
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bridgenote.accounts import sms
from bridgenote.accounts.models import PhoneCode, Profile, User
from tests.factories import ava, liwei

pytestmark = pytest.mark.django_db

US_IP = "8.8.8.8"
CHENGDU_IP = "110.184.0.1"


def code_from_outbox() -> str:
    return re.search(r"\b(\d{6})\b", sms.outbox()[0]["body"]).group(1)


def start(client, region="US", number="202 555 0143", **extra):
    return client.post(reverse("accounts:phone"), {"region": region, "number": number}, **extra)


def png_bytes(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(name, content, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


# --- phone sign-up and log-in ---------------------------------------------------------------


def test_phone_signup_creates_account_and_leads_to_profile_setup(client):
    response = start(client, REMOTE_ADDR=US_IP)
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:phone_code"), {"code": code_from_outbox()}, REMOTE_ADDR=US_IP
    )
    assert response["Location"] == reverse("accounts:signup_handle")
    assert not User.objects.exists()
    response = client.post(
        reverse("accounts:signup_handle"), {"handle": "newcomer"}, REMOTE_ADDR=US_IP
    )
    assert response["Location"] == reverse("accounts:welcome")
    user = User.objects.get(handle="newcomer")
    assert str(user.phone) == "+12025550143" and user.phone_verified
    assert Profile.objects.get(user=user).ip_territory == "US"
    response = client.post(
        reverse("accounts:welcome"),
        {"display_name": "New 新人 🎉", "languages_spoken": ["en"], "languages_learning": ["zh"]},
    )
    assert response["Location"] == reverse("accounts:profile", kwargs={"handle": "newcomer"})
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "New 新人 🎉"
    assert profile.languages_learning == ["zh"]


def test_phone_login_signs_in_a_known_number_and_updates_territory(client):
    user = liwei()
    start(client, region="CN", number="138 0013 8000", REMOTE_ADDR=US_IP)
    response = client.post(
        reverse("accounts:phone_code") + "?next=/notes/",
        {"code": code_from_outbox(), "next": "/notes/"},
        REMOTE_ADDR=US_IP,
    )
    assert response["Location"] == "/notes/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Profile.objects.get(user=user).ip_territory == "US"


def test_phone_login_ignores_an_offsite_next(client):
    ava()
    start(client)
    response = client.post(
        reverse("accounts:phone_code"),
        {"code": code_from_outbox(), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("region", "number", "message"),
    [
        ("US", "", "Enter your phone number."),
        ("US", "12", "wrong length"),
        ("US", "hello", "does not look like a phone number"),
        ("US", "999 555 0143", "does not exist"),
    ],
)
def test_phone_start_bad_numbers_show_a_message_and_keep_the_form(client, region, number, message):
    response = start(client, region=region, number=number)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{number}"' in html or not number
    assert 'value="US" selected' in html
    assert not PhoneCode.objects.exists()


def test_phone_start_error_in_chinese_for_a_chinese_viewer(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = start(client, number="12")
    assert "号码长度不对" in response.content.decode()


def test_wrong_code_keeps_the_flow_and_says_tries_left(client):
    start(client)
    code = code_from_outbox()
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("accounts:phone_code"), {"code": wrong})
    assert response.status_code == 200
    assert "Wrong code. 4 tries left." in response.content.decode()
    response = client.post(reverse("accounts:phone_code"), {"code": "12ab"})
    assert "The code has 6 digits." in response.content.decode()
    # The right code still works afterwards.
    response = client.post(reverse("accounts:phone_code"), {"code": code})
    assert response.status_code == 302


def test_too_many_wrong_codes_lock_the_code(client):
    start(client)
    code = code_from_outbox()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(reverse("accounts:phone_code"), {"code": wrong})
    response = client.post(reverse("accounts:phone_code"), {"code": code})
    assert "Too many wrong tries. Ask for a new code." in response.content.decode()
    assert not User.objects.exists()


def test_expired_code_is_refused(client):
    start(client)
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("accounts:phone_code"), {"code": code_from_outbox()})
    assert "This code has expired." in response.content.decode()


def test_reused_code_is_refused(client):
    from django.test import Client

    ava()
    start(client)
    code = code_from_outbox()
    flow = dict(client.session["accounts:phone-flow"])
    assert client.post(reverse("accounts:phone_code"), {"code": code}).status_code == 302
    # Replaying the same code from another browser that carries the same flow.
    other = Client()
    session = other.session
    session["accounts:phone-flow"] = flow
    session.save()
    response = other.post(reverse("accounts:phone_code"), {"code": code})
    assert "already been used" in response.content.decode()
    assert "_auth_user_id" not in other.session


def test_resend_respects_the_cooldown_with_429(client):
    start(client)
    response = client.post(reverse("accounts:phone_code"), {"action": "resend"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "Please wait" in response.content.decode()
    PhoneCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = client.post(reverse("accounts:phone_code"), {"action": "resend"})
    assert response.status_code == 200
    assert "A new code is on its way." in response.content.decode()
    assert len(sms.outbox()) == 2


def test_codes_per_ip_limit_answers_429_even_with_forged_forwarded_for(client, settings):
    settings.SMS_LIMIT_PER_IP_PER_HOUR = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for i in range(2):
        response = start(client, number=f"202 555 01{i:02d}", REMOTE_ADDR="198.51.100.9")
        assert response.status_code == 302
    # A new forged X-Forwarded-For on each try from an untrusted peer changes nothing.
    response = start(
        client, number="202 555 0177", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Please wait" in response.content.decode()
    assert 'value="202 555 0177"' in response.content.decode()


def test_code_verification_attempts_are_limited_per_ip(client, settings):
    settings.LOGIN_ATTEMPTS_PER_IP = 3
    start(client)
    for _ in range(3):
        client.post(reverse("accounts:phone_code"), {"code": "999999"})
    response = client.post(reverse("accounts:phone_code"), {"code": code_from_outbox()})
    assert response.status_code == 429
    assert "Too many log-in attempts" in response.content.decode()


def test_code_page_without_a_flow_goes_back_to_the_start(client):
    assert client.get(reverse("accounts:phone_code"))["Location"] == reverse("accounts:phone")
    assert client.get(reverse("accounts:signup_handle"))["Location"] == reverse("accounts:phone")


def _verified_new_number(client, number="202 555 0188"):
    start(client, number=number)
    client.post(reverse("accounts:phone_code"), {"code": code_from_outbox()})


def test_taken_handle_in_other_case_is_refused_with_the_form_kept(client):
    ava()
    _verified_new_number(client)
    response = client.post(reverse("accounts:signup_handle"), {"handle": "AVA"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "@AVA is already taken. Choose another." in html
    assert 'value="AVA"' in html
    assert User.objects.count() == 1
    # The verified number still lets them pick another handle.
    response = client.post(reverse("accounts:signup_handle"), {"handle": "ava_2"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("handle", "message"),
    [("admin", "reserved"), ("a", "3 to 30"), ("李伟", "3 to 30"), ("2025", "at least one letter")],
)
def test_bad_handles_are_refused(client, handle, message):
    _verified_new_number(client)
    response = client.post(reverse("accounts:signup_handle"), {"handle": handle})
    assert message in response.content.decode()
    assert not User.objects.exists()


# --- e-mail sign-up (allauth) -----------------------------------------------------------------


def test_email_signup_creates_profile_and_goes_to_setup(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "mia@example.com",
            "username": "mia",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
        REMOTE_ADDR=US_IP,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("accounts:welcome")
    user = User.objects.get(handle="mia")
    assert user.email == "mia@example.com"
    assert Profile.objects.get(user=user).ip_territory == "US"


def test_email_signup_refuses_a_taken_handle_case_insensitively(client):
    ava()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.com",
            "username": "Ava",
            "password1": "pw long enough 42!",
            "password2": "pw long enough 42!",
        },
    )
    assert response.status_code == 200
    assert "@Ava is already taken" in response.content.decode()
    assert 'value="x@example.com"' in response.content.decode()


def test_login_and_signup_pages_offer_the_phone_form(client):
    for name in ("account_login", "account_signup"):
        html = client.get(reverse(name), REMOTE_ADDR=CHENGDU_IP).content.decode()
        assert 'name="number"' in html
        assert 'value="CN" selected' in html  # picker starts where the visitor is
        assert "+86" in html and "+1" in html


# --- profiles ---------------------------------------------------------------------------------


def test_profile_page_shows_names_counts_and_territory(client):
    user = liwei()
    Profile.objects.filter(user=user).update(
        bio="成都 🐼", follower_count=1234, likes_and_collects_count=56
    )
    html = client.get("/@LiWei").content.decode()
    assert "李伟" in html and "@liwei" in html and "成都 🐼" in html
    assert "1,234" in html and "Likes and collects" in html
    assert "IP territory: Sichuan" in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get("/@liwei").content.decode()
    assert "IP属地：四川" in html and "获赞与收藏" in html


def test_profile_page_escapes_user_text(client):
    user = ava()
    Profile.objects.filter(user=user).update(display_name="<script>x</script>", bio="<b>hi</b>")
    html = client.get("/@ava").content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "<b>hi</b>" not in html


def test_profile_of_unknown_or_inactive_user_is_404(client):
    user = ava()
    assert client.get("/@nobody").status_code == 404
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/@ava").status_code == 404


def test_me_redirects_to_own_profile_or_login(client):
    assert reverse("account_login") in client.get(reverse("accounts:me"))["Location"]
    client.force_login(ava())
    assert client.get(reverse("accounts:me"))["Location"] == "/@ava"


def test_profile_edit_saves_fields_and_avatar(client):
    user = ava()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile_edit"),
        {
            "display_name": "Ava ✨", "bio": "Hello 你好", "languages_spoken": ["en"],
            "languages_learning": ["zh", "ja"], "ui_language": "zh-hans",
            "avatar": upload("me.png", png_bytes()),
        },
    )  # fmt: skip
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "Ava ✨" and profile.ui_language == "zh-hans"
    assert profile.avatar.startswith("avatars/") and profile.avatar.endswith(".webp")
    from django.core.files.storage import default_storage

    with default_storage.open(profile.avatar) as f:
        assert Image.open(f).format == "WEBP"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("me.png", b"this is not an image"),
        ("me.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("me.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_profile_edit_bad_avatar_shows_error_and_keeps_the_rest(client, name, content):
    user = ava()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile_edit"),
        {"display_name": "Changed 名字", "bio": "kept bio", "avatar": upload(name, content)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "This file is not an image we can use." in html
    assert 'value="Changed 名字"' in html and "kept bio" in html
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "Ava 🌸" and profile.avatar == ""


def test_profile_edit_decompression_bomb_is_refused(client):
    from tests.accounts.test_avatars import png_claiming

    client.force_login(ava())
    response = client.post(
        reverse("accounts:profile_edit"),
        {"display_name": "Ava", "avatar": upload("bomb.png", png_claiming(60_000, 60_000))},
    )
    assert response.status_code == 200
    assert "too many pixels" in response.content.decode()


def test_profile_edit_requires_login(client):
    assert reverse("account_login") in client.get(reverse("accounts:profile_edit"))["Location"]


# --- dev outbox -------------------------------------------------------------------------------


def test_dev_outbox_shows_codes_to_loopback_only(client, settings):
    start(client)
    code = code_from_outbox()
    response = client.get(reverse("accounts:dev_outbox"), REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200 and code in response.content.decode()
    assert client.get(reverse("accounts:dev_outbox"), REMOTE_ADDR="203.0.113.5").status_code == 404
    # A local proxy that is not configured as trusted: the forwarding header gives it away.
    untrusted_proxy = client.get(
        reverse("accounts:dev_outbox"), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert untrusted_proxy.status_code == 404
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    behind_proxy = client.get(
        reverse("accounts:dev_outbox"), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert behind_proxy.status_code == 404


def test_dev_outbox_is_404_with_the_http_backend(client, settings):
    settings.SMS_BACKEND = "http"
    assert client.get(reverse("accounts:dev_outbox"), REMOTE_ADDR="127.0.0.1").status_code == 404


# --- UI language ------------------------------------------------------------------------------


def test_language_switch_saves_the_signed_in_users_choice(client):
    user = ava()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/@ava"})
    assert response.status_code == 302
    assert Profile.objects.get(user=user).ui_language == "zh-hans"
    assert "IP属地" in client.get("/@ava").content.decode()


def test_language_switch_for_anonymous_visitors_uses_the_cookie_only(client):
    ava()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "IP属地：美国" in client.get("/@ava").content.decode()
    assert "ui_language" not in client.session


def test_saved_language_applies_on_a_new_device(client):
    user = liwei()
    Profile.objects.filter(user=user).update(ui_language="zh-hans")
    start(client, region="CN", number="13800138000", HTTP_ACCEPT_LANGUAGE="en-US")
    client.post(
        reverse("accounts:phone_code"), {"code": code_from_outbox()}, HTTP_ACCEPT_LANGUAGE="en-US"
    )
    html = client.get("/@liwei", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "IP属地：四川" in html
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_first_language_guess_comes_from_accept_language_and_is_saved(client):
    user = ava()
    Profile.objects.filter(user=user).update(ui_language="")
    start(client, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    client.post(
        reverse("accounts:phone_code"),
        {"code": code_from_outbox()},
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert Profile.objects.get(user=user).ui_language == "zh-hans"


def test_password_login_through_allauth_updates_territory_and_language(client):
    user = liwei()
    user.email = "liwei@example.com"
    user.set_password("a long enough passphrase 42")
    user.save()
    Profile.objects.filter(user=user).update(ui_language="zh-hans")
    response = client.post(
        reverse("account_login"),
        {"login": "LiWei", "password": "a long enough passphrase 42"},
        REMOTE_ADDR=US_IP,
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=user).ip_territory == "US"
    assert client.session["ui_language"] == "zh-hans"


def test_password_login_attempts_are_limited_per_ip(client, settings):
    settings.LOGIN_ATTEMPTS_PER_IP = 2
    ava()
    for _ in range(2):
        client.post(reverse("account_login"), {"login": "ava", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": "ava", "password": "wrong"})
    assert "Too many log-in attempts" in response.content.decode()


def test_admin_lists_users_and_codes_without_the_code(client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root_admin", "pw")
    client.force_login(admin_user)
    start(client)
    code = code_from_outbox()
    assert client.get("/admin/accounts/user/").status_code == 200
    html = client.get("/admin/accounts/phonecode/").content.decode()
    assert "+12025550143" in html and code not in html
    row = PhoneCode.objects.get()
    assert client.get(f"/admin/accounts/phonecode/{row.pk}/change/").status_code == 200
    assert code not in client.get(f"/admin/accounts/phonecode/{row.pk}/change/").content.decode()


def test_phone_flow_keeps_a_next_with_a_query_string(client):
    ava()
    response = client.post(
        reverse("accounts:phone"),
        {"region": "US", "number": "2025550143", "next": "/notes/?tab=new&page=2"},
    )
    # The code page's URL carries next; the code form posts back to that URL.
    response = client.post(response["Location"], {"code": code_from_outbox()})
    assert response["Location"] == "/notes/?tab=new&page=2"


def test_avatar_changes_are_rate_limited(client):
    client.force_login(ava())
    for _ in range(20):
        response = client.post(
            reverse("accounts:profile_edit"), {"avatar": upload("me.png", png_bytes())}
        )
        assert response.status_code == 302
    response = client.post(
        reverse("accounts:profile_edit"),
        {"display_name": "kept", "avatar": upload("me.png", png_bytes())},
    )
    assert response.status_code == 429
    assert "Too many new avatars" in response.content.decode()
    assert 'value="kept"' in response.content.decode()


def test_handle_check_says_taken_or_available(client):
    ava()
    url = reverse("accounts:handle_check")
    assert "@AVA is already taken" in client.get(url, {"handle": "AVA"}).content.decode()
    assert "@ava_2 is available." in client.get(url, {"handle": "ava_2"}).content.decode()
    assert "reserved" in client.get(url, {"handle": "admin"}).content.decode()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "已被占用" in client.get(url, {"handle": "Ava"}).content.decode()


def test_handle_check_escapes_what_was_typed(client):
    html = client.get(reverse("accounts:handle_check"), {"handle": "<script>"}).content.decode()
    assert "<script>" not in html
