from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bridgenote.core.models import SnowflakeModel


class Category(models.TextChoices):
    PROFANITY = "profanity", _("Profanity")
    SEXUAL = "sexual", _("Sexual content")
    HATE = "hate", _("Hate")
    HARASSMENT = "harassment", _("Harassment")
    VIOLENCE = "violence", _("Violence")
    ILLEGAL = "illegal", _("Illegal goods or services")
    SPAM = "spam", _("Spam or advertising")
    OTHER = "other", _("Other")


class RuleAction(models.TextChoices):
    """What a matching rule does, strictest first."""

    REFUSE = "refuse", _("Refuse at submit")
    HOLD = "hold", _("Hold for review")
    LIMIT = "limit", _("Limit")
    MASK = "mask", _("Mask the term")


class KeywordRule(models.Model):
    """A term or phrase. ``normalized`` is ``normalize(term)``; Latin terms match whole words,
    a trailing ``*`` makes a prefix ("fuck*"). ``languages`` empty means every language."""

    term = models.CharField(_("term"), max_length=200)
    normalized = models.CharField(max_length=400, unique=True)
    languages = models.JSONField(default=list, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    action = models.CharField(_("action"), max_length=8, choices=RuleAction.choices)
    pinyin = models.BooleanField(
        _("match homophones"), default=False
    )  # same pinyin, other characters: held for review at most
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.term} ({self.action})"


class AllowPhrase(models.Model):
    """An innocent phrase (乳腺检查, 乳酪蛋糕): a rule match lying inside it is ignored."""

    phrase = models.CharField(_("phrase"), max_length=200)
    normalized = models.CharField(max_length=400, unique=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.phrase


class ImageRule(models.Model):
    """A known image: attachments whose perceptual hash (imagehash phash, hex) lies within
    ``max_distance`` bits of ``phash`` are held or refused."""

    phash = models.CharField(max_length=64)
    max_distance = models.PositiveSmallIntegerField(default=6)
    category = models.CharField(max_length=16, choices=Category.choices)
    action = models.CharField(
        max_length=8,
        choices=[
            (RuleAction.REFUSE, RuleAction.REFUSE.label),
            (RuleAction.HOLD, RuleAction.HOLD.label),
        ],
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_distance__lte=64), name="image_rule_distance_range"
            ),
            models.CheckConstraint(
                condition=Q(action__in=["refuse", "hold"]), name="image_rule_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phash} ±{self.max_distance}"


class RuleSetVersion(models.Model):
    """One row: bumped by every rule change, so every process rebuilds its matcher."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"rules v{self.version}"


# How a reason template names the content it is about (``{content}`` in its texts), in
# English and Chinese: Chinese needs the measure word (这篇笔记, 这条评论).
CONTENT_WORDS: dict[str, tuple[str, str]] = {
    "note": ("note", "这篇笔记"),
    "comment": ("comment", "这条评论"),
    "bio": ("bio", "这段简介"),
    "account": ("account", "这个账号"),
    "": ("content", "这条内容"),  # the console's list, where it may apply to any kind
}
CONTENT_PLACEHOLDER = "{content}"


class ReasonTemplate(models.Model):
    """A reason moderators pick when deciding; shown to the author in their language.

    ``{content}`` in a text stands for what the decision is about, so one template fits a
    note, a comment, a bio or an account in both languages (``text_for``): "This {content}
    advertises..." reads "This comment advertises...", "{content}含有广告..." reads
    "这条评论含有广告..."."""

    code = models.SlugField(max_length=40, unique=True)
    text_en = models.CharField(max_length=500)
    text_zh = models.CharField(max_length=500)
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.code

    def text_for(self, language: str, kind: str = "") -> str:
        """The text in ``language`` ("en" or "zh") with ``{content}`` naming ``kind`` (note,
        comment, bio, account; "" for any)."""
        english, chinese = CONTENT_WORDS.get(kind, CONTENT_WORDS[""])
        if language == "zh":
            return self.text_zh.replace(CONTENT_PLACEHOLDER, chinese)
        return self.text_en.replace(CONTENT_PLACEHOLDER, english)

    @property
    def label_en(self) -> str:
        return self.text_for("en")

    @property
    def label_zh(self) -> str:
        return self.text_for("zh")


class ModerationCaseQuerySet(models.QuerySet["ModerationCase"]):
    def open(self) -> ModerationCaseQuerySet:
        return self.filter(state=ModerationCase.State.OPEN)


class ModerationCase(SnowflakeModel):
    """Content waiting for a moderator. One open case per piece of content.

    The target is an explicit nullable foreign key per content type (``note`` now; a
    ``comment`` key joins it when comments exist), with a constraint that one is set.
    ``matches`` holds, per match, ``{"field", "start", "end", "term", "rule_id", "category",
    "action", "via_pinyin"}`` with spans in the ORIGINAL text of that field.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        SCAN = "scan", _("Rule match")
        REPORT = "report", _("Reports")
        NEW_ACCOUNT = "new_account", _("New account")
        IMAGE = "image", _("Image match")
        APPEAL = "appeal", _("Appeal")
        RESCAN = "rescan", _("Rescan")

    note = models.ForeignKey(
        "notes.Note", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        "engage.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # An account: its bio (held by a rule), or the account itself when reported.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    source = models.CharField(max_length=12, choices=Source.choices)
    matches = models.JSONField(default=list, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ModerationCaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(note__isnull=False, comment__isnull=True, account__isnull=True)
                    | Q(note__isnull=True, comment__isnull=False, account__isnull=True)
                    | Q(note__isnull=True, comment__isnull=True, account__isnull=False)
                ),
                name="case_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["note"], condition=Q(state="open"), name="case_one_open_per_note"
            ),
            models.UniqueConstraint(
                fields=["comment"], condition=Q(state="open"), name="case_one_open_per_comment"
            ),
            models.UniqueConstraint(
                fields=["account"], condition=Q(state="open"), name="case_one_open_per_account"
            ),
        ]
        indexes = [models.Index(fields=["state", "opened_at"])]

    def __str__(self) -> str:
        return f"case {self.id} ({self.state})"


