"""Mastodon JSON for notes, comments and media attachments (statuses and MediaAttachment).

A note is a status whose text is the title line followed by the body; a comment is a status
that replies to its note (or to the comment it answers). Wire formats live here only.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef, Value, prefetch_related_objects
from django.utils.html import escape

from bridgenote.accounts.models import Profile, User
from bridgenote.api.mastodon.http import isotime
from bridgenote.api.mastodon.serializers import absolute, account
from bridgenote.core.fastsql import Precompiled, padded
from bridgenote.engage.models import Collect, Comment, CommentLike, Like
from bridgenote.feeds.cards import FIELDS as CARD_FIELDS
from bridgenote.feeds.cards import SIZES, Card
from bridgenote.feeds.visibility import following_visible
from bridgenote.media.models import Attachment
from bridgenote.notes.models import Note, NoteAttachment, NoteTopic
from bridgenote.notes.parsing import tokenize

VISIBILITY: dict[str, str] = {
    Note.Visibility.PUBLIC.value: "public",
    Note.Visibility.FOLLOWERS.value: "private",
    Note.Visibility.PRIVATE.value: "direct",
}


def topic_url(name: str) -> str:
    return f"{settings.SITE_URL}/topics/{quote(name)}/"


def note_url(note_id: int) -> str:
    return f"{settings.SITE_URL}/notes/{note_id}/"


def _line_html(line: str) -> str:
    parts = []
    for token in tokenize(line):
        if token.kind == "topic":
            parts.append(
                f'<a href="{escape(topic_url(token.value))}" class="mention hashtag" '
                f'rel="tag">#<span>{escape(token.value)}</span></a>'
            )
        elif token.kind == "mention":
            url = f"{settings.SITE_URL}/@{quote(token.value)}"
            parts.append(
                f'<span class="h-card"><a href="{escape(url)}" class="u-url mention">'
                f"@<span>{escape(token.value)}</span></a></span>"
            )
        else:
            parts.append(escape(token.raw))
    return "".join(parts)


def content_html(*lines_of_text: str) -> str:
    """Texts (a title, a body) as HTML paragraphs: escaped, #topics and @mentions as links."""
    text = "\n".join(t for t in lines_of_text if t)
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(_line_html(line) for line in p.strip("\n").split("\n")) + "</p>"
        for p in paragraphs
    )


def status_text(note: Note) -> str:
    return "\n".join(t for t in (note.title, note.body) if t)


def _size(rendition: dict[str, Any] | None, attachment: Attachment) -> dict[str, Any] | None:
    width = (rendition or {}).get("width") or attachment.width
    height = (rendition or {}).get("height") or attachment.height
    if not width or not height:
        return None
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6),
    }


def media_attachment(attachment: Attachment) -> dict[str, Any]:
    """MediaAttachment: url/preview_url are None until processing is done."""
    video = attachment.kind == Attachment.Kind.VIDEO
    full, preview = ("video", "poster") if video else ("large", "card")
    url = attachment.rendition_url(full)
    preview_url = attachment.rendition_url(preview)
    meta: dict[str, Any] = {}
    original = _size(attachment.renditions.get(full), attachment)
    if original:
        meta["original"] = original
        if video and attachment.duration:
            meta["original"]["duration"] = attachment.duration
    small = _size(attachment.renditions.get(preview), attachment)
    if small and preview_url:
        meta["small"] = small
    return {
        "id": str(attachment.id),
        "type": "video" if video else "image",
        "url": absolute(url) if url else None,
        "preview_url": absolute(preview_url) if preview_url else None,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": attachment.alt_text or None,
        "blurhash": attachment.blurhash or None,
    }


class Viewpoint:
    """What the viewer has done to a batch of notes and comments (one query per kind)."""

    def __init__(
        self, viewer: User | None, notes: Iterable[int] = (), comments: Iterable[int] = ()
    ) -> None:
        notes, comments = list(notes), list(comments)
        self.attachments: dict[int, list[Attachment]] = {note_id: [] for note_id in notes}
        for link in (
            NoteAttachment.objects.filter(note_id__in=notes)
            .select_related("attachment")
            .order_by("note_id", "position")
        ):
            self.attachments[link.note_id].append(link.attachment)
        self.liked: set[int] = set()
        self.collected: set[int] = set()
        self.liked_comments: set[int] = set()
        if viewer is not None and notes:
            self.liked = set(
                Like.objects.filter(user=viewer, note_id__in=notes).values_list(
                    "note_id", flat=True
                )
            )
            self.collected = set(
                Collect.objects.filter(user=viewer, note_id__in=notes).values_list(
                    "note_id", flat=True
                )
            )
        if viewer is not None and comments:
            self.liked_comments = set(
                CommentLike.objects.filter(user=viewer, comment_id__in=comments).values_list(
                    "comment_id", flat=True
                )
            )


