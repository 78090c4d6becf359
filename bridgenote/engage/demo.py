"""Demo engagement: follows, likes, collects into boards and bilingual comment threads between
the US and Chinese demo users, on the demo notes. Runs after the accounts and notes demos."""

from __future__ import annotations

import itertools
from typing import Any

from bridgenote.accounts.models import User
from bridgenote.engage import services
from bridgenote.engage.errors import EngageError
from bridgenote.engage.models import Board, Comment
from bridgenote.notes.models import Note

# (the note author's side, comment, reply from the other side, answer from the author)
THREADS = [
    (
        "en",
        "你的照片好好看！Where is this?",
        "Thank you!! It's in Austin 🌸 你去过美国吗？",
        "还没有，but I want to visit someday!",
    ),
    (
        "en",
        "Your nose-stud is so cool 😎",
        "haha thanks! How do you say 'cool' in Chinese?",
        "酷 (kù)! Same sound as English 😂",
    ),
    (
        "zh",
        "Can you help check my English homework? 谢谢！",
        "Sure! 'I very like it' → 'I like it very much' 👍",
        "明白了，thank you so much!",
    ),
    (
        "zh",
        "This hotpot looks amazing. Is it very spicy?",
        "成都火锅当然辣！Try 鸳鸯锅 (half spicy, half mild)",
        "鸳鸯锅 noted 📝 谢谢！",
    ),
]


def _users(community: dict[str, Any]) -> list[User]:
    found = community.get("users")
    if isinstance(found, dict):
        users = [u for u in found.values() if isinstance(u, User)]
    elif isinstance(found, list | tuple):
        users = [u for u in found if isinstance(u, User)]
    else:
        users = []
    return users or list(User.objects.filter(is_active=True, profile__isnull=False)[:20])


def _side(user: User) -> str:
    profile = getattr(user, "profile", None)
    territory = getattr(profile, "ip_territory", "") or ""
    spoken = getattr(profile, "languages_spoken", []) or []
    return "zh" if territory.startswith("CN") or "zh" in spoken else "en"


def populate(community: dict[str, Any]) -> None:
    users = _users(community)
    notes = list(
        Note.objects.filter(author__in=users, status=Note.Status.PUBLISHED).order_by("id")[:40]
    )
    community.setdefault("engage", {})
    if not users or not notes:
        # Nothing to engage with yet (the notes demo has not run): follows only.
        notes = []
    us = [u for u in users if _side(u) == "en"]
    cn = [u for u in users if _side(u) == "zh"]

    # Everyone follows a few people from the other community, and a couple from their own.
    for user in users:
        others = (cn if _side(user) == "en" else us)[:4] + (us if _side(user) == "en" else cn)[:2]
        for other in others:
            if other.pk != user.pk:
                services.follow_create(follower=user, followee=other)

    boards = {}
    for user in users:
        name = "English practice" if _side(user) == "zh" else "成都美食"
        boards[user.pk] = Board.objects.filter(
            owner=user, name=name
        ).first() or services.board_create(owner=user, name=name)

    for index, note in enumerate(notes):
        readers = [u for u in (cn if _side(note.author) == "en" else us) if u.pk != note.author_id]
        for n, reader in enumerate(readers):
            try:
                services.like_create(user=reader, note=note)
                if (index + n) % 2 == 0:
                    services.collect_create(user=reader, note=note, board=boards.get(reader.pk))
                if n == 0:
                    services.collect_create(user=reader, note=note)
            except EngageError:
                continue
        _thread(note, readers, index)
    community["engage"]["boards"] = boards


def _thread(note: Note, readers: list[User], index: int) -> Comment | None:
    if not readers:
        return None
    side = "en" if _side(note.author) == "en" else "zh"
    scripts = [t for t in THREADS if t[0] == side] or THREADS
    _side_name, first, answer, follow_up = scripts[index % len(scripts)]
    reader = readers[index % len(readers)]
    if Comment.objects.filter(note=note, author=reader).exists():
        return None  # loaded before: the demo can run twice
    try:
        top = services.comment_create(author=reader, note=note, body=first, check_rate=False)
        reply = services.comment_reply(
            author=note.author, reply_to=top, body=answer, check_rate=False
        )
        services.comment_reply(author=reader, reply_to=reply, body=follow_up, check_rate=False)
        services.comment_like_create(user=note.author, comment=top)
        for other in itertools.islice(readers, 1, 3):
            services.comment_like_create(user=other, comment=top)
        if index % 3 == 0:
            services.comment_pin(user=note.author, comment=top)
    except EngageError:
        return None
    return top
