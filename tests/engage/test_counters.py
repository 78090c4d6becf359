"""Counters never drift: random interleavings of every engagement action, then a recount
must find nothing to repair, and the counters must equal a count of the rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgenote.accounts.models import Profile
from bridgenote.engage import services
from bridgenote.engage.counters import recount
from bridgenote.engage.errors import EngageError
from bridgenote.engage.models import Board, Collect, Comment, Follow, Like
from bridgenote.notes.models import Note
from tests.engage.conftest import make_note
from tests.factories import UserFactory

ACTIONS = [
    "like",
    "unlike",
    "collect",
    "collect_board",
    "uncollect",
    "uncollect_board",
    "comment",
    "reply",
    "delete_comment",
    "like_comment",
    "unlike_comment",
    "follow",
    "unfollow",
    "block",
    "unblock",
]

step = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(0, 2),  # actor
    st.integers(0, 2),  # other user / note index
    st.integers(0, 5),  # which comment
)


def run(action: str, users: list[Any], notes: list[Note], a: int, b: int, c: int) -> None:
    actor, other, note = users[a], users[b], notes[b]
    comments = list(Comment.objects.order_by("pk"))
    comment = comments[c % len(comments)] if comments else None
    if action == "like":
        services.like_create(user=actor, note=note)
    elif action == "unlike":
        services.like_delete(user=actor, note=note)
    elif action == "collect":
        services.collect_create(user=actor, note=note)
    elif action == "collect_board":
        board = Board.objects.filter(owner=actor, is_default=False).first() or services.board_create(
            owner=actor, name="Second"
        )
        services.collect_create(user=actor, note=note, board=board)
    elif action == "uncollect":
        services.collect_delete(user=actor, note=note)
    elif action == "uncollect_board":
        services.collect_delete(user=actor, note=note, board=services.board_default(user=actor))
    elif action == "comment":
        services.comment_create(author=actor, note=note, body="hello 你好")
    elif action == "reply" and comment is not None:
        services.comment_reply(author=actor, reply_to=comment, body="reply 回复")
    elif action == "delete_comment" and comment is not None:
        services.comment_delete(user=actor, comment=comment)
    elif action == "like_comment" and comment is not None:
        services.comment_like_create(user=actor, comment=comment)
    elif action == "unlike_comment" and comment is not None:
        services.comment_like_delete(user=actor, comment=comment)
    elif action == "follow":
        services.follow_create(follower=actor, followee=other)
    elif action == "unfollow":
        services.follow_delete(follower=actor, followee=other)
    elif action == "block":
        services.block_create(blocker=actor, blocked=other)
    elif action == "unblock":
        services.block_delete(blocker=actor, blocked=other)


def assert_counters_match_rows(users: list[Any], notes: list[Note]) -> None:
    for note in Note.objects.all():
        assert note.like_count == Like.objects.filter(note=note).count()
        collectors = Collect.objects.filter(note=note).values("user").distinct().count()
        assert note.collect_count == collectors
        assert note.comment_count == Comment.objects.filter(note=note, is_deleted=False).count()
    for profile in Profile.objects.all():
        assert profile.follower_count == Follow.objects.filter(followee=profile.user).count()
        assert profile.following_count == Follow.objects.filter(follower=profile.user).count()
        authored = Note.objects.filter(author=profile.user)
        expected = Like.objects.filter(note__in=authored).count() + sum(
            n.collect_count for n in authored
        )
        assert profile.likes_and_collects_count == expected


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_counters_match_a_recount_after_any_interleaving(steps: list[Any]) -> None:
    cache.clear()
    Note.objects.all().delete()
    Profile.objects.all().delete()
    from bridgenote.accounts.models import User

    User.objects.all().delete()
    users = [UserFactory() for _ in range(3)]
    notes = [make_note(u) for u in users]
    for action, a, b, c in steps:
        try:
            run(action, users, notes, a, b, c)
        except EngageError:
            pass  # refused (blocked, deleted, self...): must not have moved a counter
    assert recount() == dict.fromkeys(recount(), 0)
    assert_counters_match_rows(users, notes)


@pytest.mark.django_db
def test_recount_command_reports_repairs(capsys: Any) -> None:
    user = UserFactory()
    note = make_note(user)
    Note.objects.filter(pk=note.pk).update(like_count=5)
    call_command("recount")
    out = capsys.readouterr().out
    assert "note likes: 1 repaired" in out
    assert Note.objects.get(pk=note.pk).like_count == 0