class Report(models.Model):
    """A user's report of content. One per reporter and target."""

    class Category(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        HARASSMENT = "harassment", _("Harassment or bullying")
        SEXUAL = "sexual", _("Sexual content")
        VIOLENCE = "violence", _("Violence")
        ILLEGAL = "illegal", _("Illegal goods or services")
        OTHER = "other", _("Something else")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_reports"
    )
    case = models.ForeignKey(ModerationCase, on_delete=models.CASCADE, related_name="reports")
    note = models.ForeignKey("notes.Note", null=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(
        "engage.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(max_length=12, choices=Category.choices)
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "note"], name="report_once_per_note"),
            models.UniqueConstraint(fields=["reporter", "comment"], name="report_once_per_comment"),
            models.UniqueConstraint(fields=["reporter", "account"], name="report_once_per_account"),
        ]
        indexes = [models.Index(fields=["reporter", "created_at"])]

    def __str__(self) -> str:
        return f"report by {self.reporter_id} on {self.note_id}"


class ModerationDecision(models.Model):
    """The audit log: every decision on content, by a moderator or (moderator NULL) by rules."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approve")
        LIMIT = "limit", _("Limit")
        REMOVE = "remove", _("Remove")
        HOLD = "hold", _("Hold for review")
        # Account actions (on the account itself, ``account`` set, no case needed).
        WARN = "warn", _("Warn the account")
        LIMIT_ACCOUNT = "limit_account", _("Limit the account")
        UNLIMIT_ACCOUNT = "unlimit_account", _("Lift the account's limit")
        SUSPEND = "suspend", _("Suspend the account")
        UNSUSPEND = "unsuspend", _("Lift the suspension")

    case = models.ForeignKey(
        ModerationCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    note = models.ForeignKey(
        "notes.Note", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "engage.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    template = models.ForeignKey(
        ReasonTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reason as the author sees it, copied so that editing a template rewrites no history.
    reason_en = models.TextField(blank=True)
    reason_zh = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.note_id}"


class Appeal(models.Model):
    """An author's request to reverse a decision on their content."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Decision upheld")
        OVERTURNED = "overturned", _("Decision overturned")

    note = models.ForeignKey(
        "notes.Note", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        "engage.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # An appeal about the author's bio has neither a note nor a comment.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.ForeignKey(
        ModerationDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=1000)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    outcome = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["note"], condition=Q(state="open"), name="appeal_one_open_per_note"
            ),
            models.UniqueConstraint(
                fields=["comment"], condition=Q(state="open"), name="appeal_one_open_per_comment"
            ),
            models.UniqueConstraint(
                fields=["author"],
                condition=Q(state="open", note__isnull=True, comment__isnull=True),
                name="appeal_one_open_per_bio",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.id} ({self.state})"


class RescanJob(models.Model):
    """A rescan of every note after a rule change, advanced in id-ordered batches by a job.

    The worker claims the next batch with a conditional UPDATE on ``last_id``, so two workers
    never scan the same batch and a crashed job resumes where it stopped."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rules_version = models.BigIntegerField(default=0)
    last_id = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"rescan {self.id} {self.processed}/{self.total}"


class RescanChunk(models.Model):
    """One id range of a rescan, advanced by its own job, so several workers rescan in
    parallel. Its cursor (``last_id``) is claimed like the job's: conditional UPDATE."""

    job = models.ForeignKey(RescanJob, on_delete=models.CASCADE, related_name="chunks")
    last_id = models.BigIntegerField()  # exclusive: the next batch starts after it
    end_id = models.BigIntegerField()  # inclusive
    done = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"rescan {self.job_id} chunk ({self.last_id}, {self.end_id}]"


class AccountStanding(models.Model):
    """An account's restrictions set by moderators (no row: none).

    ``limited``: the account's notes are kept out of Discover, search and topic pages (they
    are set to the "limited" moderation state; ``limited_notes`` lists the ids this changed,
    so lifting the limit publishes exactly those again). ``suspended``: ``User.is_active`` is
    False (no sign-in, no API token, sessions ended) and the account's notes are removed;
    ``suspended_notes`` maps note id -> the state before, restored on unsuspension.

    Comments and the bio follow the issue's states: limiting makes the account's published
    comments "limited" (they stay in threads, on the profile and by link, and tell nobody;
    ``limited_comments`` lists them, and new comments are limited too) and its published
    bio "limited" (``limited_bio``; a bio appears in no feed, search or topic page anyway);
    suspending removes its shown comments from everyone (``suspended_comments``: id -> the
    state before) and hides the bio with the profile (an inactive account's profile, API
    account and bio translation are not found)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
        related_name="moderation_standing",
    )  # fmt: skip
    limited = models.BooleanField(default=False)
    limited_notes = models.JSONField(default=list, blank=True)
    suspended = models.BooleanField(default=False)
    suspended_notes = models.JSONField(default=dict, blank=True)
    limited_comments = models.JSONField(default=list, blank=True)
    limited_bio = models.BooleanField(default=False)
    suspended_comments = models.JSONField(default=dict, blank=True)
    warnings = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"standing of {self.user_id}"
