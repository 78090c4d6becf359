import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from bridgenote.engage.models import Block
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from tests.notes.conftest import make_attachment

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "title": "First day",
        "body": "hello #selfie #自拍#",
        "visibility": "public",
        "place_name": "",
        "language": "",
        "action": "publish",
    }
    data.update(overrides)
    return data


def test_compose_needs_sign_in(client):
    response = client.get(reverse("notes:compose"))
    assert response.status_code == 302


def test_compose_page_shows_limits_and_fields(client, author):
    client.force_login(author)
    response = client.get(reverse("notes:compose"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-count-max="20"' in html
    assert 'data-count-max="1000"' in html
    assert 'name="visibility"' in html and 'name="language"' in html


def test_compose_publishes_and_redirects_to_the_note(client, author, images):
    client.force_login(author)
    photos = images(2)
    data = form_data(attachment_ids=[str(photos[1].id), str(photos[0].id)])
    response = client.post(reverse("notes:compose"), data)
    note = Note.objects.get(author=author)
    assert response.status_code == 302
    assert response["Location"] == reverse("notes:detail", args=[note.id])
    assert note.cover_id == photos[1].id
    assert note.status == Note.Status.PUBLISHED


def test_compose_saves_a_draft(client, author):
    client.force_login(author)
    response = client.post(reverse("notes:compose"), form_data(action="draft"))
    assert response.status_code == 302
    assert Note.objects.get(author=author).status == Note.Status.DRAFT
    assert "First day" in client.get(reverse("notes:drafts")).content.decode()


@pytest.mark.parametrize(
    ("overrides", "count", "needle"),
    [
        ({"title": "x" * 21}, 1, "at most 20 characters"),
        ({"body": "y" * 1001}, 1, "at most 1000 characters"),
        ({"body": "hi @ghost_user"}, 1, "@ghost_user"),
        ({}, 19, "at most 18 photos"),
        ({"title": "", "body": ""}, 0, "at least one photo"),
    ],
)
def test_compose_errors_keep_everything(client, author, overrides, count, needle):
    client.force_login(author)
    photos = [make_attachment(author) for _ in range(count)]
    data = form_data(attachment_ids=[str(p.id) for p in photos], place_name="成都", **overrides)
    response = client.post(reverse("notes:compose"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert needle in html
    assert 'value="成都"' in html
    for photo in photos:
        assert f'name="attachment_ids" value="{photo.id}"' in html
    assert not Note.objects.filter(author=author).exists()
    assert Attachment.objects.filter(owner=author).count() == count


def test_compose_with_images_and_video_together(client, author):
    client.force_login(author)
    photo = make_attachment(author)
    video = make_attachment(author, kind=Attachment.Kind.VIDEO)
    response = client.post(
        reverse("notes:compose"), form_data(attachment_ids=[str(photo.id), str(video.id)])
    )
    assert response.status_code == 400
    assert "photos or one video, not both" in response.content.decode()


def test_compose_with_someone_elses_or_junk_attachment(client, author, reader):
    client.force_login(author)
    theirs = make_attachment(reader)
    response = client.post(
        reverse("notes:compose"), form_data(attachment_ids=[str(theirs.id), "junk"])
    )
    assert response.status_code == 400
    assert "not yours" in response.content.decode()
    # Their file is never shown in my form.
    assert str(theirs.id) not in response.content.decode()


def test_compose_errors_in_chinese(client, author):
    client.force_login(author)
    client.cookies["bn_lang"] = "zh-hans"
    response = client.post(reverse("notes:compose"), form_data(title="x" * 21))
    assert response.status_code == 400
    assert "标题最多 20 个字，现在有 21 个。" in response.content.decode()


@pytest.fixture
def note(author, reader):
    photos = [make_attachment(author, width=800, height=600) for _ in range(3)]
    return note_create(
        author=author,
        title="First day 第一天",
        body="Hi @liwei <script>alert(1)</script>\n#selfie #自拍#",
        attachment_ids=[p.id for p in photos],
        place_name="Chengdu",
    )


def test_note_page_shows_gallery_in_order_and_linked_text(client, note, reader):
    client.force_login(reader)
    response = client.get(reverse("notes:detail", args=[note.id]))
    assert response.status_code == 200
    html = response.content.decode()
    ids = [str(a.attachment_id) for a in note.noteattachment_set.order_by("position")]
    positions = [html.index(f'data-attachment-id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'href="{reverse("topics:detail", args=["自拍"])}"' in html
    assert 'class="mention"' in html
    assert "IP territory: United States" in html
    assert "data:image/png;base64," in html  # blurhash placeholder


def test_note_page_404_for_hidden_notes(client, note, author, reader):
    Block.objects.create(blocker=author, blocked=reader)
    client.force_login(reader)
    assert client.get(reverse("notes:detail", args=[note.id])).status_code == 404
    assert client.get(reverse("notes:detail", args=[999])).status_code == 404


def test_note_page_shows_the_author_processing_and_failures(client, author):
    ready = make_attachment(author)
    pending = make_attachment(author, state=Attachment.State.PROCESSING)
    note = note_create(author=author, attachment_ids=[ready.id, pending.id])
    client.force_login(author)
    html = client.get(reverse("notes:detail", args=[note.id])).content.decode()
    assert "Processing 1 file" in html
    assert 'hx-trigger="every 3s"' in html  # the page refreshes itself until done
    Attachment.objects.filter(id=pending.id).update(state=Attachment.State.FAILED)
    html = client.get(reverse("notes:detail", args=[note.id])).content.decode()
    assert "File 2 failed" in html
    assert 'hx-trigger="every 3s"' not in html


def test_edit_marks_the_note_edited(client, author, note):
    client.force_login(author)
    ids = [str(a.attachment_id) for a in note.noteattachment_set.all()]
    response = client.post(
        reverse("notes:edit", args=[note.id]),
        form_data(title="Day one", body="#selfie", action="save", attachment_ids=ids),
    )
    assert response.status_code == 302
    html = client.get(reverse("notes:detail", args=[note.id])).content.decode()
    assert "Edited" in html and "Day one" in html


def test_others_cannot_edit_or_delete(client, reader, note):
    client.force_login(reader)
    assert client.get(reverse("notes:edit", args=[note.id])).status_code == 404
    assert client.post(reverse("notes:delete", args=[note.id])).status_code == 404
    assert Note.objects.filter(id=note.id).exists()


def test_delete_removes_the_note(client, author, note):
    client.force_login(author)
    response = client.post(reverse("notes:delete", args=[note.id]))
    assert response.status_code == 302
    assert not Note.objects.filter(id=note.id).exists()


def test_publishing_an_invalid_draft_shows_why_and_keeps_it(client, author):
    draft = note_create(author=author, title="half done", publish=False)
    client.force_login(author)
    response = client.post(reverse("notes:publish", args=[draft.id]))
    assert response.status_code == 400
    assert "at least one photo" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Note.Status.DRAFT


def test_topic_page_lists_discoverable_notes_for_any_spelling(client, note, author):
    hidden = note_create(
        author=author,
        body="#selfie",
        attachment_ids=[make_attachment(author).id],
        visibility=Note.Visibility.FOLLOWERS,
    )
    for name in ("selfie", "SELFIE", "自拍"):
        response = client.get(reverse("topics:detail", args=[name]))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-note-id="{note.id}"' in html
        assert f'data-note-id="{hidden.id}"' not in html
    assert client.get(reverse("topics:detail", args=["nothing"])).status_code == 404


def test_topic_page_traditional_finds_simplified(client, author):
    note = note_create(author=author, body="#台湾#", attachment_ids=[make_attachment(author).id])
    response = client.get(reverse("topics:detail", args=["臺灣"]))
    assert f'data-note-id="{note.id}"' in response.content.decode()


def render_grid(author, viewer, query=""):
    request = RequestFactory().get("/" + query)
    request.user = viewer
    template = Template("{% load notes_tags %}{% profile_notes_grid author %}")
    return template.render(Context({"request": request, "user": viewer, "author": author}))


def test_profile_grid_shows_visible_notes_newest_first(author, reader, settings):
    settings.NOTE_PAGE_SIZE = 2
    notes = [
        note_create(author=author, title=f"n{i}", attachment_ids=[make_attachment(author).id])
        for i in range(3)
    ]
    private = note_create(
        author=author,
        title="secret",
        attachment_ids=[make_attachment(author).id],
        visibility=Note.Visibility.PRIVATE,
    )
    html = render_grid(author, reader)
    assert f'data-note-id="{private.id}"' not in html
    assert html.index(f'data-note-id="{notes[2].id}"') < html.index(f'data-note-id="{notes[1].id}"')
    assert f'data-note-id="{notes[0].id}"' not in html
    assert f"?before={notes[1].id}" in html
    second = render_grid(author, reader, f"?before={notes[1].id}")
    assert f'data-note-id="{notes[0].id}"' in second
    assert f'data-note-id="{private.id}"' in render_grid(author, author)


def test_grid_more_endpoint(client, author, reader, settings):
    settings.NOTE_PAGE_SIZE = 1
    first = note_create(author=author, title="a", attachment_ids=[make_attachment(author).id])
    second = note_create(author=author, title="b", attachment_ids=[make_attachment(author).id])
    response = client.get(reverse("notes:author_grid", args=[author.id]), {"before": second.id})
    assert f'data-note-id="{first.id}"' in response.content.decode()


def test_card_escapes_title_and_shows_cover_ratio(author, reader):
    note = note_create(
        author=author,
        title="<b>hi</b>",
        attachment_ids=[make_attachment(author, width=1000, height=500).id],
    )
    html = render_grid(author, reader)
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert "aspect-ratio: 1.3333" in html  # clamped to 4:3
    assert f'data-note-id="{note.id}"' in html


def test_suggest_topics_and_handles(client, author, note):
    client.force_login(author)
    topics = client.get(reverse("notes:suggest"), {"topic": "SEL"}).json()["topics"]
    assert topics == [{"name": "selfie", "count": 1}]
    popular = client.get(reverse("notes:suggest"), {"topic": ""}).json()["topics"]
    assert {t["name"] for t in popular} == {"selfie", "自拍"}
    handles = client.get(reverse("notes:suggest"), {"handle": "li"}).json()["handles"]
    assert handles == [{"handle": "liwei", "display_name": "李伟"}]


def test_topic_page_and_grid_queries_do_not_grow_with_notes(
    client, author, reader, django_assert_max_num_queries
):
    for _ in range(12):
        note_create(author=author, body="#咖啡", attachment_ids=[make_attachment(author).id])
    client.force_login(reader)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("topics:detail", args=["咖啡"])).status_code == 200
    with django_assert_max_num_queries(10):
        render_grid(author, reader)


def test_out_of_range_ids_on_pages_are_not_a_500(client, author):
    client.force_login(author)
    huge = str(10**20)
    response = client.post(
        reverse("notes:compose"), form_data(attachment_ids=[huge], cover_id=huge)
    )
    assert response.status_code == 400
    assert client.get(f"/notes/{huge}/").status_code == 404
    assert client.get(reverse("topics:detail", args=["x"]), {"before": huge}).status_code == 404
    assert (
        client.get(reverse("notes:author_grid", args=[author.id]), {"before": huge}).status_code
        == 200
    )
