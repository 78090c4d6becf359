import pytest
from django.contrib.auth.models import AnonymousUser

from bridgenote.engage.models import Block, Follow
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create
from tests.notes.conftest import make_attachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(author):
    def make(**kwargs):
        return note_create(
            author=author, attachment_ids=[make_attachment(author).id], title="hi", **kwargs
        )

    return make


def visible(note, viewer):
    return Note.objects.visible_to(viewer).filter(id=note.id).exists()


def test_public_note_is_visible_to_everyone(post, reader):
    note = post()
    assert visible(note, reader)
    assert visible(note, AnonymousUser())
    assert visible(note, None)


def test_author_sees_own_drafts_private_and_processing(post, author, reader):
    draft = note_create(author=author, title="draft", publish=False)
    private = post(visibility=Note.Visibility.PRIVATE)
    Note.objects.filter(id=private.id).update(media_ready=False, moderation="removed")
    for note in (draft, private):
        assert visible(note, author)
        assert not visible(note, reader)


def test_drafts_are_hidden_from_others(author, reader):
    draft = note_create(author=author, title="draft", publish=False)
    assert not visible(draft, reader)
    assert not visible(draft, None)


def test_unready_media_hide_a_note_from_others(post, reader):
    note = post()
    Note.objects.filter(id=note.id).update(media_ready=False)
    assert not visible(note, reader)


@pytest.mark.parametrize(
    ("moderation", "shown"),
    [("published", True), ("limited", True), ("pending", False), ("removed", False)],
)
def test_moderation_states(post, reader, moderation, shown):
    note = post()
    Note.objects.filter(id=note.id).update(moderation=moderation)
    assert visible(note, reader) is shown


def test_followers_only_needs_a_follow(post, author, reader):
    note = post(visibility=Note.Visibility.FOLLOWERS)
    assert not visible(note, reader)
    assert not visible(note, None)
    Follow.objects.create(follower=reader, followee=author)
    assert visible(note, reader)


def test_private_is_the_authors_alone(post, author, reader):
    note = post(visibility=Note.Visibility.PRIVATE)
    Follow.objects.create(follower=reader, followee=author)
    assert not visible(note, reader)
    assert visible(note, author)


def test_blocks_hide_notes_both_ways(post, author, reader):
    note = post()
    block = Block.objects.create(blocker=author, blocked=reader)
    assert not visible(note, reader)
    block.delete()
    Block.objects.create(blocker=reader, blocked=author)
    assert not visible(note, reader)


def test_discoverable_is_published_public_and_ready(post, author):
    public = post()
    limited = post()
    Note.objects.filter(id=limited.id).update(moderation="limited")
    followers = post(visibility=Note.Visibility.FOLLOWERS)
    unready = post()
    Note.objects.filter(id=unready.id).update(media_ready=False)
    draft = note_create(author=author, title="d", publish=False)
    found = set(Note.objects.discoverable().values_list("id", flat=True))
    assert public.id in found
    assert not {limited.id, followers.id, unready.id, draft.id} & found
