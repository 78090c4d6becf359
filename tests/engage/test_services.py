from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from bridgenote.accounts.models import Profile
from bridgenote.engage import services
from bridgenote.engage.counters import recount
from bridgenote.engage.errors import Forbidden, Invalid, NotFound, RateLimited
from bridgenote.engage.models import Board, Collect, Comment, Follow
from bridgenote.notes.models import Note
from tests.engage.conftest import make_note

pytestmark = pytest.mark.django_db


def profile(user: Any) -> Profile:
    return Profile.objects.get(user=user)


def fresh(note: Note) -> Note:
    return Note.objects.get(pk=note.pk)


def test_follow_create_counts_once_and_is_idempotent(ava_user: Any, liwei_user: Any) -> None:
    assert services.follow_create(follower=liwei_user, followee=ava_user) is True
    assert services.follow_create(follower=liwei_user, followee=ava_user) is False
    assert profile(ava_user).follower_count == 1
    assert profile(liwei_user).following_count == 1
    assert services.follow_delete(follower=liwei_user, followee=ava_user) is True
    assert services.follow_delete(follower=liwei_user, followee=ava_user) is False
    assert profile(ava_user).follower_count == 0
    assert profile(liwei_user).following_count == 0


def test_follow_create_refuses_yourself(ava_user: Any) -> None:
    with pytest.raises(Invalid) as error:
        services.follow_create(follower=ava_user, followee=ava_user)
    assert error.value.code == "follow_self"


def test_follow_create_refuses_someone_who_blocked_you(ava_user: Any, liwei_user: Any) -> None:
    services.block_create(blocker=ava_user, blocked=liwei_user)
    with pytest.raises(Forbidden):
        services.follow_create(follower=liwei_user, followee=ava_user)
    with pytest.raises(Forbidden):
        services.follow_create(follower=ava_user, followee=liwei_user)
    assert profile(ava_user).follower_count == 0


def test_block_create_removes_follows_both_ways(ava_user: Any, liwei_user: Any) -> None:
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.follow_create(follower=ava_user, followee=liwei_user)
    assert services.block_create(blocker=ava_user, blocked=liwei_user) is True
    assert services.block_create(blocker=ava_user, blocked=liwei_user) is False
    assert not Follow.objects.exists()
    for user in (ava_user, liwei_user):
        assert profile(user).follower_count == 0
        assert profile(user).following_count == 0


