from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from bridgenote.core.models import SnowflakeModel


class Verb(models.TextChoices):
    LIKE = "like"
    COLLECT = "collect"
    COMMENT_LIKE = "comment_like"
    FOLLOW = "follow"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    MODERATION = "moderation"  # a moderator's decision on the recipient's note; no actor


class ModerationOutcome(models.TextChoices):
    """What a moderation notification tells the author (``Notification.detail["outcome"]``)."""

    LIMITED = "limited"
    REMOVED = "removed"
    APPROVED = "approved"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_OVERTURNED = "appeal_overturned"
    HELD = "held"  # a rule held it for review (not a moderator)
    RULE_LIMITED = "rule_limited"  # a rule limited it (not a moderator)
    # Account actions (``detail["target"] == "account"``).
    WARNED = "warned"
    ACCOUNT_LIMITED = "account_limited"
    ACCOUNT_UNLIMITED = "account_unlimited"
    SUSPENDED = "suspended"
    UNSUSPENDED = "unsuspended"


class Tab(models.TextChoices):
    """Xiaohongshu's three notification tabs."""

    LIKES = "likes"  # 赞和收藏: likes, collects, comment likes
    FOLLOWS = "follows"  # 新增关注
    COMMENTS = "comments"  # 评论和@: comments, replies, @mentions


TAB_OF_VERB: dict[str, str] = {
    Verb.LIKE: Tab.LIKES,
    Verb.COLLECT: Tab.LIKES,
    Verb.COMMENT_LIKE: Tab.LIKES,
    Verb.FOLLOW: Tab.FOLLOWS,
    Verb.COMMENT: Tab.COMMENTS,
    Verb.REPLY: Tab.COMMENTS,
    Verb.MENTION: Tab.COMMENTS,
    Verb.MODERATION: Tab.COMMENTS,
}


class Notification(SnowflakeModel):
    """Something ``actor`` did that ``recipient`` should hear about.

    ``tab`` is derived from ``verb`` when written, so each tab and the unread badge are one
    indexed query. Moderation notices have no ``actor`` (moderators stay anonymous) and keep
    what the author is told in ``detail``: ``outcome`` (a ``ModerationOutcome``), ``reason_en``
    and ``reason_zh`` (the decision's reason, copied), ``category``.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verb = models.CharField(max_length=16, choices=Verb.choices)
    tab = models.CharField(max_length=10, choices=Tab.choices)
    note = models.ForeignKey(
        "notes.Note", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        "engage.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "tab", "-id"]),
            models.Index(
                fields=["recipient", "tab"],
                condition=models.Q(is_read=False),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} -> {self.recipient_id}"
