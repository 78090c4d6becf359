from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from bridgenote.core.models import SnowflakeModel


class BoardQuerySet(models.QuerySet["Board"]):
    def visible_to(self, viewer: object) -> BoardQuerySet:
        """Public boards, plus the viewer's own private ones."""
        viewer_id = (
            getattr(viewer, "pk", None) if getattr(viewer, "is_authenticated", False) else None
        )
        if viewer_id is None:
            return self.filter(is_private=False)
        return self.filter(Q(is_private=False) | Q(owner_id=viewer_id))


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "follower"])]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocking_set"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by_set"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    muter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muting_set"
    )
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_by_set"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_unique"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"


class Like(models.Model):
    """A user likes a note (赞). One row per (user, note): liking twice is a no-op."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "note"], name="like_unique")]
        indexes = [
            models.Index(fields=["note", "-id"]),
            # A user's newest likes with their notes, from the index alone (Discover's
            # viewer state reads the newest 200).
            models.Index(fields=["user", "-id", "note"], name="like_user_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.note_id}"


class Board(SnowflakeModel):
    """A board (专辑) of collected notes. Every user has one default board, made on first use."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="boards"
    )
    name = models.CharField(max_length=40)
    description = models.CharField(max_length=200, blank=True)
    is_private = models.BooleanField(default=False)
    is_default = models.BooleanField(default=False)
    note_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = BoardQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="board_one_default"
            ),
            models.UniqueConstraint("owner", Lower("name"), name="board_name_unique"),
        ]
        indexes = [models.Index(fields=["owner", "-is_default", "-id"])]

    def __str__(self) -> str:
        return self.name


class Collect(models.Model):
    """A note collected (收藏) into a board. ``user`` repeats the board's owner so that
    "has this user collected this note" is one indexed lookup."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="collects")
    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="collects")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collects"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["board", "note"], name="collect_unique")]
        indexes = [
            models.Index(fields=["user", "note"]),
            models.Index(fields=["board", "-id"]),
            models.Index(fields=["user", "-id", "note"], name="collect_user_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.note_id} in board {self.board_id}"


# The moderation states of a comment that readers other than its author see.
SHOWN_STATES = ("published", "limited")


class Comment(SnowflakeModel):
    """A comment on a note, on two levels as on Xiaohongshu.

    A top-level comment has no ``root``. A reply points at its ``root`` (always top-level) and
    at the comment it answers (``reply_to``, the root or another reply), whose author is kept
    in ``reply_to_user`` for "replying to @ava". Deleting keeps the row (``is_deleted``, body
    emptied) so replies keep their place under it.
    """

    note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    reply_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    ip_territory = models.CharField(max_length=8, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)  # live replies under a root
    is_pinned = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    # Set by the moderation app (``services.comments_moderation_set``): "pending" (held for
    # review) and "removed" comments are shown to their author only; "limited" ones stay in
    # the thread but tell nobody. The note's ``comment_count`` and the root's
    # ``reply_count`` count only comments readers can see (``SHOWN_STATES``, not deleted).
    moderation = models.CharField(max_length=10, default="published")
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["note"], condition=Q(is_pinned=True), name="comment_one_pinned"
            ),
        ]
        indexes = [
            models.Index(fields=["note", "root", "id"]),
            models.Index(fields=["root", "id"]),
        ]

    def __str__(self) -> str:
        return f"comment {self.id} on {self.note_id}"

    @property
    def is_reply(self) -> bool:
        return self.root_id is not None


class CommentLike(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes"
    )
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="comment_like_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes comment {self.comment_id}"
