from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bridgenote.core.models import SnowflakeModel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from bridgenote.accounts.models import User
    from bridgenote.media.models import Attachment


class Topic(SnowflakeModel):
    """A hashtag. ``name`` is shown as first written; ``folded`` (NFKC, case-fold,
    Traditional -> Simplified) is what matches."""

    name = models.CharField(max_length=64)
    folded = models.CharField(max_length=64, unique=True)
    note_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Suggestions list the popular topics first.
        indexes = [models.Index(fields=["-note_count"], name="topic_popular")]

    def __str__(self) -> str:
        return f"#{self.name}"


class NoteQuerySet(models.QuerySet["Note"]):
    def visible_to(self, viewer: User | AnonymousUser | None) -> NoteQuerySet:
        """The notes ``viewer`` may open.

        The author sees all their own notes (drafts, processing, under review, private).
        Anyone else sees a note only when it is published, its media are ready, moderation
        has it "published" or "limited" (limited notes stay reachable from the profile and by
        direct link, they are only kept out of feeds), its visibility admits the viewer
        (followers-only needs a Follow row; private is the author's alone), and neither of
        the two has blocked the other.
        """
        from bridgenote.engage.models import Block, Follow

        shown = Q(**{f"{field}__in": values for field, values in SHOWN_RULE.items()})
        if viewer is None or not viewer.is_authenticated:
            return self.filter(shown, visibility__in=OPEN_TO_ALL)
        followed = Follow.objects.filter(follower=viewer).values("followee")
        audience = Q(visibility__in=OPEN_TO_ALL) | Q(
            visibility__in=OPEN_TO_FOLLOWERS, author__in=followed
        )
        blocked = Q(author__in=Block.objects.filter(blocker=viewer).values("blocked")) | Q(
            author__in=Block.objects.filter(blocked=viewer).values("blocker")
        )
        return self.filter(Q(author=viewer) | (shown & audience & ~blocked))

    def discoverable(self) -> NoteQuerySet:
        """Notes fit for feeds and topic pages: published, ready, public, not limited.

        Combine with ``visible_to(viewer)`` for blocks: ``visible_to(v).discoverable()``.
        """
        return self.filter(
            status=Note.Status.PUBLISHED,
            media_ready=True,
            moderation=Note.Moderation.PUBLISHED,
            visibility=Note.Visibility.PUBLIC,
        )

    def published(self) -> NoteQuerySet:
        return self.filter(status=Note.Status.PUBLISHED)

    def drafts(self) -> NoteQuerySet:
        return self.filter(status=Note.Status.DRAFT)


class Note(SnowflakeModel):
    class Visibility(models.TextChoices):
        PUBLIC = "public"
        FOLLOWERS = "followers"
        PRIVATE = "private"

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    class Moderation(models.TextChoices):
        PUBLISHED = "published"
        PENDING = "pending"
        LIMITED = "limited"
        REMOVED = "removed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    language_is_set = models.BooleanField(default=False)  # the author chose it; don't re-detect
    # A second-language version of the title and body, written by the author (bilingual note:
    # one URL, one comment thread, one set of counts). Readers whose language is
    # ``alt_language`` see it first. Empty texts: no second version.
    alt_language = models.CharField(max_length=8, blank=True)
    alt_title = models.CharField(max_length=200, blank=True)
    alt_body = models.TextField(blank=True)
    # "Language help": the language the author asks help with ("" = none); Discover shows
    # such notes to speakers of that language.
    help_language = models.CharField(max_length=8, blank=True)
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    moderation = models.CharField(
        max_length=12, choices=Moderation.choices, default=Moderation.PUBLISHED
    )
    media_ready = models.BooleanField(default=False)
    place_name = models.CharField(max_length=80, blank=True)
    is_original = models.BooleanField(default=False)
    ip_territory = models.CharField(max_length=8, blank=True)
    cover = models.ForeignKey(
        "media.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachments: models.ManyToManyField[Attachment, NoteAttachment] = models.ManyToManyField(
        "media.Attachment", through="NoteAttachment", related_name="notes"
    )
    topics: models.ManyToManyField[Topic, NoteTopic] = models.ManyToManyField(
        Topic, through="NoteTopic", related_name="notes"
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="mentioned_in", blank=True
    )
    like_count = models.PositiveIntegerField(default=0)
    collect_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"]),
            models.Index(fields=["status", "moderation", "-id"]),
        ]

    def __str__(self) -> str:
        return self.title or f"note {self.id}"

    @property
    def has_alt(self) -> bool:
        """Whether the note has a second-language version."""
        return bool(self.alt_language and (self.alt_title or self.alt_body))

    def alt_first_for(self, ui_language: str) -> bool:
        """Whether a reader whose interface language is ``ui_language`` ("zh-hans", "en")
        should see the second-language version first."""
        code = (ui_language or "").lower().replace("_", "-").split("-")[0]
        return self.has_alt and code == self.alt_language and code != self.language

    @property
    def is_shown_to_others(self) -> bool:
        """Whether anyone but the author can open this note (visibility rules aside):
        published, its media ready, and not held or removed by moderation."""
        return all(getattr(self, field) in allowed for field, allowed in SHOWN_RULE.items())


# The visibility rules, in one place: ``NoteQuerySet.visible_to`` turns them into SQL for
# lists, ``admits`` applies them in Python to one note's columns (``queries.note_visible_to``).
# Columns a note must hold for anyone but its author to open it: field -> allowed values.
SHOWN_RULE: dict[str, tuple[object, ...]] = {
    "status": (Note.Status.PUBLISHED,),
    "media_ready": (True,),
    "moderation": (Note.Moderation.PUBLISHED, Note.Moderation.LIMITED),
}
OPEN_TO_ALL = (Note.Visibility.PUBLIC,)  # anyone, signed out too
OPEN_TO_FOLLOWERS = (Note.Visibility.FOLLOWERS,)  # the author's followers (private: nobody)
# The columns ``admits`` reads.
RULE_FIELDS = ("author_id", *SHOWN_RULE, "visibility")


def admits(
    values: Mapping[str, Any],
    viewer_id: int | None,
    relations: Callable[[int, int], tuple[bool, bool]],
) -> bool:
    """Whether the viewer may open the note whose ``RULE_FIELDS`` are ``values``: the rules
    of ``NoteQuerySet.visible_to``. ``relations(viewer_id, author_id)`` answers
    ``(viewer follows author, either blocks the other)``; it is called only when the answer
    depends on it (never for the author, a signed-out viewer or a hidden note)."""
    if viewer_id is not None and values["author_id"] == viewer_id:
        return True
    if any(values[field] not in allowed for field, allowed in SHOWN_RULE.items()):
        return False
    open_to_all = values["visibility"] in OPEN_TO_ALL
    if viewer_id is None:
        return open_to_all
    if not open_to_all and values["visibility"] not in OPEN_TO_FOLLOWERS:
        return False
    follows, blocked = relations(viewer_id, values["author_id"])
    return not blocked and (open_to_all or follows)


class NoteAttachment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    attachment = models.OneToOneField("media.Attachment", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["note", "position"], name="note_attachment_position")
        ]

    def __str__(self) -> str:
        return f"{self.note_id}[{self.position}] = {self.attachment_id}"


class NoteTopic(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "topic"], name="note_topic_unique")]
        # Topic pages list a topic's notes newest first.
        indexes = [models.Index(fields=["topic", "-note"], name="note_topic_by_topic")]

    def __str__(self) -> str:
        return f"{self.note_id} #{self.topic_id}"
