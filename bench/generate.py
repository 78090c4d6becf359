"""Generate the benchmark community: users, notes, follows, likes, collects, comments, inboxes.

    BRIDGENOTE_DATA_DIR=/tmp/bench-data python bench/generate.py            # full size
    BRIDGENOTE_DATA_DIR=/tmp/bench-small python bench/generate.py --scale 0.05
    BRIDGENOTE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py

Full size (--scale 1): 10,000 users, 1,000,000 notes over the last year (half Chinese, a third
English, the rest mixed), skewed follows (five accounts followed by everyone, i.e. ~10,000
followers each; the rest Zipf-like), likes, collects into default boards, comments, and the
Following inboxes of the last FEEDS_INBOX_DAYS materialised as fan-out would have left them.
Rows go in with executemany (SQLite) or COPY (PostgreSQL); counters match the rows.
The database must be empty (a fresh data directory or database): the script migrates it first.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "1")

CELEBRITIES = 5
ZH_WORDS = [
    "咖啡",
    "旅行",
    "穿搭",
    "美食",
    "成都",
    "火锅",
    "日常",
    "学习",
    "英语",
    "化妆",
    "健身",
    "猫咪",
    "摄影",
    "读书",
    "周末",
    "小众",
    "宝藏",
    "分享",
    "攻略",
    "推荐",
]
EN_WORDS = [
    "coffee",
    "travel",
    "outfit",
    "food",
    "weekend",
    "study",
    "english",
    "makeup",
    "gym",
    "cat",
    "photo",
    "books",
    "city",
    "tips",
    "day",
    "first",
    "selfie",
    "hello",
    "new",
    "favorite",
]
TOPICS_ZH = [
    f"{a}{b}"
    for a in ZH_WORDS[:15]
    for b in ("", "日记", "分享", "打卡", "攻略", "推荐", "vlog", "控", "生活", "笔记")
]
TOPICS_EN = [
    f"{a}{b}"
    for a in EN_WORDS[:15]
    for b in ("", "life", "diary", "tips", "vibes", "lover", "goals", "time", "day", "notes")
]


class Progress:
    """A plain progress bar on stderr (no dependency)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.start = time.monotonic()
        self._last = 0.0

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last > 0.5 or self.done >= self.total:
            self._last = now
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * 30)
            rate = self.done / max(now - self.start, 1e-6)
            sys.stderr.write(
                f"\r{self.label:<12} [{bar:<30}] {share:6.1%} {self.done:>10,}/{self.total:,}"
                f" {rate:>9,.0f}/s {now - self.start:6.1f}s"
            )
            sys.stderr.flush()

    def close(self) -> None:
        self.add(0)
        sys.stderr.write("\n")


def setup() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def table_columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def plain_defaults(model: Any) -> dict[str, Any]:
    """Each column's default for fields the generator does not set (new optional fields, such
    as a note's second-language version, get their model default: usually "" or None)."""
    out = {}
    for f in model._meta.concrete_fields:
        value = f.get_default()
        out[f.column] = value if value is None or isinstance(value, str | int | float) else None
    return out


