"""Bilingual notes (a second-language version of title and body) and the language-help flag:
services, compose and note pages, the machine draft, the API, search and moderation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import Http404
from django.test import Client, override_settings
from django.urls import reverse

from bridgenote.moderation.services import rule_save
from bridgenote.notes.apps import note_texts
from bridgenote.notes.models import Note
from bridgenote.notes.services import NoteError, note_create, note_update
from tests.factories import UserFactory
from tests.translate.conftest import _fake_server, fake, llm  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_stored_translations() -> Any:
    """Machine drafts are computed here, not served from another test's translations."""
    from django.core.cache import cache

    from bridgenote.translate.services import _local

    _local.clear()
    cache.clear()
    yield
    _local.clear()


def codes(error: NoteError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


def bilingual(author: Any, images: Any, **kwargs: Any) -> Note:
    values = {
        "title": "成都的咖啡",
        "body": "我最喜欢的咖啡店",
        "language": "zh",
        "alt_language": "en",
        "alt_title": "Coffee in Chengdu",
        "alt_body": "My favourite coffee shop",
        **kwargs,
    }
    return note_create(author=author, attachment_ids=[images()[0].id], **values)


# --- services ---------------------------------------------------------------------------------
def test_note_create_stores_the_second_language_version(author, images):
    note = bilingual(author, images, help_language="en")
    note.refresh_from_db()
    assert (note.alt_language, note.alt_title, note.alt_body) == (
        "en",
        "Coffee in Chengdu",
        "My favourite coffee shop",
    )
    assert note.help_language == "en"
    assert note.has_alt
    assert note.alt_first_for("en-us") and note.alt_first_for("en")
    assert not note.alt_first_for("zh-hans")


def test_note_create_alt_language_without_alt_text_keeps_nothing(author, images):
    note = note_create(
        author=author, body="hello", attachment_ids=[images()[0].id], alt_language="zh"
    )
    assert (note.alt_language, note.has_alt) == ("", False)


@override_settings(NOTE_TITLE_MAX=10, NOTE_BODY_MAX=20)
def test_alternate_title_and_body_over_their_limits_are_refused(author, images):
    with pytest.raises(NoteError) as error:
        bilingual(author, images, alt_title="x" * 11, alt_body="y" * 21, title="短", body="短文")
    assert codes(error.value) == {
        "alt_title": ["alt_title_too_long"],
        "alt_body": ["alt_body_too_long"],
    }
    assert "at most 10 characters; it has 11" in error.value.message_dict["alt_title"][0]
    assert not Note.objects.exists()


def test_alternate_language_equal_to_the_main_language_is_refused(author, images):
    with pytest.raises(NoteError) as error:
        bilingual(author, images, alt_language="zh")
    assert codes(error.value) == {"alt_language": ["alt_same_language"]}
    # The main language may also be detected: English text with an English "second" version.
    with pytest.raises(NoteError) as error:
        bilingual(author, images, title="Hello", body="A day out", language="", alt_language="en")
    assert codes(error.value) == {"alt_language": ["alt_same_language"]}
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"alt_language": "fr"}, {"alt_language": ["bad_alt_language"]}),
        ({"alt_language": "mixed"}, {"alt_language": ["bad_alt_language"]}),
        ({"alt_language": ""}, {"alt_language": ["alt_language_missing"]}),
        ({"help_language": "klingon"}, {"help_language": ["bad_help_language"]}),
    ],
)
def test_unknown_or_missing_languages_are_refused(author, images, changes, expected):
    with pytest.raises(NoteError) as error:
        bilingual(author, images, **changes)
    assert codes(error.value) == expected
    assert not Note.objects.exists()


def test_language_errors_are_translated(author, images):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(NoteError) as error:
        bilingual(author, images, alt_language="zh")
    assert error.value.message_dict["alt_language"] == ["第二个版本必须使用与笔记不同的语言。"]


def test_note_update_keeps_or_clears_the_second_version(author, images):
    note = bilingual(author, images)
    note_update(note=note, title="新标题")
    note.refresh_from_db()
    assert (note.title, note.alt_title) == ("新标题", "Coffee in Chengdu")
    note_update(note=note, alt_body="Edited in English", help_language="zh")
    note.refresh_from_db()
    assert (note.alt_body, note.help_language) == ("Edited in English", "zh")
    note_update(note=note, alt_title="", alt_body="")
    note.refresh_from_db()
    assert (note.alt_language, note.alt_title, note.alt_body, note.has_alt) == ("", "", "", False)


def test_note_update_over_limit_alternate_text_changes_nothing(author, images):
    note = bilingual(author, images)
    with override_settings(NOTE_BODY_MAX=20), pytest.raises(NoteError) as error:
        note_update(note=note, alt_body="y" * 21)
    assert codes(error.value) == {"alt_body": ["alt_body_too_long"]}
    note.refresh_from_db()
    assert note.alt_body == "My favourite coffee shop"


