import io

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from bridgenote.accounts.models import Profile
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note, NoteAttachment, Topic
from bridgenote.notes.services import (
    NoteError,
    note_create,
    note_delete,
    note_media_settled,
    note_publish,
    note_update,
)
from tests.notes.conftest import make_attachment

pytestmark = pytest.mark.django_db


def codes(error: NoteError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


def test_note_create_publishes_with_topics_mentions_language_and_cover(author, reader, images):
    photos = images(3)
    note = note_create(
        author=author,
        title="First day 第一天",
        body="Hi @liwei! 你好 #selfie #自拍# #旅行vlog",
        attachment_ids=[p.id for p in photos],
        place_name="Chengdu",
        is_original=True,
    )
    note.refresh_from_db()
    assert note.status == Note.Status.PUBLISHED
    assert note.moderation == Note.Moderation.PUBLISHED
    assert note.published_at is not None
    assert note.media_ready
    assert note.cover_id == photos[0].id
    assert [a.attachment_id for a in NoteAttachment.objects.filter(note=note)] == [
        p.id for p in photos
    ]
    assert sorted(t.name for t in note.topics.all()) == sorted(["selfie", "自拍", "旅行vlog"])
    assert list(note.mentions.all()) == [reader]
    assert note.language == "mixed"
    assert not note.language_is_set
    assert note.ip_territory == "US"
    assert Topic.objects.get(folded="selfie").note_count == 1
    assert Profile.objects.get(user=author).note_count == 1


def test_note_create_language_override_is_kept(author, images):
    note = note_create(
        author=author, body="hello world", attachment_ids=[images()[0].id], language="zh"
    )
    assert (note.language, note.language_is_set) == ("zh", True)


def test_note_create_detects_chinese(author, images):
    note = note_create(author=author, body="今天去喝咖啡", attachment_ids=[images()[0].id])
    assert note.language == "zh"


def test_note_create_chosen_cover(author, images):
    photos = images(2)
    note = note_create(author=author, attachment_ids=[p.id for p in photos], cover_id=photos[1].id)
    assert note.cover_id == photos[1].id


def test_note_create_video_cover_is_the_video(author):
    video = make_attachment(author, kind=Attachment.Kind.VIDEO)
    note = note_create(author=author, title="vlog", attachment_ids=[video.id])
    assert note.cover_id == video.id


def test_topics_match_across_forms_and_keep_first_spelling(author, images):
    note_create(author=author, body="#Selfie", attachment_ids=[images()[0].id])
    note_create(author=author, body="#ＳＥＬＦＩＥ", attachment_ids=[images()[0].id])
    topic = Topic.objects.get(folded="selfie")
    assert topic.name == "Selfie"
    assert topic.note_count == 2


def test_draft_is_saved_without_media_and_published_later(author, images):
    draft = note_create(author=author, title="还没写完", publish=False)
    assert draft.status == Note.Status.DRAFT
    assert Profile.objects.get(user=author).note_count == 0
    with pytest.raises(NoteError) as caught:
        note_publish(note=draft)
    assert codes(caught.value) == {"attachments": ["no_media"]}
    draft.refresh_from_db()
    assert draft.status == Note.Status.DRAFT

    photo = images()[0]
    note_update(note=draft, title="写完了", body="#咖啡", attachment_ids=[photo.id])
    draft.refresh_from_db()
    assert draft.status == Note.Status.DRAFT and draft.edited_at is None
    assert Topic.objects.get(folded="咖啡").note_count == 0
    note_publish(note=draft)
    draft.refresh_from_db()
    assert draft.status == Note.Status.PUBLISHED
    assert Topic.objects.get(folded="咖啡").note_count == 1
    assert Profile.objects.get(user=author).note_count == 1


def test_note_update_marks_edited_and_moves_topic_counts(author, images):
    photos = images(2)
    note = note_create(author=author, body="#咖啡", attachment_ids=[p.id for p in photos])
    note_update(note=note, body="#茶", attachment_ids=[photos[0].id])
    note.refresh_from_db()
    assert note.edited_at is not None
    assert Topic.objects.get(folded="咖啡").note_count == 0
    assert Topic.objects.get(folded="茶").note_count == 1
    # The dropped photo is gone with its files.
    assert not Attachment.objects.filter(id=photos[1].id).exists()


def test_note_delete_removes_attachments_files_and_counts(
    author, images, django_capture_on_commit_callbacks
):
    photos = images(2)
    note = note_create(author=author, body="#selfie", attachment_ids=[p.id for p in photos])
    names = [r["name"] for p in photos for r in p.renditions.values()]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        note_delete(note=note)
    assert not Note.objects.filter(id=note.id).exists()
    assert not Attachment.objects.filter(id__in=[p.id for p in photos]).exists()
    assert not any(default_storage.exists(n) for n in names)
    assert Topic.objects.get(folded="selfie").note_count == 0
    assert Profile.objects.get(user=author).note_count == 0


def test_media_ready_waits_for_every_attachment(author, images, reader):
    ready = images()[0]
    pending = make_attachment(author, state=Attachment.State.PROCESSING)
    note = note_create(author=author, attachment_ids=[ready.id, pending.id])
    assert not note.media_ready
    assert not Note.objects.visible_to(reader).filter(id=note.id).exists()
    assert Note.objects.visible_to(author).filter(id=note.id).exists()

    pending.state = Attachment.State.READY
    pending.save()
    settled = note_media_settled(attachment=pending)
    assert settled is not None and settled.media_ready
    assert Note.objects.visible_to(reader).filter(id=note.id).exists()


def test_media_failure_keeps_note_hidden(author, images):
    pending = make_attachment(author, state=Attachment.State.PROCESSING)
    note_create(author=author, attachment_ids=[pending.id])
    pending.state = Attachment.State.FAILED
    pending.save()
    settled = note_media_settled(attachment=pending)
    assert settled is not None and not settled.media_ready


def test_media_settled_for_an_unattached_file_is_harmless(author, images):
    assert note_media_settled(attachment=images()[0]) is None


def test_media_recheck_job_settles_a_note_whose_media_finished_first(
    author, django_capture_on_commit_callbacks
):
    pending = make_attachment(author, state=Attachment.State.PROCESSING)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = note_create(author=author, attachment_ids=[pending.id])
    # The worker finished while the note was being written: its hook found no note yet.
    Attachment.objects.filter(id=pending.id).update(state=Attachment.State.READY)
    for callback in callbacks:
        callback()
    note.refresh_from_db()
    assert note.media_ready


# --- bad input: a translated message by field, nothing written ---------------------------


def assert_nothing_written(author, attachments=()):
    assert not Note.objects.filter(author=author).exists()
    for attachment in attachments:
        assert Attachment.objects.filter(id=attachment.id).exists()
        assert not NoteAttachment.objects.filter(attachment=attachment).exists()


def test_nineteen_images_are_refused(author, images):
    photos = images(19)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[p.id for p in photos])
    assert codes(caught.value) == {"attachments": ["too_many_images"]}
    assert "18" in caught.value.message_dict["attachments"][0]
    assert_nothing_written(author, photos)


