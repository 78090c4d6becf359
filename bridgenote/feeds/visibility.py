"""Which notes a feed may show. Feeds re-check this at read time, because moderation can hide a
note after it was fanned out or scored.

These rules match the notes app's ``Note.objects.visible_to(viewer)`` / ``.discoverable()``
contract (published, not under review or removed, media processed; private notes never in a
feed; followers-only notes to followers; nothing across a block or from a muted account).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from bridgenote.engage.models import Block, Follow, Mute
from bridgenote.notes.models import Note

FEED_MODERATION = (Note.Moderation.PUBLISHED, Note.Moderation.LIMITED)


def published() -> QuerySet[Note]:
    return Note.objects.filter(
        status=Note.Status.PUBLISHED, moderation__in=FEED_MODERATION, media_ready=True
    )


def discoverable() -> QuerySet[Note]:
    """Notes any visitor may be shown on Discover: public, published, not limited."""
    return Note.objects.discoverable()


def hidden_author_ids(viewer: Any) -> set[int]:
    """Accounts whose notes ``viewer`` (a user or a user id) never sees: blocked either way,
    or muted. One query."""
    if viewer is None or (not isinstance(viewer, int) and not viewer.is_authenticated):
        return set()
    user_id = viewer if isinstance(viewer, int) else viewer.pk
    rows = (
        Block.objects.filter(blocker_id=user_id)
        .values_list("blocked_id", flat=True)
        .union(
            Block.objects.filter(blocked_id=user_id).values_list("blocker_id", flat=True),
            Mute.objects.filter(muter_id=user_id).values_list("muted_id", flat=True),
        )
    )
    return set(rows)


def without_hidden(notes: QuerySet[Note], viewer_id: int) -> QuerySet[Note]:
    """``notes`` without those of accounts ``viewer_id`` blocked, was blocked by, or muted, as
    subqueries (no list to fetch first; the feeds' precompiled queries use this form)."""
    return (
        notes.exclude(author_id__in=Block.objects.filter(blocker_id=viewer_id).values("blocked_id"))
        .exclude(author_id__in=Block.objects.filter(blocked_id=viewer_id).values("blocker_id"))
        .exclude(author_id__in=Mute.objects.filter(muter_id=viewer_id).values("muted_id"))
    )


def following_visible(viewer_id: int) -> QuerySet[Note]:
    """Notes that may appear in the Following feed of the user ``viewer_id`` (before the
    author filter)."""
    followed = Follow.objects.filter(follower_id=viewer_id).values("followee_id")
    return without_hidden(
        published().filter(
            Q(visibility=Note.Visibility.PUBLIC)
            | Q(visibility=Note.Visibility.FOLLOWERS, author_id__in=followed)
            | Q(visibility=Note.Visibility.FOLLOWERS, author_id=viewer_id)
        ),
        viewer_id,
    )


def in_following_feed(viewer: Any) -> QuerySet[Note]:
    """Notes that may appear in ``viewer``'s Following feed (before the author filter)."""
    return following_visible(viewer.pk)