def _base(account_user: User | None, created: Any) -> dict[str, Any]:
    """The fields every status has; ``account`` is left out when ``account_user`` is None
    (the timelines add the account, cached apart, at the end)."""
    data: dict[str, Any] = {
        "created_at": isotime(created),
        "sensitive": False,
        "spoiler_text": "",
        "reblogs_count": 0,
        "reblogged": False,
        "muted": False,
        "pinned": False,
        "reblog": None,
        "application": None,
        "account": None,
        "emojis": [],
        "card": None,
        "poll": None,
        "filtered": [],
    }
    if account_user is None:
        del data["account"]
    else:
        data["account"] = account(account_user)
    return data


def _note_fields(
    *,
    note_id: int,
    visibility: str,
    language: str,
    title: str,
    body: str,
    comment_count: int,
    like_count: int,
    edited_at: Any,
    attachments: Sequence[Attachment],
    mentions: Sequence[tuple[int, str]],
    topics: Sequence[str],
) -> dict[str, Any]:
    """A note's own status fields, from plain values (the ORM path and the timelines' cold
    path share it). ``text``, ``favourited`` and ``bookmarked`` are the viewer's: the caller
    fills them in."""
    url = note_url(note_id)
    return {
        "id": str(note_id),
        "uri": url,
        "url": url,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "visibility": VISIBILITY.get(visibility, "public"),
        "language": language or None,
        "content": content_html(title, body),
        "text": None,
        "replies_count": comment_count,
        "favourites_count": like_count,
        "favourited": False,
        "bookmarked": False,
        "media_attachments": [media_attachment(a) for a in attachments],
        "mentions": [
            {
                "id": str(user_id),
                "username": handle,
                "acct": handle,
                "url": f"{settings.SITE_URL}/@{handle}",
            }
            for user_id, handle in mentions
        ],
        "tags": [{"name": name, "url": topic_url(name)} for name in topics],
        "edited_at": isotime(edited_at),
    }


def note_status(note: Note, viewer: User | None, view: Viewpoint | None = None) -> dict[str, Any]:
    view = view or Viewpoint(viewer, [note.pk])
    # Tags and mentions in a fixed order (by id: the order they were first written).
    topics = sorted(note.topics.all(), key=lambda t: t.pk)
    mentions = sorted(note.mentions.all(), key=lambda u: u.pk)
    data = _base(note.author, note.published_at or note.created_at)
    data |= _note_fields(
        note_id=note.pk,
        visibility=note.visibility,
        language=note.language,
        title=note.title,
        body=note.body,
        comment_count=note.comment_count,
        like_count=note.like_count,
        edited_at=note.edited_at,
        attachments=view.attachments.get(note.pk, []),
        mentions=[(u.pk, u.handle) for u in mentions],
        topics=[t.name for t in topics],
    )
    if viewer is not None and viewer.pk == note.author_id:
        data["text"] = status_text(note)
    data["favourited"] = note.pk in view.liked
    data["bookmarked"] = note.pk in view.collected
    return data


def comment_status(
    comment: Comment, viewer: User | None, view: Viewpoint | None = None
) -> dict[str, Any]:
    view = view or Viewpoint(viewer, comments=[comment.pk])
    reply_to_id = comment.reply_to_id or comment.note_id
    reply_to_account = comment.reply_to_user_id or comment.note.author_id
    url = f"{note_url(comment.note_id)}#comment-{comment.pk}"
    data = _base(comment.author, comment.created_at)
    data |= {
        "id": str(comment.pk),
        "uri": url,
        "url": url,
        "in_reply_to_id": str(reply_to_id),
        "in_reply_to_account_id": str(reply_to_account),
        "visibility": VISIBILITY.get(comment.note.visibility, "public"),
        "language": comment.language or None,
        "content": content_html(comment.body),
        "text": comment.body if viewer is not None and viewer.pk == comment.author_id else None,
        "replies_count": comment.reply_count if comment.root_id is None else 0,
        "favourites_count": comment.like_count,
        "favourited": comment.pk in view.liked_comments,
        "bookmarked": False,
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "edited_at": None,
    }
    return data


def statuses(items: Sequence[Note | Comment], viewer: User | None) -> list[dict[str, Any]]:
    """A list of statuses with the viewer's favourites and bookmarks fetched once."""
    notes = [i for i in items if isinstance(i, Note)]
    prefetch_related_objects(notes, "topics", "mentions")
    view = Viewpoint(
        viewer,
        [n.pk for n in notes],
        [i.pk for i in items if isinstance(i, Comment)],
    )
    return [
        note_status(i, viewer, view) if isinstance(i, Note) else comment_status(i, viewer, view)
        for i in items
    ]