def test_eighteen_images_are_fine(author, images):
    note = note_create(author=author, attachment_ids=[p.id for p in images(18)])
    assert note.noteattachment_set.count() == 18


def test_images_and_a_video_together_are_refused(author, images):
    photo = images()[0]
    video = make_attachment(author, kind=Attachment.Kind.VIDEO)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[photo.id, video.id])
    assert codes(caught.value) == {"attachments": ["images_and_video"]}
    assert_nothing_written(author, [photo, video])


def test_two_videos_are_refused(author):
    videos = [make_attachment(author, kind=Attachment.Kind.VIDEO) for _ in range(2)]
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[v.id for v in videos])
    assert codes(caught.value) == {"attachments": ["too_many_videos"]}


def test_an_empty_note_is_refused(author):
    with pytest.raises(NoteError) as caught:
        note_create(author=author, title="  ", body="\n", publish=False)
    assert codes(caught.value) == {"__all__": ["empty"]}
    with pytest.raises(NoteError) as caught:
        note_create(author=author, title="", body="")
    assert codes(caught.value) == {"attachments": ["no_media"]}
    assert_nothing_written(author)


@override_settings(NOTE_TITLE_MAX=20, NOTE_BODY_MAX=1000)
def test_title_and_body_over_their_limits_are_refused(author, images):
    photo = images()[0]
    with pytest.raises(NoteError) as caught:
        note_create(author=author, title="标" * 21, body="x" * 1001, attachment_ids=[photo.id])
    assert codes(caught.value) == {"title": ["title_too_long"], "body": ["body_too_long"]}
    assert_nothing_written(author, [photo])
    # At the limit exactly, counted in characters (an emoji or a Chinese character is one).
    note_create(author=author, title="🌸" * 20, body="好" * 1000, attachment_ids=[photo.id])


