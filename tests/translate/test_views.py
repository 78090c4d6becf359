import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import translation

from bridgenote.accounts.models import Profile
from bridgenote.translate.models import WordListEntry
from bridgenote.translate.registry import register, unregister
from tests.factories import ava, liwei

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def chinese_bio():
    user = liwei()
    Profile.objects.filter(user=user).update(bio="今天天气很好，我们去公园散步吧。")
    return user


def test_translate_object_shows_the_translation_and_the_provider(client, llm, chinese_bio):
    response = client.post(f"/translate/o/bio/{chinese_bio.pk}/bio/", **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The weather is nice today, let&#x27;s walk in the park." in page
    assert "Machine translation by fake-llm" in page
    assert f"/translate/o/bio/{chinese_bio.pk}/bio/button/" in page  # the toggle back


def test_show_original_brings_the_translate_button_back(client, llm, chinese_bio):
    page = client.get(f"/translate/o/bio/{chinese_bio.pk}/bio/button/").content.decode()
    assert f'hx-post="/translate/o/bio/{chinese_bio.pk}/bio/"' in page and ">Translate<" in page


def test_hostile_provider_markup_is_shown_as_text(client, llm, chinese_bio):
    llm.mode = "markup"
    page = client.post(f"/translate/o/bio/{chinese_bio.pk}/bio/", **HTMX).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "<script" not in page


def test_markup_written_by_the_user_stays_text_in_pinyin_view(client, chinese_bio):
    Profile.objects.filter(user=chinese_bio).update(bio="<b>你好</b><script>alert(1)</script>")
    page = client.get(f"/translate/o/bio/{chinese_bio.pk}/bio/text/?pinyin=1").content.decode()
    assert "&lt;b&gt;" in page and "<script>" not in page
    assert "<ruby>你<rp>(</rp><rt>nǐ</rt>" in page


def test_provider_down_keeps_the_original_with_a_translated_message(client, llm, chinese_bio):
    llm.mode = "down"
    response = client.post(f"/translate/o/bio/{chinese_bio.pk}/bio/", **HTMX)
    assert response.status_code == 200
    assert "Translation unavailable, try again later." in response.content.decode()
    client.cookies["bn_lang"] = "zh-hans"
    page = client.post(
        f"/translate/o/bio/{chinese_bio.pk}/bio/", {"target": "en"}, **HTMX
    ).content.decode()
    assert "翻译暂时不可用，请稍后再试。" in page and "重试" in page


@pytest.mark.parametrize("path", ["/translate/o/nope/1/bio/", "/translate/o/bio/1/bio/"])
def test_unknown_kind_or_object_is_404(client, llm, path):
    assert client.post(path).status_code == 404


def test_unknown_field_and_inactive_author_are_404(client, llm, chinese_bio):
    assert client.post(f"/translate/o/bio/{chinese_bio.pk}/password/").status_code == 404
    type(chinese_bio).objects.filter(pk=chinese_bio.pk).update(is_active=False)
    assert client.post(f"/translate/o/bio/{chinese_bio.pk}/bio/").status_code == 404


def test_a_registered_kind_is_translatable_and_enforces_its_visibility(client, llm):
    def secret_texts(viewer, object_id):
        if not viewer.is_authenticated:
            from django.http import Http404

            raise Http404
        return {"body": "我想喝咖啡"}

    register("secret", secret_texts)
    try:
        assert client.post("/translate/o/secret/7/body/").status_code == 404
        client.force_login(ava())
        page = client.post("/translate/o/secret/7/body/", **HTMX).content.decode()
        assert "I want to drink coffee" in page
    finally:
        unregister("secret")


def _render_button(text, language, user=None):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = user or AnonymousUser()
    template = Template(
        '{% load translate_tags %}{% translate_button "bio" 5 "bio" text %}'
        '{% translatable_text "bio" 5 "bio" text %}'
    )
    with translation.override(language):
        return template.render(Context({"request": request, "text": text}))


def test_translate_button_appears_only_when_the_text_is_not_in_the_viewers_language(llm):
    assert ">Translate<" in _render_button("我想喝咖啡", "en")
    assert "Translate" not in _render_button("so cool", "en")
    assert "翻译" in _render_button("lol 你的 nose-stud 好酷", "zh-hans")
    assert "翻译" not in _render_button("我想喝咖啡", "zh-hans")


def test_translate_button_is_hidden_without_a_machine_translation_provider():
    page = _render_button("我想喝咖啡", "en")
    assert "Translate<" not in page
    assert "Pinyin" in page  # the learner aids still work


def test_gloss_partial_and_saving_a_word(client):
    user = ava()
    client.force_login(user)
    page = client.get("/translate/gloss/", {"word": "咖啡"}).content.decode()
    assert "kā fēi" in page and "coffee (loanword)" in page and "Save to my words" in page
    saved = client.post("/translate/words/save/", {"word": "咖啡"}, **HTMX).content.decode()
    assert "Saved to" in saved
    assert WordListEntry.objects.filter(user=user, word="咖啡").exists()
    words = client.get("/translate/words/").content.decode()
    assert "咖啡" in words and "kā fēi" in words
    client.post("/translate/words/remove/", {"word": "咖啡"}, **HTMX)
    assert not WordListEntry.objects.filter(user=user).exists()


def test_saving_a_non_chinese_word_says_why(client):
    client.force_login(ava())
    page = client.post("/translate/words/save/", {"word": "coffee"}, **HTMX).content.decode()
    assert "Only Chinese words can be saved" in page


def test_word_list_and_text_page_need_sign_in(client):
    for path in ("/translate/", "/translate/words/"):
        assert client.get(path).status_code == 302
    assert client.post("/translate/text/", {"text": "你好"}).status_code == 302


def test_translate_any_text_for_the_signed_in_user(client, llm):
    client.force_login(ava())
    page = client.post(
        "/translate/text/", {"text": "我想喝咖啡", "target": "en"}, **HTMX
    ).content.decode()
    assert "I want to drink coffee" in page
    full = client.post("/translate/text/", {"text": "我想喝咖啡", "target": "en"}).content.decode()
    assert "I want to drink coffee" in full and ">我想喝咖啡</textarea>" in full
    pinyin = client.post(
        "/translate/text/", {"text": "我想喝咖啡", "action": "pinyin"}, **HTMX
    ).content.decode()
    assert "<rt>kā</rt>" in pinyin


def test_translate_any_text_too_long_keeps_the_text(client, llm, settings):
    settings.TRANSLATE_MAX_CHARS = 5
    client.force_login(ava())
    page = client.post("/translate/text/", {"text": "我想喝咖啡吧"}).content.decode()
    assert "too long to translate (at most 5 characters)" in page
    assert ">我想喝咖啡吧</textarea>" in page


def test_translate_any_text_requires_csrf(llm):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ava())
    assert client.post("/translate/text/", {"text": "我想喝咖啡"}).status_code == 403


def test_text_page_renders_for_phones(client, llm):
    client.force_login(ava())
    page = client.get("/translate/").content.decode()
    assert 'name="viewport"' in page and "translate/translate.css" in page
    assert '<option value="en" selected>' in page


def test_translate_button_partial_can_be_included_directly(llm):
    html = Template(
        '{% include "translate/_translate_button.html" with kind="note" object_id=7 field="body" %}'
    ).render(Context({}))
    assert 'hx-post="/translate/o/note/7/body/"' in html