class Writer:
    """Bulk inserts: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            connection.ensure_connection()
            raw = connection.connection
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA cache_size=-500000")
            raw.execute("PRAGMA temp_store=MEMORY")

    def write(
        self,
        model: Any,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        progress: Progress | None = None,
        batch: int = 20_000,
    ) -> int:
        table = model._meta.db_table
        if self.vendor == "sqlite":
            # Filling a table and then indexing it is several times faster than keeping the
            # indexes up to date row by row.
            raw = self.connection.connection
            indexes = raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL",
                (table,),
            ).fetchall()
            for name, _sql in indexes:
                raw.execute(f'DROP INDEX "{name}"')
            try:
                return self._write(table, columns, rows, progress, batch)
            finally:
                for _name, sql in indexes:
                    raw.execute(sql)
        return self._write(table, columns, rows, progress, batch)

    def _write(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        progress: Progress | None,
        batch: int,
    ) -> int:
        count = 0
        if self.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                        if progress and count % batch == 0:
                            progress.add(batch)
            if progress:
                progress.add(count % batch)
            return count
        placeholders = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                self._many(sql, chunk)
                count += len(chunk)
                if progress:
                    progress.add(len(chunk))
                chunk = []
        if chunk:
            self._many(sql, chunk)
            count += len(chunk)
            if progress:
                progress.add(len(chunk))
        return count

    def _many(self, sql: str, rows: list[Sequence[Any]]) -> None:
        # One transaction per batch: the connection is in autocommit mode, where sqlite3 would
        # otherwise commit (and sync) every row.
        raw = self.connection.connection
        raw.execute("BEGIN")
        raw.executemany(sql, rows)
        raw.execute("COMMIT")


def ts(dt: datetime, vendor: str) -> Any:
    # Django keeps SQLite datetimes as naive UTC text.
    return dt.replace(tzinfo=None).isoformat(sep=" ") if vendor == "sqlite" else dt


def weighted_sampler(weights: Sequence[float], rng: random.Random) -> Any:
    """Draw indexes with the given weights quickly (cumulative weights + bisect)."""
    from bisect import bisect
    from itertools import accumulate

    cumulative = list(accumulate(weights))
    total = cumulative[-1]

    def draw() -> int:
        return bisect(cumulative, rng.random() * total)

    return draw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10k users, 1M notes")
    parser.add_argument("--seed", type=int, default=20250115)
    parser.add_argument("--days", type=int, default=365, help="notes spread over this many days")
    args = parser.parse_args(argv)
    started = time.monotonic()
    setup()

    from django.conf import settings

    from bridgenote.accounts.models import Profile, User
    from bridgenote.core.ids import id_at
    from bridgenote.engage.models import Board, Collect, Comment, Follow, Like
    from bridgenote.feeds import services as feed_services
    from bridgenote.feeds.models import HybridAuthor, InboxEntry
    from bridgenote.notes.models import Note, NoteTopic, Topic

    if User.objects.exists():
        sys.exit("The database is not empty: point BRIDGENOTE_DATA_DIR at a new directory.")
    rng = random.Random(args.seed)
    writer = Writer()
    vendor = writer.vendor
    n_users = max(50, int(10_000 * args.scale))
    n_notes = max(500, int(1_000_000 * args.scale))
    n_likes = int(1_500_000 * args.scale)
    n_collects = int(300_000 * args.scale)
    n_comments = int(300_000 * args.scale)
    now = time.time()
    now_dt = datetime.fromtimestamp(now, UTC)
    joined = ts(datetime.fromtimestamp(now - args.days * 86400 - 86400, UTC), vendor)

    # --- users and their languages ------------------------------------------------------------
    base = id_at(now - args.days * 86400 - 86400)
    user_ids = [base + i for i in range(n_users)]
    speaks_zh = [rng.random() < 0.55 for _ in range(n_users)]
    progress = Progress("users", n_users * 2)
    cols = table_columns(User)
    defaults = {
        **plain_defaults(User),
        "password": "!",
        "last_login": None,
        "is_superuser": False,
        "phone": None,
        "phone_verified": True,
        "email": None,
        "is_staff": False,
        "is_moderator": False,
        "is_active": True,
        "date_joined": joined,
    }
    writer.write(
        User,
        cols,
        (
            [{**defaults, "id": uid, "handle": f"u{i}"}[c] for c in cols]
            for i, uid in enumerate(user_ids)
        ),
        progress,
    )

    # --- follows: celebrities followed by everyone, the rest Zipf-like --------------------------
    popularity = list(range(n_users))
    rng.shuffle(popularity)  # popularity[rank] = user index
    pop_weights = [0.0] * n_users
    for rank, index in enumerate(popularity):
        pop_weights[index] = 1.0 / (rank + 20) ** 0.9
    for index in range(CELEBRITIES):
        pop_weights[index] = 0.0  # followed by everyone below, not drawn again
    draw_followee = weighted_sampler(pop_weights, rng)
    followers: list[list[int]] = [[] for _ in range(n_users)]
    follows: list[tuple[int, int]] = []
    for follower in range(n_users):
        wanted = min(n_users // 3, int(rng.lognormvariate(3.0, 0.9)))
        chosen = {draw_followee() for _ in range(wanted)}
        chosen.update(range(CELEBRITIES))
        chosen.discard(follower)
        for followee in chosen:
            follows.append((follower, followee))
            followers[followee].append(follower)

    # --- notes ---------------------------------------------------------------------------------
    activity = [1.0 / (rank + 5) ** 0.8 for rank in range(n_users)]
    rng.shuffle(activity)
    busiest = max(activity)
    for index in range(CELEBRITIES):
        activity[index] = busiest * 2  # busy, famous authors
    draw_author = weighted_sampler(activity, rng)
    note_times = sorted(now - rng.random() * args.days * 86400 for _ in range(n_notes))
    note_times[-1] = now - 30
    note_ids = array("q", (id_at(t) | (i & 0xFFFF) for i, t in enumerate(note_times)))
    note_author = array("i", (draw_author() for _ in range(n_notes)))
    note_lang: list[str] = []
    for i in range(n_notes):
        r = rng.random()
        if speaks_zh[note_author[i]]:
            note_lang.append("zh" if r < 0.909 else "mixed")
        else:
            note_lang.append("en" if r < 0.733 else "mixed")

    # Engagement rows first, so that the notes' counters match them. Recent and popular
    # authors' notes get more.
    def draw_note() -> int:
        return n_notes - 1 - int(n_notes * rng.random() ** 2.5)

    like_keys: set[int] = set()
    likes: list[tuple[int, int]] = []
    like_count = array("i", bytes(4 * n_notes))
    while len(likes) < n_likes:
        user, note = rng.randrange(n_users), draw_note()
        key = user * n_notes + note
        if key not in like_keys:
            like_keys.add(key)
            likes.append((user, note))
            like_count[note] += 1
    del like_keys
    collect_keys: set[int] = set()
    collects: list[tuple[int, int]] = []
    collect_count = array("i", bytes(4 * n_notes))
    while len(collects) < n_collects:
        user, note = rng.randrange(n_users), draw_note()
        key = user * n_notes + note
        if key not in collect_keys:
            collect_keys.add(key)
            collects.append((user, note))
            collect_count[note] += 1
    comment_count = array("i", bytes(4 * n_notes))
    comments = [(rng.randrange(n_users), draw_note()) for _ in range(n_comments)]
    for _user, note in comments:
        comment_count[note] += 1

    topics = [(base + n_users + i, name) for i, name in enumerate(TOPICS_ZH + TOPICS_EN)]
    zh_topics, en_topics = topics[: len(TOPICS_ZH)], topics[len(TOPICS_ZH) :]
    topic_rank_weights = [1.0 / (r + 1) for r in range(len(zh_topics))]
    draw_topic = weighted_sampler(topic_rank_weights, rng)
    note_topics: list[tuple[int, int]] = []
    topic_counts: dict[int, int] = {}

    progress.close()
    progress = Progress("notes", n_notes)
    cols = table_columns(Note)
    column_defaults = plain_defaults(Note)
    note_defaults = {
        "body": "",
        "language_is_set": False,
        "visibility": "public",
        "status": "published",
        "moderation": "published",
        "media_ready": True,
        "place_name": "",
        "is_original": True,
        "cover_id": None,
        "edited_at": None,
    }
    profile_notes = [0] * n_users
    likes_received = [0] * n_users

    def note_rows() -> Iterator[list[Any]]:
        for i in range(n_notes):
            author = note_author[i]
            lang = note_lang[i]
            words = ZH_WORDS if lang == "zh" else EN_WORDS
            if lang == "mixed":
                title = f"{rng.choice(EN_WORDS)} {rng.choice(ZH_WORDS)} {rng.choice(EN_WORDS)}"
            else:
                sep = "" if lang == "zh" else " "
                title = sep.join(rng.choice(words) for _ in range(3))
            pool = (
                zh_topics if lang == "zh" or (lang == "mixed" and rng.random() < 0.5) else en_topics
            )
            r = rng.random()
            if r < 0.8:
                chosen = {pool[draw_topic()][0]}
                if r < 0.25:
                    chosen.add(pool[draw_topic()][0])
                for topic_id in chosen:
                    note_topics.append((note_ids[i], topic_id))
                    topic_counts[topic_id] = topic_counts.get(topic_id, 0) + 1
            profile_notes[author] += 1
            likes_received[author] += like_count[i] + collect_count[i]
            created = ts(datetime.fromtimestamp(note_times[i], UTC), vendor)
            values = {
                **note_defaults,
                "id": note_ids[i],
                "author_id": user_ids[author],
                "title": title[:20],
                "language": lang,
                "ip_territory": "CN-51" if speaks_zh[author] else "US",
                "like_count": like_count[i],
                "collect_count": collect_count[i],
                "comment_count": comment_count[i],
                "created_at": created,
                "published_at": created,
            }
            yield [values[c] if c in values else column_defaults[c] for c in cols]

    writer.write(Note, cols, note_rows(), progress)
    progress.close()

    # --- topics, profiles, follows ----------------------------------------------------------------
    progress = Progress("topics", len(topics) + len(note_topics))
    cols = table_columns(Topic)
    writer.write(
        Topic,
        cols,
        (
            [
                {
                    "id": tid,
                    "name": name,
                    "folded": name.casefold(),
                    "note_count": topic_counts.get(tid, 0),
                    "created_at": joined,
                }[c]
                for c in cols
            ]
            for tid, name in topics
        ),
        progress,
    )
    writer.write(NoteTopic, ["note_id", "topic_id"], iter(note_topics), progress)
    progress.close()

    progress = Progress("profiles", n_users)
    following_count = [0] * n_users
    for follower, _followee in follows:
        following_count[follower] += 1
    cols = table_columns(Profile)
    profile_defaults = plain_defaults(Profile)
    writer.write(
        Profile,
        cols,
        (
            [
                (
                    profile_defaults
                    | {
                        "user_id": user_ids[i],
                        "display_name": f"用户{i}" if speaks_zh[i] else f"User {i}",
                        "bio": "",
                        "avatar": "",
                        "languages_spoken": '["zh"]' if speaks_zh[i] else '["en"]',
                        "languages_learning": '["en"]' if speaks_zh[i] else '["zh"]',
                        "ui_language": "zh-hans" if speaks_zh[i] else "en",
                        "ip_territory": "CN-51" if speaks_zh[i] else "US",
                        "note_count": profile_notes[i],
                        "follower_count": len(followers[i]),
                        "following_count": following_count[i],
                        "likes_and_collects_count": likes_received[i],
                    }
                )[c]
                for c in cols
            ]
            for i in range(n_users)
        ),
        progress,
    )
    progress.close()

    progress = Progress("follows", len(follows))
    writer.write(
        Follow,
        ["follower_id", "followee_id", "created_at"],
        ((user_ids[a], user_ids[b], joined) for a, b in follows),
        progress,
    )
    progress.close()

    # --- likes, collects (default boards), comments -----------------------------------------------
    now_ts = ts(now_dt, vendor)
    progress = Progress("likes", len(likes))
    writer.write(
        Like,
        ["user_id", "note_id", "created_at"],
        ((user_ids[u], note_ids[n], now_ts) for u, n in likes),
        progress,
    )
    progress.close()
    del likes
    progress = Progress("collects", n_users + len(collects))
    board_of = [base + n_users + 10_000 + i for i in range(n_users)]
    board_size = [0] * n_users
    for u, _n in collects:
        board_size[u] += 1
    cols = table_columns(Board)
    board_defaults = plain_defaults(Board)
    writer.write(
        Board,
        cols,
        (
            [
                {
                    **board_defaults,
                    "id": board_of[i],
                    "owner_id": user_ids[i],
                    "name": "Default",
                    "description": "",
                    "is_private": False,
                    "is_default": True,
                    "note_count": board_size[i],
                    "created_at": joined,
                }[c]
                for c in cols
            ]
            for i in range(n_users)
        ),
        progress,
    )
    writer.write(
        Collect,
        ["board_id", "note_id", "user_id", "created_at"],
        ((board_of[u], note_ids[n], user_ids[u], now_ts) for u, n in collects),
        progress,
    )
    progress.close()
    progress = Progress("comments", len(comments))
    cols = table_columns(Comment)
    comment_base = id_at(now - 1)
    comment_defaults = plain_defaults(Comment) | {
        "root_id": None,
        "reply_to_id": None,
        "reply_to_user_id": None,
        "like_count": 0,
        "reply_count": 0,
        "is_pinned": False,
        "is_deleted": False,
        "deleted_at": None,
        "moderation": "published",
        "created_at": now_ts,
    }
    writer.write(
        Comment,
        cols,
        (
            [
                {
                    **comment_defaults,
                    "id": comment_base + i,
                    "note_id": note_ids[n],
                    "author_id": user_ids[u],
                    "body": "好看！" if speaks_zh[u] else "So pretty!",
                    "language": "zh" if speaks_zh[u] else "en",
                    "ip_territory": "CN-51" if speaks_zh[u] else "US",
                }[c]
                for c in cols
            ]
            for i, (u, n) in enumerate(comments)
        ),
        progress,
    )
    progress.close()

    # --- inboxes: what fan-out on write would have left -------------------------------------------
    threshold = settings.FEEDS_FANOUT_MAX_FOLLOWERS
    hybrid = [len(followers[i]) > threshold for i in range(n_users)]
    writer.write(
        HybridAuthor,
        ["user_id", "since"],
        ((user_ids[i], joined) for i in range(n_users) if hybrid[i]),
    )
    boundary = feed_services.inbox_boundary()
    first_recent = next((i for i in range(n_notes) if note_ids[i] >= boundary), n_notes)
    total = sum(
        1 + (0 if hybrid[note_author[i]] else len(followers[note_author[i]]))
        for i in range(first_recent, n_notes)
    )
    progress = Progress("inboxes", total)

    def inbox_rows() -> Iterator[tuple[int, int, int]]:
        for i in range(first_recent, n_notes):
            author = note_author[i]
            uid = user_ids[author]
            yield (uid, note_ids[i], uid)
            if not hybrid[author]:
                for follower in followers[author]:
                    yield (user_ids[follower], note_ids[i], uid)

    writer.write(InboxEntry, ["user_id", "note_id", "author_id"], inbox_rows(), progress)
    progress.close()

    sys.stderr.write("discover pool and statistics...\n")
    pool = feed_services.discover_refresh()
    if vendor == "postgresql":
        with writer.connection.cursor() as cursor:
            # VACUUM sets the visibility map (index-only scans without heap fetches), as
            # autovacuum would on a live database; ANALYZE alone left it empty.
            cursor.execute("VACUUM (ANALYZE)")
    else:
        writer.connection.connection.execute("ANALYZE")
    counts = {
        "users": n_users,
        "notes": n_notes,
        "follows": len(follows),
        "likes": n_likes,
        "collects": n_collects,
        "comments": n_comments,
        "note_topics": len(note_topics),
        "inbox_entries": total,
        "hybrid_authors": sum(hybrid),
        "discover_pool": pool,
        "max_followers": max(len(f) for f in followers),
        "max_notes_by_one_author": max(profile_notes),
    }
    elapsed = time.monotonic() - started
    print(" ".join(f"{k}={v}" for k, v in counts.items()), f"seconds={elapsed:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
