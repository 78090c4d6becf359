"""A newcomer's first minutes, in a real browser: sign up by phone, set up, switch to 中文."""

import re

import pytest

from bridgenote.accounts.models import Profile, User


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_newcomer_signs_up_with_a_us_number_and_sees_their_profile_in_chinese(
    page_factory, live_server, settings
):
    # The live server sits behind a "proxy" on 127.0.0.1 that says the client is in the US.
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    page = page_factory(locale="en-US")
    page.set_extra_http_headers({"X-Forwarded-For": "8.8.8.8"})

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").click()
    assert page.locator("#id_region").input_value() == "US"  # guessed from the IP
    page.fill("#id_number", "(202) 555-0199")
    page.get_by_role("button", name="Send code").click()
    page.get_by_role("heading", name="Enter the code").wait_for()

    # The dev outbox is for this machine only: a tab without the proxy header reads it.
    outbox = page.context.new_page()
    outbox.goto(live_server.url + "/dev/outbox/")
    message = outbox.locator(".outbox-message").first
    assert "+12025550199" in message.inner_text()
    code = re.search(r"\b(\d{6})\b", message.locator(".body").inner_text()).group(1)
    outbox.close()

    page.fill("#id_code", code)
    page.get_by_role("button", name="Continue").click()
    page.fill("#id_handle", "newcomer_ava")
    page.get_by_role("button", name="Create my account").click()

    page.get_by_role("heading", name="Set up your profile").wait_for()
    page.fill("#id_display_name", "Ava 🌸 新人")
    page.check("input[name=languages_spoken][value=en]")
    page.check("input[name=languages_learning][value=zh]")
    page.get_by_role("button", name="Save and see my profile").click()

    page.wait_for_url(re.compile(r"/@newcomer_ava$"))
    assert page.get_by_role("heading", name="Ava 🌸 新人").is_visible()
    assert page.get_by_text("IP territory: United States").is_visible()

    page.select_option("#langswitch", "zh-hans")
    page.wait_for_load_state("load")
    page.get_by_text("IP属地：美国").wait_for()
    assert page.get_by_text("获赞与收藏").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"

    user = User.objects.get(handle="newcomer_ava")
    assert str(user.phone) == "+12025550199"
    profile = Profile.objects.get(user=user)
    assert profile.ui_language == "zh-hans"
    assert profile.ip_territory == "US"
    assert profile.languages_spoken == ["en"] and profile.languages_learning == ["zh"]
