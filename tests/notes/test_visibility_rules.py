"""``note_visible_to`` / ``visible_note`` (one note, the rules applied in Python) must answer
exactly what ``Note.objects.visible_to`` answers, for every kind of note, viewer and relation."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from bridgenote.engage.models import Block, Follow
from bridgenote.notes.models import Note
from bridgenote.notes.queries import note_visible_to, visible_note

pytestmark = pytest.mark.django_db

RELATIONS = {
    "none": [],
    "follows": [("follow", "reader", "author")],
    "author blocks": [("follow", "reader", "author"), ("block", "author", "reader")],
    "reader blocks": [("follow", "reader", "author"), ("block", "reader", "author")],
    "followed by author only": [("follow", "author", "reader")],
    "stranger blocks": [("follow", "reader", "author"), ("block", "stranger", "reader")],
}


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_one_note_answers_as_visible_to_for_every_case(author, reader, stranger, relation):
    people = {"author": author, "reader": reader, "stranger": stranger}
    for kind, one, other in RELATIONS[relation]:
        if kind == "follow":
            Follow.objects.create(follower=people[one], followee=people[other])
        else:
            Block.objects.create(blocker=people[one], blocked=people[other])
    notes = [
        Note.objects.create(
            author=author,
            title="t",
            status=status,
            media_ready=ready,
            moderation=moderation,
            visibility=visibility,
        )
        for status, ready, moderation, visibility in itertools.product(
            Note.Status.values, (True, False), Note.Moderation.values, Note.Visibility.values
        )
    ]
    viewers = {"author": author, "reader": reader, "anonymous": AnonymousUser(), "none": None}
    seen = set()
    for name, viewer in viewers.items():
        expected = set(
            Note.objects.visible_to(viewer)
            .filter(id__in=[note.id for note in notes])
            .values_list("id", flat=True)
        )
        for note in notes:
            case = (name, note.status, note.media_ready, note.moderation, note.visibility)
            assert note_visible_to(note.id, viewer) is (note.id in expected), case
            found = visible_note(note.id, viewer)
            assert (found is not None) is (note.id in expected), case
            assert found is None or (found.id == note.id and found.body == note.body)
            seen.add(note.id in expected)
    assert seen == {True, False}


def test_a_deleted_or_impossible_note_is_not_visible(author, reader):
    note = Note.objects.create(author=author, title="t", status="published", media_ready=True)
    assert note_visible_to(note.id, reader) and visible_note(note.id, reader) == note
    note_id = note.id
    note.delete()
    for viewer in (author, reader, None):
        for key in (note_id, 0, -1, 2**63, 2**70):
            assert note_visible_to(key, viewer) is False
            assert visible_note(key, viewer) is None


def test_the_author_costs_one_query_and_a_reader_two(author, reader, django_assert_num_queries):
    note = Note.objects.create(author=author, title="t", status="published", media_ready=True)
    with django_assert_num_queries(1):
        assert visible_note(note.id, author) is not None
    with django_assert_num_queries(1):
        assert note_visible_to(note.id, None)
    with django_assert_num_queries(2):  # the note, then follows and blocks in one statement
        assert note_visible_to(note.id, reader)
