"""Notes are translatable through the translate app's kind registry."""

import pytest
from django.http import Http404

from bridgenote.notes.apps import note_texts
from bridgenote.notes.models import Note
from tests.factories import ava, liwei
from tests.translate.conftest import _fake_server, fake, llm  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def make_note(author, **fields):
    defaults = {
        "title": "成都美食",
        "body": "我最喜欢的咖啡店",
        "status": "published",
        "media_ready": True,
    }
    return Note.objects.create(author=author, **(defaults | fields))


def test_a_visible_note_gives_its_texts(client):
    note = make_note(liwei())
    assert note_texts(ava(), note.id) == {"title": "成都美食", "body": "我最喜欢的咖啡店"}


def test_a_private_note_is_not_found_for_others():
    note = make_note(liwei(), visibility="private")
    with pytest.raises(Http404):
        note_texts(ava(), note.id)


def test_without_a_translation_provider_the_note_page_offers_none(client):
    note = make_note(liwei())
    client.force_login(ava())
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'hx-post="/translate/o/note/{note.id}/body/"' not in page
    assert f'hx-get="/translate/o/note/{note.id}/body/pinyin/"' in page  # pinyin works offline


@pytest.mark.usefixtures("llm")
def test_the_note_page_translates_a_chinese_note_for_an_english_reader(client):
    note = make_note(liwei(), body="我想喝咖啡")
    client.force_login(ava())
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    button = f"/translate/o/note/{note.id}/body/"
    assert button in page
    answer = client.post(button, HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "I want to drink coffee" in answer.content.decode()


@pytest.mark.usefixtures("llm")
def test_a_note_the_reader_cannot_see_is_not_translated(client):
    note = make_note(liwei(), visibility="private")
    client.force_login(ava())
    assert client.post(f"/translate/o/note/{note.id}/body/").status_code == 404


def test_the_about_page_attributes_cc_cedict(client):
    page = client.get("/about/").content.decode()
    assert "CC-CEDICT" in page
