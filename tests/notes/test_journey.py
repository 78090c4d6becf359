"""Ava's first note, in a real browser: three photos (HEIC from an iPhone, a PNG with GPS in
its EXIF, a JPEG), reordered, a bilingual caption with #selfie #自拍#; then 李伟 finds it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note
from tests.factories import ava, liwei

GPS_IFD = 0x8825


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 39.0, 36.0), 3: "E", 4: (104.0, 3.0, 36.0)})
    return exif


def picture(colour: tuple[int, int, int], size: tuple[int, int], fmt: str, **save) -> bytes:
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 16):  # some detail, so it is not a flat colour
        image.paste((x % 255, 120, 200), (x, 0, x + 4, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return picture((250, 120, 140), (640, 480), "HEIF", quality=80, exif=gps_exif().tobytes())


def assert_no_metadata(name: str) -> None:
    with default_storage.open(name) as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif(), name
    assert "exif" not in image.info and "xmp" not in image.info, name
    assert b"Exif" not in data and b"GPS" not in data, name


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ava_posts_a_bilingual_selfie_note_and_liwei_sees_it(live_server, page_factory, login):
    author, reader = ava(), liwei()
    page = page_factory(locale="en-US")
    login(page, author)
    page.goto(f"{live_server.url}/notes/new/")
    files = [
        {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": heic()},
        {
            "name": "gps.png",
            "mimeType": "image/png",
            "buffer": picture((90, 160, 230), (600, 800), "PNG", exif=gps_exif().tobytes()),
        },
        {
            "name": "third.jpg",
            "mimeType": "image/jpeg",
            "buffer": picture((120, 200, 90), (800, 600), "JPEG"),
        },
    ]
    # All three at once, as from a phone's photo picker (the uploader sends them in turn).
    page.set_input_files("[data-uploader-input]", files=files)
    page.wait_for_function(
        "document.querySelectorAll('.bn-uploader-item [data-state=ready]').length === 3",
        timeout=60_000,
    )
    ids_selector = "[data-uploader-inputs] input[name=attachment_ids]"
    uploaded = page.eval_on_selector_all(ids_selector, "els => els.map(e => e.value)")
    assert len(uploaded) == 3
    # Move the HEIC photo one place later: the PNG comes first.
    page.locator(".bn-uploader-item").first.locator("[data-right]").click()
    chosen = page.eval_on_selector_all(ids_selector, "els => els.map(e => e.value)")
    assert chosen == [uploaded[1], uploaded[0], uploaded[2]]

    page.fill("input[name=title]", "First day 第一天")
    page.fill("textarea[name=body]", "Hi everyone! 大家好，我是Ava，请多指教 #selfie #自拍#")
    expect_count = page.locator("#title-count").inner_text()
    assert expect_count == "13 / 20"  # counted in characters, as the server does
    page.click("button[name=action][value=publish]")
    page.wait_for_url(re.compile(r"/notes/\d+/$"))

    note = Note.objects.get(author=author)
    assert note.status == Note.Status.PUBLISHED and note.media_ready
    assert note.language == "mixed"
    gallery = page.eval_on_selector_all(
        ".gallery-slide", "els => els.map(e => e.dataset.attachmentId)"
    )
    assert gallery == chosen
    assert page.locator(".note-body a.topic").count() == 2

    for attachment in Attachment.objects.filter(id__in=[int(i) for i in chosen]):
        assert attachment.state == Attachment.State.READY
        assert attachment.original == ""
        assert attachment.renditions
        for rendition in attachment.renditions.values():
            assert_no_metadata(rendition["name"])

    for topic in ("selfie", "自拍"):
        page.goto(f"{live_server.url}/topics/{topic}/")
        assert page.locator(f'[data-note-id="{note.id}"]').count() == 1

    other = page_factory(locale="zh-CN")
    login(other, reader)
    other.goto(f"{live_server.url}/@ava")
    card = other.locator(f'.profile-notes [data-note-id="{note.id}"]')
    assert card.count() == 1
    assert "First day" in card.inner_text()
