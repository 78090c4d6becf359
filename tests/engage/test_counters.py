"""Counters never drift: random interleavings of every engagement action, then a recount
must find nothing to repair, and the counters must equal a count of the rows."""

from __future__ import annotations

import contextlib
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
from bridgenote.engage.models import SHOWN_STATES, Board, Collect, Comment, Follow, Like
from bridgenote.moderation.models import KeywordRule
from bridgenote.moderation.services import rule_save
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
    "held_comment",
    "moderate_comment",
    "like_comment",
    "unlike_comment",
    "follow",
    "unfollow",
    "block",
    "unblock",
]

# Sequences draw from one family of actions at a time (or all of them): a small alphabet
# makes actions pile up on the same rows, where counter bugs hide (collect into two boards
# then uncollect one; reply, then delete the root; follow, block, refollow...).
FAMILIES = [
    ["like", "unlike", "collect", "collect_board", "uncollect", "uncollect_board", "block"],
    ["comment", "reply", "delete_comment", "like_comment", "unlike_comment", "block", "unblock"],
    # Moderation: held comments and replies, decisions moving comments between states.
    ["comment", "reply", "held_comment", "moderate_comment", "delete_comment"],
    ["follow", "unfollow", "block", "unblock"],
    ACTIONS,
]


def steps_of(family: list[str]) -> st.SearchStrategy[list[tuple[str, int, int, int]]]:
    step = st.tuples(
        st.sampled_from(family),
        st.sampled_from([0, 0, 1]),  # actor
        st.sampled_from([0, 0, 1, 2]),  # other user / note index
        st.integers(0, 3),  # which comment
    )
    return st.lists(step, min_size=2, max_size=30)


sequences = st.sampled_from(FAMILIES).flatmap(steps_of)


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
        board = Board.objects.filter(
            owner=actor, is_default=False
        ).first() or services.board_create(owner=actor, name="Second")
        services.collect_create(user=actor, note=note, board=board)
    elif action == "uncollect":
        services.collect_delete(user=actor, note=note)
    elif action == "uncollect_board":
        services.collect_delete(user=actor, note=note, board=services.board_default(user=actor))
    elif action == "comment":
        services.comment_create(author=actor, note=note, body="hello 你好")
    elif action == "reply" and comment is not None:
        services.comment_reply(author=actor, reply_to=comment, body="reply 回复")
    elif action == "held_comment":  # a hold rule matches: pending, seen by its author only
        if comment is not None and b == 2:
            services.comment_reply(author=actor, reply_to=comment, body="buy followers now")
        else:
            services.comment_create(author=actor, note=note, body="buy followers now")
    elif action == "moderate_comment" and comment is not None:
        # What every moderation decision on a comment goes through.
        state = ("published", "limited", "pending", "removed")[(a + b + c) % 4]
        services.comments_moderation_set(comment_ids=[comment.pk], state=state)
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
        # Only what readers can see counts: held and removed comments do not.
        shown = Comment.objects.filter(is_deleted=False, moderation__in=SHOWN_STATES)
        assert note.comment_count == shown.filter(note=note).count()
    for comment in Comment.objects.all():
        assert comment.reply_count == shown.filter(root=comment).count()
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
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=sequences)
def test_counters_match_a_recount_after_any_interleaving(steps: list[Any]) -> None:
    cache.clear()
    Note.objects.all().delete()
    Profile.objects.all().delete()
    from bridgenote.accounts.models import User

    User.objects.all().delete()
    users = [UserFactory() for _ in range(3)]
    notes = [make_note(u) for u in users]
    if not KeywordRule.objects.filter(term="buy followers").exists():
        rule_save(term="buy followers", category="spam", action="hold")
    for action, a, b, c in steps:
        # A refused action (blocked, deleted, yourself...) must not have moved a counter.
        with contextlib.suppress(EngageError):
            run(action, users, notes, a, b, c)
    assert recount() == dict.fromkeys(recount(), 0)
    assert_counters_match_rows(users, notes)


@pytest.mark.django_db
def test_held_and_removed_comments_do_not_count_and_recount_agrees() -> None:
    """A held comment is not in the note's count (readers do not see it); approving it
    counts it, removing it uncounts it, deleting a held one changes nothing; a recount
    of the same rows agrees at every step."""
    from bridgenote.moderation.models import ModerationCase
    from bridgenote.moderation.services import decision_record

    author, reader = UserFactory(), UserFactory()
    moderator = UserFactory(is_moderator=True)
    note = make_note(author)
    rule_save(term="buy followers", category="spam", action="hold")

    def count() -> int:
        assert recount() == dict.fromkeys(recount(), 0)
        return Note.objects.get(pk=note.pk).comment_count

    services.comment_create(author=reader, note=note, body="lovely")
    held = services.comment_create(author=reader, note=note, body="buy followers here")
    assert Comment.objects.get(pk=held.pk).moderation == "pending"
    assert count() == 1
    case = ModerationCase.objects.get(comment=held)
    decision_record(case=case, moderator=moderator, action="approve", reason_en="ok")
    assert count() == 2
    case = ModerationCase.objects.create(comment=held, source="report")
    decision_record(case=case, moderator=moderator, action="remove", reason_en="spam")
    assert count() == 1
    services.comment_delete(user=reader, comment=Comment.objects.get(pk=held.pk))
    assert count() == 1
    root = Comment.objects.exclude(pk=held.pk).get()
    services.comment_reply(author=author, reply_to=root, body="buy followers too")
    assert count() == 1
    assert Comment.objects.get(pk=root.pk).reply_count == 0


@pytest.mark.django_db
def test_recount_command_reports_repairs(capsys: Any) -> None:
    user = UserFactory()
    note = make_note(user)
    Note.objects.filter(pk=note.pk).update(like_count=5)
    call_command("recount")
    out = capsys.readouterr().out
    assert "note likes: 1 repaired" in out
    assert Note.objects.get(pk=note.pk).like_count == 0
