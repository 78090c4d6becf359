import re

import pytest
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from bridgenote.notes import blurhash
from bridgenote.notes.templatetags.notes_tags import link_text

ANCHOR = re.compile(r'<a class="(?:topic|mention)" href="[^"<>]*">|</a>')


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("#＃@ <>&\"'a自拍_1,。\n")) | st.text())
def test_link_text_escapes_everything_the_user_wrote(text):
    html = str(link_text(text, handles={"ava"}))
    assert ANCHOR.sub("", html) == escape(text)


@pytest.mark.django_db
def test_link_text_links_topics_and_known_mentions_only():
    html = str(link_text("hi @ava and @ghost #自拍# <b>", handles={"ava"}))
    assert '<a class="mention" href="/@ava">@ava</a>' in html
    assert "@ghost" in html and 'href="/@ghost"' not in html
    assert '<a class="topic" href="/topics/%E8%87%AA%E6%8B%8D/">#自拍#</a>' in html
    assert "&lt;b&gt;" in html


def test_blurhash_placeholder_is_a_small_png():
    uri = blurhash.data_uri("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 1080, 1440)
    assert uri.startswith("data:image/png;base64,")
    assert len(uri) < 4000


@pytest.mark.parametrize("value", ["", "short", "LEHV6nWB2yk8pyo0adR*.7kCMdn", "L" + "<" * 27])
def test_bad_blurhash_gives_no_placeholder(value):
    assert blurhash.data_uri(value, 10, 10) == ""


def test_note_card_offers_the_avif_card_when_there_is_one(images, author, client):
    """With MEDIA_AVIF the card is a <picture>: AVIF for browsers that take it, WebP else."""
    from django.template.loader import render_to_string

    from bridgenote.notes.services import note_create

    plain, with_avif = images(2)
    with_avif.renditions["card_avif"] = {
        "name": f"{with_avif.folder}/card_avif.avif", "width": 540, "height": 720,
        "mime": "image/avif",
    }  # fmt: skip
    with_avif.save()
    for attachment, expect_avif in ((plain, False), (with_avif, True)):
        note = note_create(author=author, title="card", attachment_ids=[attachment.id])
        html = render_to_string("notes/_card.html", {"note": note, "user": author})
        assert ('type="image/avif"' in html) is expect_avif
        assert ("card_avif.avif" in html) is expect_avif
        assert re.search(r'<img src="[^"]+card\.webp"', html)  # the fallback is always there