def test_blocked_user_can_not_see_like_collect_or_comment(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    services.block_create(blocker=ava_user, blocked=liwei_user)
    with pytest.raises(NotFound):
        services.like_create(user=liwei_user, note=ava_note)
    with pytest.raises(NotFound):
        services.collect_create(user=liwei_user, note=ava_note)
    with pytest.raises(NotFound):
        services.comment_create(author=liwei_user, note=ava_note, body="hi")
    note = fresh(ava_note)
    assert (note.like_count, note.collect_count, note.comment_count) == (0, 0, 0)


def test_like_create_twice_counts_once(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    assert services.like_create(user=liwei_user, note=ava_note) is True
    assert services.like_create(user=liwei_user, note=ava_note) is False
    assert fresh(ava_note).like_count == 1
    assert profile(ava_user).likes_and_collects_count == 1
    assert services.like_delete(user=liwei_user, note=ava_note) is True
    assert services.like_delete(user=liwei_user, note=ava_note) is False
    assert fresh(ava_note).like_count == 0
    assert profile(ava_user).likes_and_collects_count == 0


def test_collect_create_uses_a_lazy_default_board(liwei_user: Any, ava_note: Note) -> None:
    assert not Board.objects.filter(owner=liwei_user).exists()
    services.collect_create(user=liwei_user, note=ava_note)
    board = Board.objects.get(owner=liwei_user)
    assert board.is_default and board.note_count == 1


def test_collect_into_two_boards_counts_one_collector(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    practice = services.board_create(owner=liwei_user, name="English practice")
    services.collect_create(user=liwei_user, note=ava_note)
    services.collect_create(user=liwei_user, note=ava_note, board=practice)
    services.collect_create(user=liwei_user, note=ava_note, board=practice)
    assert Collect.objects.count() == 2
    assert fresh(ava_note).collect_count == 1
    assert profile(ava_user).likes_and_collects_count == 1
    services.collect_delete(user=liwei_user, note=ava_note, board=practice)
    assert fresh(ava_note).collect_count == 1
    services.collect_delete(user=liwei_user, note=ava_note)
    assert fresh(ava_note).collect_count == 0
    assert profile(ava_user).likes_and_collects_count == 0
    assert Board.objects.get(pk=practice.pk).note_count == 0


def test_collect_create_refuses_someone_elses_board(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    avas = services.board_create(owner=ava_user, name="Mine")
    with pytest.raises(Forbidden) as error:
        services.collect_create(user=liwei_user, note=ava_note, board=avas)
    assert error.value.code == "not_your_board"
    assert fresh(ava_note).collect_count == 0


def test_board_create_refuses_duplicate_and_bad_names(liwei_user: Any) -> None:
    services.board_create(owner=liwei_user, name="成都美食")
    with pytest.raises(Invalid):
        services.board_create(owner=liwei_user, name=" 成都美食 ")
    with pytest.raises(Invalid):
        services.board_create(owner=liwei_user, name="   ")
    with pytest.raises(Invalid):
        services.board_create(owner=liwei_user, name="x" * 41)


def test_board_delete_uncollects_and_keeps_counters(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    board = services.board_create(owner=liwei_user, name="Temp")
    services.collect_create(user=liwei_user, note=ava_note, board=board)
    services.board_delete(user=liwei_user, board=board)
    assert fresh(ava_note).collect_count == 0
    with pytest.raises(Invalid):
        services.board_delete(user=liwei_user, board=services.board_default(user=liwei_user))


def test_comment_reply_points_at_root_and_answered(
    ava_user: Any, liwei_user: Any, bob: Any, ava_note: Note
) -> None:
    top = services.comment_create(author=ava_user, note=ava_note, body="Hi everyone!")
    reply = services.comment_reply(author=liwei_user, reply_to=top, body="你好 ava!")
    second = services.comment_reply(author=bob, reply_to=reply, body="hello both")
    assert reply.root_id == top.pk and reply.reply_to_user_id == ava_user.pk
    assert second.root_id == top.pk and second.reply_to_id == reply.pk
    assert second.reply_to_user_id == liwei_user.pk
    assert fresh(ava_note).comment_count == 3
    assert Comment.objects.get(pk=top.pk).reply_count == 2


def test_comment_delete_with_replies_keeps_its_place(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    top = services.comment_create(author=liwei_user, note=ava_note, body="first")
    services.comment_reply(author=ava_user, reply_to=top, body="thanks")
    assert services.comment_delete(user=liwei_user, comment=top) is True
    assert services.comment_delete(user=liwei_user, comment=top) is False
    top.refresh_from_db()
    assert top.is_deleted and top.body == ""
    assert fresh(ava_note).comment_count == 1
    from bridgenote.engage.queries import comment_thread

    thread = comment_thread(viewer=ava_user, note=ava_note)
    assert [c.pk for c in thread.roots] == [top.pk]


def test_comment_delete_refuses_someone_elses(
    ava_user: Any, liwei_user: Any, bob: Any, ava_note: Note
) -> None:
    comment = services.comment_create(author=liwei_user, note=ava_note, body="mine")
    with pytest.raises(Forbidden):
        services.comment_delete(user=bob, comment=comment)
    # the note's author may remove comments under her note
    assert services.comment_delete(user=ava_user, comment=comment) is True


def test_comment_reply_to_deleted_comment_is_refused(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    top = services.comment_create(author=ava_user, note=ava_note, body="hi")
    services.comment_delete(user=ava_user, comment=top)
    with pytest.raises(Invalid) as error:
        services.comment_reply(author=liwei_user, reply_to=top, body="too late")
    assert error.value.code == "comment_deleted"
    assert fresh(ava_note).comment_count == 0


def test_comment_create_on_note_you_can_not_see(ava_user: Any, liwei_user: Any) -> None:
    private = make_note(ava_user, visibility=Note.Visibility.PRIVATE)
    followers = make_note(ava_user, visibility=Note.Visibility.FOLLOWERS)
    draft = make_note(ava_user, status=Note.Status.DRAFT)
    for note in (private, followers, draft):
        with pytest.raises(NotFound):
            services.comment_create(author=liwei_user, note=note, body="hi")
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.comment_create(author=liwei_user, note=followers, body="now I can")


def test_comment_create_refuses_empty_and_over_long(liwei_user: Any, ava_note: Note) -> None:
    with pytest.raises(Invalid) as empty:
        services.comment_create(author=liwei_user, note=ava_note, body="   ")
    assert empty.value.code == "comment_empty"
    with pytest.raises(Invalid) as long:
        services.comment_create(author=liwei_user, note=ava_note, body="好" * 501)
    assert long.value.code == "comment_too_long"
    assert fresh(ava_note).comment_count == 0


@override_settings(COMMENT_RATE_PER_MINUTE=2)
def test_comment_create_is_rate_limited(liwei_user: Any, ava_note: Note) -> None:
    services.comment_create(author=liwei_user, note=ava_note, body="1")
    services.comment_create(author=liwei_user, note=ava_note, body="2")
    with pytest.raises(RateLimited) as error:
        services.comment_create(author=liwei_user, note=ava_note, body="3")
    assert error.value.code == "rate_limited"
    assert fresh(ava_note).comment_count == 2


@override_settings(COMMENT_RATE_PER_MINUTE=2)
def test_comment_rate_on_the_embedded_default_counts_refusals_and_writes_nothing_else(
    database_cache: None, liwei_user: Any, ava_user: Any, ava_note: Note
) -> None:
    from bridgenote.core.models import RateCount
    from bridgenote.moderation.services import rule_save
    from bridgenote.notify.models import Notification

    rule_save(term="微信", category="spam", action="refuse")
    services.comment_create(author=liwei_user, note=ava_note, body="1")
    with pytest.raises(Invalid):  # refused by a rule: counts as an attempt all the same
        services.comment_create(author=liwei_user, note=ava_note, body="加我微信")
    for body in ("3", "加我微信"):  # over the limit: the rate refusal comes first
        with pytest.raises(RateLimited):
            services.comment_create(author=liwei_user, note=ava_note, body=body)
    assert fresh(ava_note).comment_count == 1
    assert Comment.objects.count() == 1
    assert Notification.objects.filter(recipient=ava_user).count() == 1
    assert list(RateCount.objects.values_list("count", flat=True)) == [4]


def test_comment_create_keeps_territory_and_language(liwei_user: Any, ava_note: Note) -> None:
    comment = services.comment_create(author=liwei_user, note=ava_note, body="你的照片很好看")
    assert comment.ip_territory == "CN-51"
    assert comment.language == "zh"


def test_comment_like_counts_and_refuses_deleted(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    comment = services.comment_create(author=ava_user, note=ava_note, body="hi")
    assert services.comment_like_create(user=liwei_user, comment=comment) is True
    assert services.comment_like_create(user=liwei_user, comment=comment) is False
    assert Comment.objects.get(pk=comment.pk).like_count == 1
    services.comment_like_delete(user=liwei_user, comment=comment)
    assert Comment.objects.get(pk=comment.pk).like_count == 0
    services.comment_delete(user=ava_user, comment=comment)
    with pytest.raises(Invalid):
        services.comment_like_create(user=liwei_user, comment=comment)


def test_comment_pin_only_by_note_author_and_only_one(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    first = services.comment_create(author=liwei_user, note=ava_note, body="one")
    second = services.comment_create(author=liwei_user, note=ava_note, body="two")
    with pytest.raises(Forbidden):
        services.comment_pin(user=liwei_user, comment=first)
    services.comment_pin(user=ava_user, comment=first)
    services.comment_pin(user=ava_user, comment=second)
    assert list(Comment.objects.filter(is_pinned=True).values_list("pk", flat=True)) == [second.pk]
    reply = services.comment_reply(author=ava_user, reply_to=first, body="r")
    with pytest.raises(Invalid):
        services.comment_pin(user=ava_user, comment=reply)


def test_recount_repairs_drifted_counters(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    services.like_create(user=liwei_user, note=ava_note)
    services.follow_create(follower=liwei_user, followee=ava_user)
    Note.objects.filter(pk=ava_note.pk).update(like_count=7, comment_count=3)
    Profile.objects.filter(user=ava_user).update(follower_count=0, likes_and_collects_count=99)
    fixed = recount()
    assert fixed["note likes"] == 1 and fixed["followers"] == 1
    assert fresh(ava_note).like_count == 1 and fresh(ava_note).comment_count == 0
    assert profile(ava_user).follower_count == 1
    assert profile(ava_user).likes_and_collects_count == 1
    assert sum(recount().values()) == 0


def test_note_engagement_forget_before_a_note_is_deleted(
    ava_user: Any, liwei_user: Any, bob: Any, ava_note: Note
) -> None:
    board = services.board_create(owner=liwei_user, name="Keep")
    services.like_create(user=liwei_user, note=ava_note)
    services.like_create(user=bob, note=ava_note)
    services.collect_create(user=liwei_user, note=ava_note, board=board)
    assert profile(ava_user).likes_and_collects_count == 3
    services.note_engagement_forget(note=ava_note)
    Note.objects.filter(pk=ava_note.pk).delete()
    assert profile(ava_user).likes_and_collects_count == 0
    assert Board.objects.get(pk=board.pk).note_count == 0
    assert sum(recount().values()) == 0


@override_settings(FOLLOW_RATE_PER_HOUR=3)
def test_follow_churn_is_rate_limited(ava_user: Any, liwei_user: Any) -> None:
    for _ in range(2):
        services.follow_create(follower=liwei_user, followee=ava_user)
        services.follow_delete(follower=liwei_user, followee=ava_user)
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.follow_delete(follower=liwei_user, followee=ava_user)
    with pytest.raises(RateLimited):
        services.follow_create(follower=liwei_user, followee=ava_user)
    assert profile(ava_user).follower_count == 0