def test_someone_elses_attachment_is_refused(author, reader):
    theirs = make_attachment(reader)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[theirs.id])
    assert codes(caught.value) == {"attachments": ["attachment_not_found"]}
    assert_nothing_written(author)


def test_an_attachment_on_another_note_is_refused(author, images):
    photo = images()[0]
    note_create(author=author, attachment_ids=[photo.id])
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[photo.id])
    assert codes(caught.value) == {"attachments": ["attachment_in_use"]}
    assert Note.objects.filter(author=author).count() == 1


def test_a_failed_attachment_is_refused_and_named(author, images):
    photo = images()[0]
    failed = make_attachment(author, state=Attachment.State.FAILED)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[photo.id, failed.id])
    assert codes(caught.value) == {"attachments": ["attachment_failed"]}
    assert "2" in caught.value.message_dict["attachments"][0]
    assert_nothing_written(author, [photo, failed])


def test_an_unready_attachment_publishes_but_stays_hidden_until_ready(author, reader):
    pending = make_attachment(author, state=Attachment.State.UPLOADED)
    note = note_create(author=author, attachment_ids=[pending.id])
    assert note.status == Note.Status.PUBLISHED and not note.media_ready
    assert not Note.objects.visible_to(reader).filter(id=note.id).exists()


def test_an_unknown_mention_is_refused(author, images):
    photo = images()[0]
    with pytest.raises(NoteError) as caught:
        note_create(author=author, body="hi @nobody_here", attachment_ids=[photo.id])
    assert codes(caught.value) == {"body": ["unknown_mention"]}
    assert "@nobody_here" in caught.value.message_dict["body"][0]
    assert_nothing_written(author, [photo])


def test_cover_must_be_one_of_the_attachments(author, images):
    photo, other = images(2)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[photo.id], cover_id=other.id)
    assert codes(caught.value) == {"cover": ["bad_cover"]}


def test_bad_visibility_and_language_are_refused(author, images):
    with pytest.raises(NoteError) as caught:
        note_create(
            author=author, attachment_ids=[images()[0].id], visibility="world", language="fr"
        )
    assert codes(caught.value) == {"visibility": ["bad_visibility"], "language": ["bad_language"]}


def test_control_characters_are_dropped(author, images):
    note = note_create(
        author=author, title="a\x00b", body="x\r\ny\x07", attachment_ids=[images()[0].id]
    )
    assert (note.title, note.body) == ("ab", "x\ny")


def test_a_failed_update_leaves_the_note_as_it_was(author, images):
    photo = images()[0]
    note = note_create(author=author, title="ok", body="#咖啡", attachment_ids=[photo.id])
    with pytest.raises(NoteError):
        note_update(note=note, title="x" * 100, body="#茶", attachment_ids=[])
    note.refresh_from_db()
    assert note.title == "ok" and note.edited_at is None
    assert [t.name for t in note.topics.all()] == ["咖啡"]
    assert Attachment.objects.filter(id=photo.id).exists()


def test_messages_are_translated(author, images):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(NoteError) as caught:
        note_create(author=author, attachment_ids=[p.id for p in images(19)])
    message = caught.value.message_dict["attachments"][0]
    assert "18" in message
    assert any("\u4e00" <= c <= "\u9fff" for c in message)


def test_posting_is_rate_limited(author, settings):
    settings.NOTES_PER_HOUR = 2
    note_create(author=author, title="a", publish=False)
    note_create(author=author, title="b", publish=False)
    with pytest.raises(NoteError) as caught:
        note_create(author=author, title="c", publish=False)
    assert codes(caught.value) == {"__all__": ["rate_limited"]}
    assert Note.objects.filter(author=author).count() == 2


def test_media_sweep_settles_notes_whose_hook_was_lost(author):
    pending = make_attachment(author, state=Attachment.State.PROCESSING)
    note = note_create(author=author, attachment_ids=[pending.id])
    Attachment.objects.filter(id=pending.id).update(state=Attachment.State.READY)
    from django.core.management import call_command

    call_command("notes_media_sweep", stdout=io.StringIO())
    note.refresh_from_db()
    assert note.media_ready