def test_a_refused_term_in_the_alternate_text_is_named_on_its_field(author, images):
    rule_save(
        term="scamcoin",
        action="refuse",
        category="other",
        created_by=UserFactory(is_moderator=True),
    )
    with pytest.raises(NoteError) as error:
        bilingual(author, images, alt_body="buy scamcoin now")
    assert list(error.value.message_dict) == ["alt_body"]
    assert "isn't allowed" in error.value.message_dict["alt_body"][0]
    assert not Note.objects.exists()


def test_a_held_term_in_the_alternate_text_puts_the_note_under_review(
    author, images, django_capture_on_commit_callbacks
):
    rule_save(
        term="wechatme", action="hold", category="other", created_by=UserFactory(is_moderator=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = bilingual(author, images, alt_body="add me wechatme")
    note.refresh_from_db()
    assert note.moderation == Note.Moderation.PENDING


def test_translation_registry_offers_the_alternate_texts(author, reader, images):
    note = bilingual(author, images)
    texts = note_texts(reader, note.id)
    assert texts["alt_title"] == "Coffee in Chengdu"
    assert texts["alt_body"] == "My favourite coffee shop"
    Note.objects.filter(pk=note.pk).update(visibility=Note.Visibility.PRIVATE)
    with pytest.raises(Http404):
        note_texts(reader, note.id)


def test_search_finds_a_note_by_its_alternate_text(author, images):
    from bridgenote.search.services import search_index_note

    note = bilingual(author, images)
    search_index_note(note_id=note.id)
    response = Client().get("/api/search/", {"q": "favourite"})
    assert [n["id"] for n in response.json()["notes"]] == [str(note.id)]


# --- pages ------------------------------------------------------------------------------------
def test_note_page_shows_the_readers_language_first_with_a_switch(author, images):
    note = bilingual(author, images, help_language="en")
    url = reverse("notes:detail", args=[note.id])
    english = Client().get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english.index("Coffee in Chengdu") < english.index("Read the Chinese version")
    assert "成都的咖啡" not in english.split("<article", 1)[1].split("note-meta")[0]
    assert "?version=main" in english
    assert "Asks for help with English" in english
    chinese = Client().get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    body = chinese.split("<article", 1)[1]
    assert "成都的咖啡" in body and "Coffee in Chengdu" not in body.split("note-meta")[0]
    assert "?version=alt" in chinese
    switched = Client().get(url + "?version=main", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "成都的咖啡" in switched and "?version=alt" in switched


def test_note_page_escapes_the_alternate_text(author, images):
    note = bilingual(author, images, alt_title="<b>hi</b>", alt_body="<img src=x onerror=1>")
    html = Client().get(reverse("notes:detail", args=[note.id])).content.decode()
    assert "<b>hi</b>" not in html and "<img src=x" not in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


def test_card_shows_the_readers_version_and_badges(author, images, reader):
    note = bilingual(author, images, help_language="en")
    client = Client()
    client.force_login(reader)
    html = client.get(
        reverse("accounts:profile", args=[author.handle]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'data-note-id="{note.id}"' in html
    assert "Coffee in Chengdu" in html
    assert "Also in Chinese" in html
    assert "Asks for help with English" in html


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "成都的咖啡",
        "body": "我最喜欢的咖啡店",
        "visibility": "public",
        "language": "zh",
        "alt_language": "en",
        "alt_title": "Coffee in Chengdu",
        "alt_body": "My favourite coffee shop",
        "help_language": "",
        "action": "publish",
    }
    data.update(overrides)
    return data


def test_compose_publishes_a_bilingual_note_with_language_help(author, images):
    client = Client()
    client.force_login(author)
    page = client.get(reverse("notes:compose")).content.decode()
    assert "Also in 中文 / English" in page
    assert "Machine translation is not set up on this site" in page  # dictionary provider
    assert "Machine draft" not in page
    photo = images()[0]
    response = client.post(
        reverse("notes:compose"), _form(attachment_ids=[str(photo.id)], help_language="en")
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.alt_language, note.alt_title, note.help_language) == (
        "en",
        "Coffee in Chengdu",
        "en",
    )


@override_settings(NOTE_TITLE_MAX=10)
def test_compose_errors_on_the_second_version_keep_everything(author, images):
    client = Client()
    client.force_login(author)
    photo = images()[0]
    response = client.post(
        reverse("notes:compose"),
        _form(attachment_ids=[str(photo.id)], alt_title="An English title far too long"),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The title can have at most 10 characters; it has 29." in html
    assert 'value="An English title far too long"' in html
    assert "My favourite coffee shop" in html
    assert '<details class="compose-alt" open>' in html
    assert not Note.objects.exists()


def test_compose_same_language_error_is_next_to_the_field(author, images):
    client = Client()
    client.force_login(author)
    photo = images()[0]
    response = client.post(
        reverse("notes:compose"), _form(attachment_ids=[str(photo.id)], alt_language="zh")
    )
    assert response.status_code == 400
    assert "The second version must be in another language than the note." in (
        response.content.decode()
    )


# --- machine draft ----------------------------------------------------------------------------
def test_machine_draft_with_the_dictionary_provider_says_it_is_unavailable(author):
    client = Client()
    client.force_login(author)
    response = client.post(reverse("notes:machine_draft"), {"title": "Hello", "alt_language": "zh"})
    assert response.status_code == 503
    assert response.json()["error"] == "no_provider"


def test_machine_draft_needs_sign_in_and_post(author):
    assert Client().post(reverse("notes:machine_draft"), {}).status_code == 302
    client = Client()
    client.force_login(author)
    assert client.get(reverse("notes:machine_draft")).status_code == 405


def test_machine_draft_fills_the_second_version(author, llm):  # noqa: F811
    client = Client()
    client.force_login(author)
    page = client.get(reverse("notes:compose")).content.decode()
    assert "Machine draft" in page
    data = {"title": "Hello", "body": "Good morning, friends!", "alt_language": "zh"}
    response = client.post(reverse("notes:machine_draft"), data)
    assert response.status_code == 200
    assert response.json()["title"] == "你好"
    assert response.json()["body"] == "早上好，朋友们！"
    fragment = client.post(reverse("notes:machine_draft"), data, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'value="你好"' in html and "早上好，朋友们！" in html
    assert "check it before publishing" in html
    assert not Note.objects.exists()  # nothing is saved


def test_machine_draft_errors_keep_what_the_author_wrote(author, llm):  # noqa: F811
    client = Client()
    client.force_login(author)
    no_language = client.post(
        reverse("notes:machine_draft"),
        {"title": "Hello", "alt_title": "mine", "alt_language": ""},
        HTTP_HX_REQUEST="true",
    )
    html = no_language.content.decode()
    assert "Choose the language of the second version first." in html
    assert 'value="mine"' in html
    llm.mode = "down"
    down = client.post(
        reverse("notes:machine_draft"),
        {"title": "Sunny walk", "alt_title": "mine", "alt_body": "my text", "alt_language": "zh"},
        HTTP_HX_REQUEST="true",
    )
    html = down.content.decode()
    assert down.status_code == 200  # htmx swaps it in: the message sits with the fields
    assert "try again later" in html.lower()
    assert 'value="mine"' in html and "my text" in html
    assert client.post(
        reverse("notes:machine_draft"), {"title": "Rainy walk", "alt_language": "zh"}
    ).status_code in (502, 503)
    empty = client.post(reverse("notes:machine_draft"), {"alt_language": "zh"})
    assert empty.status_code == 400 and empty.json()["error"] == "empty"


# --- API --------------------------------------------------------------------------------------
def _post(client: Client, path: str, data: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def test_api_reads_and_writes_the_bilingual_fields(author, images):
    client = Client()
    client.force_login(author)
    photo = images()[0]
    response = _post(
        client,
        "/api/notes/",
        {
            "title": "成都的咖啡",
            "body": "我最喜欢的咖啡店",
            "language": "zh",
            "alt_language": "en",
            "alt_title": "Coffee in Chengdu",
            "alt_body": "My favourite coffee shop",
            "help_language": "en",
            "attachment_ids": [photo.id],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["alt_language"], body["alt_title"], body["help_language"]) == (
        "en",
        "Coffee in Chengdu",
        "en",
    )
    patched = _post(client, f"/api/notes/{body['id']}", {"alt_body": "Updated"}, "patch")
    assert patched.status_code == 200
    assert patched.json()["alt_body"] == "Updated"
    assert patched.json()["alt_title"] == "Coffee in Chengdu"
    read = Client().get(f"/api/notes/{body['id']}").json()
    assert read["alt_body"] == "Updated"


def test_api_bad_bilingual_input_is_a_clear_error(author, images):
    client = Client()
    client.force_login(author)
    photo = images()[0]
    base = {"title": "Hello", "language": "en", "attachment_ids": [photo.id]}
    same = _post(client, "/api/notes/", {**base, "alt_language": "en", "alt_title": "Hi"})
    assert same.status_code == 400
    assert same.json()["error"] == "alt_same_language"
    assert "alt_language" in same.json()["fields"]
    unknown = _post(client, "/api/notes/", {**base, "alt_language": "xx", "alt_title": "Hi"})
    assert unknown.json()["error"] == "bad_alt_language"
    helps = _post(client, "/api/notes/", {**base, "help_language": "fr"})
    assert helps.status_code == 400 and helps.json()["error"] == "bad_help_language"
    with override_settings(NOTE_BODY_MAX=5):
        long = _post(
            client, "/api/notes/", {**base, "alt_language": "zh", "alt_body": "太长了太长了"}
        )
    assert long.status_code == 400 and long.json()["error"] == "alt_body_too_long"
    assert not Note.objects.exists()


def test_demo_has_a_bilingual_note_and_a_language_help_request() -> None:
    from bridgenote.notes.demo import NOTES

    extras = [spec.get("extra", {}) for spec in NOTES]
    assert any(e.get("alt_language") == "en" and e.get("alt_title") for e in extras)
    assert any(e.get("help_language") == "en" for e in extras)
