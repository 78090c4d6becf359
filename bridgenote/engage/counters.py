"""Repairing the denormalised engagement counters from the rows they count.

The services keep counters right with ``F()`` updates; this recounts them all for when
something went around the services (a bulk import, a note deleted with its likes, a crash
between two statements on a database without transactional DDL...). Each counter is compared
in SQL and only the rows that differ are written, so running it on a healthy database
reads but writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bridgenote.accounts.models import Profile
from bridgenote.engage.models import (
    SHOWN_STATES,
    Board,
    Collect,
    Comment,
    CommentLike,
    Follow,
    Like,
)
from bridgenote.notes.models import Note

BATCH = 1000


def _count(
    queryset: models.QuerySet[Any], group: str, counted: str = "pk", *, distinct: bool = False
) -> Any:
    """A correlated COUNT subquery (0 when there are no rows)."""
    sub = (
        queryset.order_by().values(group).annotate(n=Count(counted, distinct=distinct)).values("n")
    )
    return Coalesce(Subquery(sub, output_field=models.IntegerField()), Value(0))


def _repair(model: type[models.Model], field: str, real: Any) -> int:
    """Write ``real`` into ``field`` on every row where they differ; return how many."""
    wrong = (
        model._default_manager.annotate(real=real)
        .filter(~Q(**{field: F("real")}))
        .values_list("pk", "real")
    )
    fixed = 0
    pending = list(wrong[:BATCH])
    while pending:
        with transaction.atomic():
            for pk, value in pending:
                model._default_manager.filter(pk=pk).update(**{field: value})
        fixed += len(pending)
        pending = list(wrong[:BATCH]) if len(pending) == BATCH else []
    return fixed


def _likes_and_collects() -> Any:
    # Runs after the note counters are repaired, so summing them is summing the truth.
    sub = (
        Note.objects.filter(author_id=OuterRef("user_id"))
        .order_by()
        .values("author_id")
        .annotate(n=Sum(F("like_count") + F("collect_count")))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=models.IntegerField()), Value(0))


# (label, model, field, expected value) in dependency order.
COUNTERS: list[tuple[str, type[models.Model], str, Callable[[], Any]]] = [
    (
        "note likes",
        Note,
        "like_count",
        lambda: _count(Like.objects.filter(note=OuterRef("pk")), "note"),
    ),
    (
        "note collects",
        Note,
        "collect_count",
        lambda: _count(Collect.objects.filter(note=OuterRef("pk")), "note", "user", distinct=True),
    ),
    (
        "note comments",
        Note,
        "comment_count",
        # What readers can see: not deleted, not held or removed by moderation.
        lambda: _count(
            Comment.objects.filter(
                note=OuterRef("pk"), is_deleted=False, moderation__in=SHOWN_STATES
            ),
            "note",
        ),
    ),
    (
        "comment likes",
        Comment,
        "like_count",
        lambda: _count(CommentLike.objects.filter(comment=OuterRef("pk")), "comment"),
    ),
    (
        "comment replies",
        Comment,
        "reply_count",
        lambda: _count(
            Comment.objects.filter(
                root=OuterRef("pk"), is_deleted=False, moderation__in=SHOWN_STATES
            ),
            "root",
        ),
    ),
    (
        "board notes",
        Board,
        "note_count",
        lambda: _count(Collect.objects.filter(board=OuterRef("pk")), "board"),
    ),
    (
        "followers",
        Profile,
        "follower_count",
        lambda: _count(Follow.objects.filter(followee=OuterRef("user_id")), "followee"),
    ),
    (
        "following",
        Profile,
        "following_count",
        lambda: _count(Follow.objects.filter(follower=OuterRef("user_id")), "follower"),
    ),
    ("likes and collects", Profile, "likes_and_collects_count", _likes_and_collects),
]


def recount() -> dict[str, int]:
    """Repair every engagement counter; returns how many rows each counter fixed."""
    return {label: _repair(model, field, real()) for label, model, field, real in COUNTERS}
