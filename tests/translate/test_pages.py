"""The Translate buttons placed on real pages: image descriptions on the note page and bios
on the profile page, with machine-translated (and user-written) markup kept as text."""

from __future__ import annotations

from typing import Any

import pytest

from bridgenote.accounts.models import Profile
from bridgenote.notes.services import note_create
from tests.factories import ava, liwei
from tests.notes.conftest import make_attachment

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


def note_with_alts(author: Any, *alts: str) -> Any:
    attachments = []
    for alt in alts:
        attachment = make_attachment(author)
        attachment.alt_text = alt
        attachment.save(update_fields=["alt_text"])
        attachments.append(attachment.id)
    return note_create(
        author=author, title="成都", body="周末", language="zh", attachment_ids=attachments
    )


def test_note_page_lists_image_descriptions_with_translate_and_pinyin(client, llm):
    note = note_with_alts(liwei(), "", "一杯拿铁和一本书")
    client.force_login(ava())
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Image description" in page and ">Photo 2<" in page and ">Photo 1<" not in page
    assert f'hx-post="/translate/o/note/{note.id}/alt1/"' in page  # positions count every photo
    assert f"/translate/o/note/{note.id}/alt1/text/?pinyin=1" in page
    answer = client.post(f"/translate/o/note/{note.id}/alt1/", **HTMX).content.decode()
    assert "A latte and a book" in answer and "Machine translation by fake-llm" in answer


def test_note_page_without_alt_texts_has_no_image_descriptions(client, llm):
    note = note_with_alts(liwei(), "")
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "tr-alts" not in page


def test_an_english_reader_gets_no_button_for_an_english_alt_text(client, llm):
    reader = ava()
    note = note_with_alts(reader, "A latte and a book")
    client.force_login(reader)
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A latte and a book" in page
    assert f"/translate/o/note/{note.id}/alt0/" not in page.replace("/text/", "")


def test_hostile_translation_of_an_alt_text_is_shown_as_text(client, llm):
    llm.mode = "markup"
    note = note_with_alts(liwei(), "今天天气很好，我们去公园散步吧。")
    answer = client.post(f"/translate/o/note/{note.id}/alt0/", **HTMX).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer
    assert "<script>" not in answer and "<img" not in answer


def test_alt_text_markup_written_by_the_author_stays_text(client, llm):
    note = note_with_alts(liwei(), '<img src=x onerror=alert(1)>拿铁"><script>alert(2)</script>')
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>alert(2)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_profile_page_bio_has_translate_and_pinyin(client, llm):
    li = liwei()
    Profile.objects.filter(user=li).update(bio="我想喝咖啡")
    client.force_login(ava())
    page = client.get("/@liwei", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'hx-post="/translate/o/bio/{li.pk}/bio/"' in page
    assert f"/translate/o/bio/{li.pk}/bio/text/?pinyin=1" in page
    answer = client.post(f"/translate/o/bio/{li.pk}/bio/", **HTMX).content.decode()
    assert "I want to drink coffee" in answer


def test_profile_page_shows_no_button_for_a_bio_in_the_readers_language(client, llm):
    user = ava()
    Profile.objects.filter(user=user).update(bio="I love coffee")
    page = client.get("/@ava", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "I love coffee" in page and "/translate/o/bio/" not in page


def test_profile_bio_markup_stays_text_and_its_translation_too(client, llm):
    li = liwei()
    Profile.objects.filter(user=li).update(bio="<b>你好</b><script>alert(1)</script>")
    page = client.get("/@liwei", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>alert(1)" not in page and "&lt;b&gt;你好&lt;/b&gt;" in page
    llm.mode = "markup"
    Profile.objects.filter(user=li).update(bio="今天天气很好，我们去公园散步吧。")
    answer = client.post(f"/translate/o/bio/{li.pk}/bio/", **HTMX).content.decode()
    assert "<script>" not in answer and "&lt;img src=x onerror=alert(1)&gt;" in answer


def test_a_cached_translation_loads_no_attachments_and_no_user_for_a_bio(client, llm):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    li = liwei()
    Profile.objects.filter(user=li).update(bio="我想喝咖啡")
    note = note_with_alts(li, "一杯拿铁和一本书")
    client.force_login(ava())
    for path in (f"/translate/o/note/{note.id}/body/", f"/translate/o/bio/{li.pk}/bio/"):
        client.post(path, **HTMX)  # the first one reaches the provider
    with CaptureQueriesContext(connection) as body:
        assert client.post(f"/translate/o/note/{note.id}/body/", **HTMX).status_code == 200
    with CaptureQueriesContext(connection) as bio:
        answer = client.post(f"/translate/o/bio/{li.pk}/bio/", **HTMX).content.decode()
    assert "I want to drink coffee" in answer
    body_sql = " ".join(query["sql"] for query in body.captured_queries)
    assert "attachment" not in body_sql and "translate_translation" not in body_sql
    bio_sql = [query["sql"] for query in bio.captured_queries]
    assert not any('FROM "accounts_user"' in sql for sql in bio_sql), bio_sql
    assert len(bio_sql) == 2  # the session and the bio, nothing else
    answer = client.post(f"/translate/o/note/{note.id}/alt0/", **HTMX).content.decode()
    assert "A latte and a book" in answer


@pytest.mark.parametrize("field", ["alt1", "alt", "altx", "alt_other"])
def test_a_missing_photo_or_unknown_field_is_404(client, llm, field):
    note = note_with_alts(liwei(), "一杯拿铁和一本书")
    assert client.post(f"/translate/o/note/{note.id}/{field}/", **HTMX).status_code == 404
