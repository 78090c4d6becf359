from __future__ import annotations

import pytest

from bridgenote.engage import demo
from bridgenote.engage.counters import recount
from bridgenote.engage.models import Board, Comment, Follow, Like
from tests.engage.conftest import make_note
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


def test_demo_populate_without_notes_only_follows() -> None:
    users = {"ava": ava(), "liwei": liwei()}
    demo.populate({"users": users})
    assert Follow.objects.count() == 2
    assert not Like.objects.exists()


def test_demo_populate_makes_bilingual_threads_and_boards() -> None:
    a, li = ava(), liwei()
    zhang = UserFactory(handle="zhang", profile__ip_territory="CN-11")
    notes = [make_note(a), make_note(li, title="英语作业"), make_note(zhang, title="火锅")]
    demo.populate({"users": {"ava": a, "liwei": li, "zhang": zhang}})
    assert Board.objects.filter(owner=li, name="English practice").exists()
    assert Board.objects.filter(owner=a, name="成都美食").exists()
    assert Like.objects.filter(note=notes[0], user=li).exists()
    thread = Comment.objects.filter(note=notes[0]).order_by("id")
    assert thread.count() == 3 and thread[1].author == a
    assert sum(recount().values()) == 0
    demo.populate({"users": {"ava": a, "liwei": li, "zhang": zhang}})  # twice is fine
    assert Comment.objects.filter(note=notes[0]).count() == 3