# --- timelines: statuses from feed cards, with the viewer-independent JSON cached -------------
# A timeline page serialised from model instances cost ~40,000 Python calls (20 notes with
# author, profile, topics, mentions and attachments). A note's status JSON, apart from
# ``favourited``, ``bookmarked`` and ``text`` (the viewer's) and the counters (from the card
# row), changes only when the note is edited; accounts change with their profile and counters.
# Both are kept in process memory, keyed by what they show (accounts for a few seconds, as
# their counters move all the time), and only the missing notes are loaded, from plain rows.
STATUS_MAX = 10_000
ACCOUNT_SECONDS = 10.0
_status_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_account_cache: dict[int, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


# The cold path: statuses of notes not in the cache, and accounts, from precompiled rows
# (four ORM queries with select_related and prefetching cost more than the page otherwise).
_NOTE_FIELDS = [
    "id", "author_id", "title", "body", "language", "visibility", "comment_count",
    "like_count", "published_at", "created_at", "edited_at",
]  # fmt: skip
_ATTACHMENT_FIELDS = [field.attname for field in Attachment._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_PROFILE_FIELDS = [field.attname for field in Profile._meta.concrete_fields]
_COLD_NOTES = Precompiled(lambda ids: Note.objects.filter(pk__in=ids).values_list(*_NOTE_FIELDS))
_COLD_TOPICS = Precompiled(
    lambda ids: NoteTopic.objects.filter(note_id__in=ids).values_list(
        "note_id", "topic_id", "topic__name"
    )
)
_COLD_MENTIONS = Precompiled(
    lambda ids: Note.mentions.through.objects.filter(note_id__in=ids).values_list(
        "note_id", "user_id", "user__handle"
    )
)
_COLD_ATTACHMENTS = Precompiled(
    lambda ids: (
        NoteAttachment.objects.filter(note_id__in=ids)
        .order_by("note_id", "position")
        .values_list("note_id", *(f"attachment__{name}" for name in _ATTACHMENT_FIELDS))
    )
)
_AUTHORS = Precompiled(
    lambda ids: User.objects.filter(pk__in=ids).values_list(
        *_USER_FIELDS, *(f"profile__{name}" for name in _PROFILE_FIELDS)
    )
)


def _cold_statuses(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Statuses (without ``account``, with ``text``) of these notes, as ``note_status``
    makes them, from plain rows."""
    padded_ids = padded(ids, SIZES)
    topics: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for note_id, topic_id, name in _COLD_TOPICS.rows(ids=padded_ids):
        topics[note_id].append((topic_id, name))
    mentions: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for note_id, user_id, handle in _COLD_MENTIONS.rows(ids=padded_ids):
        mentions[note_id].append((user_id, handle))
    attachments: dict[int, list[Attachment]] = defaultdict(list)
    for note_id, *values in _COLD_ATTACHMENTS.rows(ids=padded_ids):
        attachments[note_id].append(Attachment.from_db("default", _ATTACHMENT_FIELDS, values))
    out = {}
    for row in _COLD_NOTES.rows(ids=padded_ids):
        note = dict(zip(_NOTE_FIELDS, row, strict=True))
        note_id = note["id"]
        data = _base(None, note["published_at"] or note["created_at"])
        data |= _note_fields(
            note_id=note_id,
            visibility=note["visibility"],
            language=note["language"],
            title=note["title"],
            body=note["body"],
            comment_count=note["comment_count"],
            like_count=note["like_count"],
            edited_at=note["edited_at"],
            attachments=attachments.get(note_id, []),
            mentions=sorted(mentions.get(note_id, [])),
            topics=[name for _, name in sorted(topics.get(note_id, []))],
        )
        data["text"] = "\n".join(t for t in (note["title"], note["body"]) if t)
        out[note_id] = data
    return out


def _authors(ids: list[int]) -> dict[int, User]:
    """Users with their profiles (as select_related("profile") loads them), from one row each."""
    users = {}
    split = len(_USER_FIELDS)
    for row in _AUTHORS.rows(ids=padded(ids, SIZES)):
        user = User.from_db("default", _USER_FIELDS, row[:split])
        if row[split + _PROFILE_FIELDS.index("user_id")] is not None:
            user.profile = Profile.from_db("default", _PROFILE_FIELDS, row[split:])
        users[user.pk] = user
    return users


# What the viewer did to the page's notes, in one query: (note id, 0) for a like, (note id, 1)
# for each board the note is collected into.
_LIKED, _COLLECTED = 0, 1
_VIEWER_STATE = Precompiled(
    lambda user, ids: (
        Like.objects.filter(user_id=user, note_id__in=ids)
        .values_list("note_id", Value(_LIKED, output_field=IntegerField()))
        .union(
            Collect.objects.filter(user_id=user, note_id__in=ids).values_list(
                "note_id", Value(_COLLECTED, output_field=IntegerField())
            ),
            all=True,
        )
    )
)


class HomeCard(Card):
    """A Following card with the viewer's like and bookmark of the note, from the same row."""

    __slots__ = ("bookmarked", "favourited")
    favourited: bool
    bookmarked: bool

    def __init__(self, row: Sequence[Any]) -> None:
        super().__init__(row[:-2])
        self.favourited, self.bookmarked = bool(row[-2]), bool(row[-1])


_HOME_CARDS = Precompiled(
    lambda viewer, ids: (
        following_visible(viewer)
        .filter(pk__in=ids)
        .annotate(
            liked=Exists(Like.objects.filter(user_id=viewer, note_id=OuterRef("pk"))),
            collected=Exists(Collect.objects.filter(user_id=viewer, note_id=OuterRef("pk"))),
        )
        .values_list(*CARD_FIELDS, "liked", "collected")
    )
)


def home_cards(viewer_id: int, ids: Sequence[int]) -> dict[int, HomeCard]:
    """``feeds.cards.following_cards`` for the home timeline: the same visibility rules and
    card rows, with ``favourited`` and ``bookmarked`` (one round trip instead of two)."""
    if not ids:
        return {}
    rows = _HOME_CARDS.rows(viewer=viewer_id, ids=padded(ids, SIZES))
    return {row[0]: HomeCard(row) for row in rows}


def _status_key(card: Any) -> tuple[Any, ...]:
    """What the cached part of a status shows. Not the counters: they move with every like
    and comment, and come from the card row (a page after a burst of likes stayed cold)."""
    return (card.id, card.edited_at, card.visibility, card.language, card.media_ready)


def _accounts(authors: dict[int, User | None]) -> dict[int, dict[str, Any]]:
    now = time.monotonic()
    out: dict[int, dict[str, Any]] = {}
    missing = []
    with _cache_lock:
        for author_id in authors:
            hit = _account_cache.get(author_id)
            if hit is not None and now - hit[0] < ACCOUNT_SECONDS:
                out[author_id] = hit[1]
            else:
                missing.append(author_id)
    if missing:
        users = _authors(missing)
        with _cache_lock:
            if len(_account_cache) > 20_000:
                _account_cache.clear()
            for author_id in missing:
                if author_id in users:
                    out[author_id] = account(users[author_id])
                    _account_cache[author_id] = (now, out[author_id])
    return out


def card_statuses(cards: Sequence[Any], viewer: User | None) -> list[dict[str, Any]]:
    """Statuses for feed cards (``feeds.cards.Card`` rows of visible notes), in order."""
    keys = [_status_key(card) for card in cards]
    found: dict[int, dict[str, Any]] = {}
    with _cache_lock:
        for key in keys:
            hit = _status_cache.get(key)
            if hit is not None:
                _status_cache.move_to_end(key)
                found[key[0]] = hit
    missing = [card.id for card in cards if card.id not in found]
    if missing:
        # ``text`` is kept for the author; cleared for others below.
        fresh = _cold_statuses(missing)
        with _cache_lock:
            for key in keys:
                if key[0] in fresh:
                    _status_cache[key] = fresh[key[0]]
            while len(_status_cache) > STATUS_MAX:
                _status_cache.popitem(last=False)
        found.update(fresh)
    shown = [card for card in cards if card.id in found]
    accounts = _accounts({card.author_id: None for card in shown})
    ids = [card.id for card in shown]
    liked: set[int] = set()
    collected: set[int] = set()
    if all(isinstance(card, HomeCard) for card in shown):
        liked = {card.id for card in shown if card.favourited}
        collected = {card.id for card in shown if card.bookmarked}
    elif viewer is not None and ids:
        for note_id, kind in _VIEWER_STATE.rows(user=viewer.pk, ids=padded(ids, SIZES)):
            (liked if kind == _LIKED else collected).add(note_id)
    out = []
    for card in shown:
        data = dict(found[card.id])
        data["account"] = accounts.get(card.author_id)
        data["replies_count"] = card.comment_count
        data["favourites_count"] = card.like_count
        data["favourited"] = card.id in liked
        data["bookmarked"] = card.id in collected
        if viewer is None or viewer.pk != card.author_id:
            data["text"] = None
        out.append(data)
    return out
