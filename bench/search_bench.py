"""Search benchmark: a generated zh / en / mixed corpus, reindexing throughput, search and
suggestion latency through the Django test client, and recall of two-character Chinese words.

    BRIDGENOTE_DATA_DIR=/tmp/search-bench python bench/search_bench.py --notes 200000
    BRIDGENOTE_DATABASE_URL=postgres://u:p@127.0.0.1/bench \
        python bench/search_bench.py --notes 200000

The database must be empty or hold a corpus made by this script (it is reused when big
enough), or, with --existing, any corpus (the 1M-note feeds dataset of bench/generate.py):

    BRIDGENOTE_DATA_DIR=/tmp/bench-copy python bench/search_bench.py --existing \
        --skip-reindex --repeat 4 --recall-sample 5000

--existing generates nothing and draws its queries from a random sample of the indexed notes
(--recall-sample of them, --seed): for Chinese and English one word each, the words (jieba words
of two characters or more, Latin words of three letters or more, from title, body, place and
topic names) whose share of the sample is closest to 100%, 10%, 3%, 1%, 0.3%, 0.1%; two words:
pairs that occur together in sample notes at 100%...1%, plus the most common word with a word
at 1% and 0.1% (the slow class); mixed: a Chinese and an English word of the same note; pinyin:
full and initials of the three most common Chinese words; popularity sorts on the most common
Chinese and English word and the first mixed pair; suggestion prefixes from those words. The
recall check then covers every pair of adjacent Han characters of the sample (the 30 most
common and 30 others). Without --skip-reindex the index is rebuilt first and timed. The
chosen queries and their shares are printed (stderr) and kept in the report ("workload").

Every latency is also given as a ratio to GET /api/ping measured through the same client in
the same run, so figures from different machines compare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
# Production mode: DEBUG would record every SQL query in memory and slow everything down.
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")
os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "search-benchmark-only-not-a-real-secret-key")
# The benchmark measures search, not the abuse limit.
os.environ.setdefault("BRIDGENOTE_SEARCH_RATE_PER_MINUTE", "100000000")

ZH = [
    "咖啡",
    "拿铁",
    "美式",
    "手冲",
    "甜品",
    "蛋糕",
    "面包",
    "早餐",
    "午餐",
    "晚餐",
    "火锅",
    "烧烤",
    "奶茶",
    "果汁",
    "啤酒",
    "红酒",
    "旅行",
    "自驾",
    "露营",
    "徒步",
    "爬山",
    "海边",
    "沙滩",
    "古镇",
    "民宿",
    "酒店",
    "机场",
    "高铁",
    "地铁",
    "攻略",
    "打卡",
    "拍照",
    "自拍",
    "摄影",
    "滤镜",
    "穿搭",
    "裙子",
    "外套",
    "毛衣",
    "牛仔裤",
    "运动鞋",
    "包包",
    "口红",
    "粉底",
    "眼影",
    "护肤",
    "面膜",
    "防晒",
    "香水",
    "发型",
    "健身",
    "跑步",
    "瑜伽",
    "游泳",
    "减肥",
    "蛋白",
    "读书",
    "小说",
    "电影",
    "音乐",
    "演唱会",
    "展览",
    "博物馆",
    "画画",
    "手工",
    "花店",
    "猫咪",
    "狗狗",
    "宠物",
    "植物",
    "多肉",
    "阳台",
    "装修",
    "租房",
    "搬家",
    "收纳",
    "厨房",
    "做饭",
    "烘焙",
    "学习",
    "英语",
    "考研",
    "留学",
    "工作",
    "上班",
    "加班",
    "周末",
    "假期",
    "春天",
    "夏天",
    "秋天",
    "冬天",
    "下雨",
    "晴天",
    "日落",
    "夜景",
    "城市",
    "成都",
    "重庆",
    "上海",
    "北京",
    "杭州",
    "广州",
    "深圳",
    "西安",
    "大理",
    "丽丽",
    "厦门",
    "台湾",
    "香港",
    "东京",
    "巴黎",
    "宝藏",
    "小众",
    "平价",
    "高级",
    "好看",
    "好吃",
    "好喝",
    "推荐",
    "分享",
    "避雷",
    "种草",
    "日常",
    "记录",
    "生活",
    "心情",
    "朋友",
    "家人",
    "孩子",
    "妈妈",
    "同事",
    "约会",
    "生日",
    "礼物",
    "惊喜",
    "快乐",
    "治愈",
    "温柔",
    "安静",
    "热闹",
    "舒服",
    "方便",
    "便宜",
    "新鲜",
    "味道",
    "环境",
    "服务",
    "价格",
    "排队",
    "预约",
]
ZH_GLUE = [
    "今天",
    "我们",
    "一起",
    "去了",
    "真的",
    "非常",
    "有点",
    "特别",
    "终于",
    "还是",
    "已经",
    "这家",
    "那个",
    "超级",
    "感觉",
    "觉得",
    "喜欢",
    "最爱",
    "的",
    "了",
    "也",
    "很",
    "在",
    "和",
]
EN = [
    "coffee",
    "latte",
    "espresso",
    "brunch",
    "breakfast",
    "dinner",
    "dessert",
    "cake",
    "bread",
    "pizza",
    "noodles",
    "ramen",
    "tea",
    "travel",
    "trip",
    "road",
    "beach",
    "hiking",
    "camping",
    "mountain",
    "island",
    "hotel",
    "airport",
    "train",
    "city",
    "guide",
    "tips",
    "photo",
    "selfie",
    "camera",
    "sunset",
    "night",
    "view",
    "outfit",
    "dress",
    "jacket",
    "sweater",
    "jeans",
    "sneakers",
    "bag",
    "lipstick",
    "makeup",
    "skincare",
    "mask",
    "sunscreen",
    "perfume",
    "hair",
    "gym",
    "running",
    "yoga",
    "swimming",
    "workout",
    "books",
    "novel",
    "movie",
    "music",
    "concert",
    "museum",
    "art",
    "painting",
    "flowers",
    "cats",
    "dogs",
    "pets",
    "plants",
    "garden",
    "home",
    "kitchen",
    "cooking",
    "baking",
    "study",
    "english",
    "exam",
    "work",
    "office",
    "weekend",
    "holiday",
    "spring",
    "summer",
    "autumn",
    "winter",
    "rain",
    "sunny",
    "friends",
    "family",
    "kids",
    "birthday",
    "gift",
    "happy",
    "cozy",
    "quiet",
    "lovely",
    "cheap",
    "fresh",
    "taste",
    "vibe",
    "service",
    "price",
    "favorite",
    "hidden",
    "gem",
    "local",
    "shop",
    "market",
    "street",
    "food",
]
EN_GLUE = [
    "today",
    "we",
    "finally",
    "went",
    "to",
    "the",
    "this",
    "that",
    "really",
    "so",
    "very",
    "and",
    "with",
    "my",
    "our",
    "best",
    "new",
]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "高",
    "罗",
]
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀",
    "霞",
    "平",
    "刚",
    "桂",
    "晨",
    "宇",
    "欣",
    "怡",
    "然",
    "轩",
]
EN_NAMES = [
    "ava",
    "mia",
    "emma",
    "liam",
    "noah",
    "olivia",
    "lucas",
    "sophia",
    "ethan",
    "chloe",
    "grace",
    "leo",
    "ruby",
    "jack",
    "lily",
    "max",
]
QUERIES = {
    "zh_one": ["咖啡", "旅行", "自拍", "火锅", "攻略", "猫咪", "穿搭", "成都", "露营", "日落"],
    "zh_two": ["咖啡 甜品", "成都 火锅", "海边 日落", "穿搭 外套", "健身 减肥", "旅行 攻略"],
    "en_one": ["coffee", "travel", "selfie", "cats", "sunset", "outfit", "hiking", "books"],
    "en_two": ["coffee brunch", "beach sunset", "travel tips", "cozy cafe", "street food"],
    "mixed": ["咖啡 latte", "成都 food", "旅行 tips", "自拍 camera", "火锅 night"],
    "pinyin": ["kafei", "lvxing", "zipai", "zp", "hg"],
}
SUGGEST_PREFIXES = [
    "z",
    "zi",
    "zip",
    "咖",
    "咖啡",
    "lv",
    "lvx",
    "co",
    "cof",
    "ava",
    "li",
    "w",
    "旅",
]


HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _zipf_choice(rng: random.Random, words: Sequence[str]) -> str:
    # Rank-skewed: the first words are much more common, as in real text.
    index = min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)
    return words[(index * 7) % len(words)]


def zh_text(rng: random.Random, words: int) -> str:
    parts = []
    for i in range(words):
        parts.append(_zipf_choice(rng, ZH) if rng.random() < 0.6 else rng.choice(ZH_GLUE))
        if i and i % rng.randint(4, 8) == 0:
            parts.append(rng.choice("，。！～"))
    return "".join(parts) + rng.choice(["。", "！", "🌸", "😋", ""])


def en_text(rng: random.Random, words: int) -> str:
    parts = [
        _zipf_choice(rng, EN) if rng.random() < 0.6 else rng.choice(EN_GLUE) for _ in range(words)
    ]
    return " ".join(parts).capitalize() + rng.choice([".", "!", " ✨", ""])


def note_text(rng: random.Random, language: str) -> tuple[str, str]:
    if language == "zh":
        return zh_text(rng, rng.randint(2, 4))[:20], zh_text(rng, rng.randint(15, 60))
    if language == "en":
        return en_text(rng, rng.randint(2, 4))[:20], en_text(rng, rng.randint(12, 45))
    title = f"{zh_text(rng, 2)} {en_text(rng, 1)}"[:20]
    return title, f"{zh_text(rng, rng.randint(8, 30))} {en_text(rng, rng.randint(5, 15))}"


def generate(total: int, seed: int) -> None:
    """Users, topics and ``total`` published public notes, inserted in bulk."""
    from django.db import connection, transaction

    from bridgenote.accounts.models import Profile, User
    from bridgenote.core.ids import new_id
    from bridgenote.core.text import fold
    from bridgenote.notes.models import Note, NoteTopic, Topic

    rng = random.Random(seed)
    users = max(100, total // 40)
    now = datetime.now(UTC)
    user_rows, profile_rows = [], []
    for i in range(users):
        uid = new_id()
        if i % 2:
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
            )
            handle = f"u{i}"
        else:
            name = rng.choice(EN_NAMES).title() + f" {i}"
            handle = f"{rng.choice(EN_NAMES)}{i}"
        user_rows.append((uid, handle, "!", True, False, False, True, now, False))
        profile_rows.append(
            (uid, name, "", "", "[]", "[]", "", "", 0, int(rng.paretovariate(1.2)), 0, 0)
        )
    topic_names = list(dict.fromkeys(ZH[:120] + [f"{w}日记" for w in ZH[:40]] + EN[:120]))
    topics = [(new_id(), name, fold(name), 0, now) for name in topic_names]

    def rows(model: Any, columns: list[str], data: Sequence[Sequence[Any]]) -> None:
        table = model._meta.db_table
        # Columns added to the models after this script was written get their defaults.
        extra = [
            f for f in model._meta.concrete_fields
            if f.column not in columns and not f.null
            and (f.has_default() or f.empty_strings_allowed)
        ]  # fmt: skip
        if extra:
            columns = [*columns, *(f.column for f in extra)]
            defaults = [f.get_db_prep_save(f.get_default(), connection) for f in extra]
            data = [(*row, *defaults) for row in data]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
                ) as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                # SQLite stores datetimes as naive UTC text, as Django does.
                data = [
                    [v.replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v
                     for v in row]
                    for row in data
                ]  # fmt: skip
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', data
                )

    with transaction.atomic():
        rows(User, ["id", "handle", "password", "phone_verified", "is_staff", "is_moderator",
                    "is_active", "date_joined", "is_superuser"], user_rows)  # fmt: skip
        rows(Profile, ["user_id", "display_name", "bio", "avatar", "languages_spoken",
                       "languages_learning", "ui_language", "ip_territory", "note_count",
                       "follower_count", "following_count", "likes_and_collects_count"],
             profile_rows)  # fmt: skip
        rows(Topic, ["id", "name", "folded", "note_count", "created_at"], topics)
    note_columns = ["id", "author_id", "title", "body", "language", "language_is_set", "visibility",
                    "status", "moderation", "media_ready", "place_name", "is_original",
                    "ip_territory", "like_count", "collect_count", "comment_count", "created_at",
                    "published_at", "alt_title", "alt_body", "alt_language",
                    "help_language"]  # fmt: skip
    started = time.monotonic()
    batch_size = 20_000
    topic_counts = [0] * len(topics)
    for start in range(0, total, batch_size):
        notes, tags = [], []
        for _ in range(min(batch_size, total - start)):
            language = rng.choices(["zh", "en", "mixed"], [50, 33, 17])[0]
            title, body = note_text(rng, language)
            created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            nid = new_id()
            place = rng.choice(
                ["", "", "", "成都·太古里", "上海静安寺", "Brooklyn, NY", "大理古城"]
            )
            likes, collects, comments = (int(rng.paretovariate(a)) - 1 for a in (1.3, 1.5, 1.6))
            notes.append((nid, rng.choice(user_rows)[0], title, body, language, False, "public",
                          "published", "published", True, place, True, "", likes, collects,
                          comments, created, created, "", "", "", ""))  # fmt: skip
            for t in rng.sample(range(len(topics)), rng.randint(0, 3)):
                tags.append((nid, topics[t][0]))
                topic_counts[t] += 1
        with transaction.atomic():
            rows(Note, note_columns, notes)
            rows(NoteTopic, ["note_id", "topic_id"], tags)
        done = start + len(notes)
        rate = done / (time.monotonic() - started)
        print(f"\rgenerate    {done:>10,}/{total:,} notes {rate:,.0f}/s", end="", file=sys.stderr)
    print(file=sys.stderr)
    with transaction.atomic():
        for (tid, *_), count in zip(topics, topic_counts, strict=True):
            Topic.objects.filter(id=tid).update(note_count=count)


def copy_corpus(source_url: str) -> None:
    """Copy a corpus and its analysed index documents from a PostgreSQL database filled by this
    script into the (empty) default database: the same notes for both backends, and the SQLite
    index built from the same analysed text without analysing it again (reindex throughput is
    measured separately)."""
    import psycopg
    from django.db import connection, transaction

    tables = ["accounts_user", "accounts_profile", "notes_topic", "notes_note",
              "notes_notetopic", "search_notedocument"]  # fmt: skip

    def value(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        if isinstance(v, list | dict):
            return json.dumps(v)
        return v

    with psycopg.connect(source_url) as source:
        for table in tables:
            with connection.cursor() as cursor:
                columns = [c.name for c in connection.introspection.get_table_description(
                    cursor, table)]  # fmt: skip
            names = ", ".join(columns)
            marks = ", ".join("?" for _ in columns)
            done = 0
            with source.cursor(name=f"copy_{table}") as rows:
                rows.execute(f"SELECT {names} FROM {table}")
                while batch := rows.fetchmany(20_000):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.executemany(
                            f"INSERT INTO {table} ({names}) VALUES ({marks})",
                            [[value(v) for v in row] for row in batch],
                        )
                    done += len(batch)
                    print(f"\rcopy {table:<22} {done:>10,}", end="", file=sys.stderr)
            print(file=sys.stderr)


# --- --existing: queries drawn from a corpus this script did not make -------------------------
# Shares of the sample's notes a query word should be found in, most common first: one word of
# each band (the closest), so a run covers very common words (the slow case: their matches are
# cut by the window) down to rare ones (the index walks further for a page).
BANDS = (1.0, 0.1, 0.03, 0.01, 0.003, 0.001)


def _sample_texts(sample: int, rng: random.Random) -> dict[int, tuple[str, str, str, list[str]]]:
    """(title, body, place, topic names) of ``sample`` random indexed notes, by id."""
    from bridgenote.notes.models import Note, NoteTopic
    from bridgenote.search.models import NoteDocument

    # Indexed notes only (drafts and removed notes are not), so the recall check compares like
    # with like.
    ids = list(NoteDocument.objects.values_list("note_id", flat=True))
    chosen = rng.sample(ids, min(sample, len(ids)))
    texts: dict[int, tuple[str, str, str, list[str]]] = {}
    for start in range(0, len(chosen), 5000):
        chunk = chosen[start : start + 5000]
        topics: dict[int, list[str]] = {}
        for nid, name in NoteTopic.objects.filter(note_id__in=chunk).values_list(
            "note_id", "topic__name"
        ):
            topics.setdefault(nid, []).append(name)
        for nid, title, body, place in Note.objects.filter(id__in=chunk).values_list(
            "id", "title", "body", "place_name"
        ):
            texts[nid] = (title, body, place, topics.get(nid, []))
    return texts


def _words(text: str) -> tuple[list[str], list[str]]:
    """Chinese words (jieba, two characters or more) and Latin words (three letters or more) of
    a text, as a user would type them."""
    from bridgenote.search.analysis import _jieba, _runs, clean

    zh: list[str] = []
    en: list[str] = []
    for run, is_han in _runs(clean(text)):
        if is_han:
            zh += [w for w in _jieba().cut(run) if len(w) >= 2]
        elif run.isascii() and run.isalpha() and len(run) >= 3:
            en.append(run)
    return zh, en


def _by_band(counts: dict[Any, int], total: int, bands: Sequence[float] = BANDS) -> list[Any]:
    """One key per band: the one whose share of ``total`` is closest to the band's (distinct,
    most common first)."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    chosen: list[Any] = []
    for band in bands:
        best = min(
            (kv for kv in ranked if kv[0] not in chosen),
            key=lambda kv: abs(kv[1] / total - band),
            default=None,
        )
        if best is not None and best[0] not in chosen:
            chosen.append(best[0])
    return chosen


def existing_workload(sample: int, seed: int) -> dict[str, Any]:
    """Queries for a corpus found in the database: words and pairs of words that occur in a
    random sample of its notes (text and topic names), picked at several frequencies, plus the
    sample itself for the recall check and prefixes for suggestions."""
    from bridgenote.search.analysis import pinyin_forms

    rng = random.Random(seed)
    texts = _sample_texts(sample, rng)
    total = max(1, len(texts))
    df: dict[str, dict[str, int]] = {"zh": {}, "en": {}}
    pairs: dict[str, dict[tuple[str, str], int]] = {"zh": {}, "en": {}, "mixed": {}}
    for title, body, place, topics in texts.values():
        zh, en = _words(" ".join([title, body, place, *topics]))
        zh_set, en_set = sorted(set(zh)), sorted(set(en))
        for lang, words in (("zh", zh_set), ("en", en_set)):
            for word in words:
                df[lang][word] = df[lang].get(word, 0) + 1
        # Pairs from at most 8 words of a note, so long bodies do not dominate.
        zh_few = rng.sample(zh_set, min(8, len(zh_set)))
        en_few = rng.sample(en_set, min(8, len(en_set)))
        for lang, few in (("zh", zh_few), ("en", en_few)):
            for i, a in enumerate(few):
                for b in few[i + 1 :]:
                    key = (a, b) if a < b else (b, a)
                    pairs[lang][key] = pairs[lang].get(key, 0) + 1
        for a in zh_few[:3]:
            for b in en_few[:3]:
                pairs["mixed"][(a, b)] = pairs["mixed"].get((a, b), 0) + 1

    def share(word: str, lang: str) -> float:
        return round(df[lang].get(word, 0) / total, 4)

    zh_one = _by_band(df["zh"], total)
    en_one = _by_band(df["en"], total)

    def two(lang: str) -> list[tuple[str, str]]:
        chosen = _by_band(pairs[lang], total, BANDS[:4])
        # The slow class on SQLite: the most common word with a less common one.
        if df.get(lang):
            top = max(df[lang], key=lambda w: (df[lang][w], w))
            with_top = {k: v for k, v in pairs[lang].items() if top in k and k not in chosen}
            chosen += _by_band(with_top, total, (0.01, 0.001))
        return chosen

    queries = {
        "zh_one": zh_one,
        "zh_two": [" ".join(p) for p in two("zh")],
        "en_one": en_one,
        "en_two": [" ".join(p) for p in two("en")],
        "mixed": [" ".join(p) for p in _by_band(pairs["mixed"], total, BANDS[:5])],
        "pinyin": [f for w in zh_one[:3] for f in pinyin_forms(w) if f],
    }
    shares = {
        q: (share(q, "zh") if group == "zh_one" else share(q, "en") if group == "en_one" else None)
        for group, qs in queries.items()
        for q in qs
    }
    for word in zh_one[:3]:  # pinyin: at least the notes of the word it was made from
        for form in pinyin_forms(word):
            if form:
                shares[form] = share(word, "zh")
    for group in ("zh_two", "en_two", "mixed"):
        for q in queries[group]:
            a, b = q.split(" ", 1)
            counts = pairs["mixed" if group == "mixed" else group[:2]]
            shares[q] = round(counts.get((a, b), counts.get((b, a), 0)) / total, 4)
    prefixes: list[str] = []
    for word in [*zh_one[:2], *en_one[:2]]:
        prefixes += [word[:1], word[:2]]
        full, initials = pinyin_forms(word)
        prefixes += [p for p in (full[:1], full[:2], full[:3], initials) if p]
    return {
        "queries": {group: qs for group, qs in queries.items() if qs},
        "sample_share": shares,
        "sorts": zh_one[:1] + en_one[:1] + queries["mixed"][:1],
        "suggest": list(dict.fromkeys(prefixes)),
        "texts": texts,
    }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10, help="runs of each query")
    parser.add_argument("--skip-reindex", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="generate and index, no timing")
    parser.add_argument("--generate-only", action="store_true", help="generate the corpus only")
    parser.add_argument(
        "--copy-from", metavar="POSTGRES_URL",
        help="copy the corpus and its index documents from a PostgreSQL bench database",
    )  # fmt: skip
    parser.add_argument(
        "--existing", action="store_true",
        help="time the notes already in the database (e.g. the feeds dataset of bench/"
        "generate.py): no corpus generated, queries drawn from words of a sample of its notes",
    )  # fmt: skip
    parser.add_argument(
        "--recall-sample", type=int, default=20_000,
        help="notes of the recall check (with --existing: also the sample queries come from)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from bridgenote.core.text import fold
    from bridgenote.notes.models import Note
    from bridgenote.search.backends import backend
    from bridgenote.search.models import NoteDocument
    from bridgenote.search.queries import search_notes, search_request
    from bridgenote.search.services import reindex_everything

    report: dict[str, Any] = {"vendor": connection.vendor, "notes": args.notes}
    existing = Note.objects.count()
    if args.copy_from and not existing:
        copy_corpus(args.copy_from)
        existing = Note.objects.count()
    if args.existing and not existing:
        raise SystemExit("--existing: the database holds no notes")
    if not args.existing and existing < args.notes:
        if existing:
            raise SystemExit(
                f"the database holds {existing} notes, fewer than --notes; use a fresh one"
            )
        generate(args.notes, args.seed)
    report["notes"] = Note.objects.count()
    if args.generate_only:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0

    if not args.skip_reindex or not NoteDocument.objects.exists():
        started = time.monotonic()
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 1 or done >= total:
                last[0] = now
                rate = done / max(now - started, 1e-6)
                print(
                    f"\rreindex {stage:<11} {done:>10,}/{total:,} {rate:,.0f}/s",
                    end="",
                    file=sys.stderr,
                )

        cpu_before = _cpu_seconds()
        result = reindex_everything(progress, workers=os.cpu_count() or 1)
        seconds = time.monotonic() - started
        cpu = _cpu_seconds() - cpu_before
        print(file=sys.stderr)
        report["reindex"] = {
            "notes": result["notes"], "seconds": round(seconds, 1),
            "notes_per_second": round(result["notes"] / seconds),
            "projected_1m_minutes": round(1_000_000 / (result["notes"] / seconds) / 60, 1),
            # CPU of this process and its analysis workers: what the work costs whatever else
            # runs on the machine (the database server's own CPU is not included).
            "python_cpu_seconds": round(cpu, 1),
            "notes_per_python_cpu_second": round(result["notes"] / max(cpu, 1e-6)),
        }  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if args.build_only:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0

    queries: dict[str, list[str]] = QUERIES
    sort_queries = ["咖啡", "travel", "咖啡 latte"]
    prefixes = SUGGEST_PREFIXES
    workload: dict[str, Any] = {}
    if args.existing:
        workload = existing_workload(args.recall_sample, args.seed)
        queries, sort_queries, prefixes = (
            workload["queries"], workload["sorts"], workload["suggest"]
        )  # fmt: skip
        report["workload"] = {
            "queries (share of the sample's notes holding the word or pair)": {
                group: {q: workload["sample_share"][q] for q in qs} for group, qs in queries.items()
            },
            "popularity sorts": sort_queries,
            "suggest prefixes": prefixes,
        }
        print(json.dumps(report["workload"], ensure_ascii=False), file=sys.stderr, flush=True)
    client = Client(HTTP_HOST="127.0.0.1")
    for _ in range(20):  # warm up: connections, caches, jieba's dictionary
        client.get("/api/ping")
        client.get("/api/search/", {"q": sort_queries[0]})
        client.get("/api/search/suggest", {"q": prefixes[0]})
    ping = timed(lambda: client.get("/api/ping"), 300)
    ping_p99 = percentile(ping, 0.99)
    report["ping_ms"] = {"p50": round(percentile(ping, 0.5), 2), "p99": round(ping_p99, 2)}

    def figures(samples: list[float]) -> dict[str, float]:
        p99 = percentile(samples, 0.99)
        return {"p50": round(percentile(samples, 0.5), 1), "p99": round(p99, 1),
                "p99_ratio_to_ping": round(p99 / ping_p99, 1), "n": len(samples)}  # fmt: skip

    report["search_ms"] = {}
    all_search: list[float] = []
    for group, group_queries in queries.items():
        samples: list[float] = []
        for q in group_queries:
            for sort in ("relevance", "latest"):
                response = client.get("/api/search/", {"q": q, "sort": sort})
                assert response.status_code == 200, response.content
                samples += timed(
                    lambda q=q, sort=sort: client.get("/api/search/", {"q": q, "sort": sort}),
                    args.repeat,
                )
        report["search_ms"][group] = figures(samples)
        all_search += samples
    for sort in ("likes", "comments", "collects"):
        samples = []
        for q in sort_queries:
            samples += timed(
                lambda q=q, sort=sort: client.get("/api/search/", {"q": q, "sort": sort}),
                args.repeat,
            )
        report["search_ms"][f"sort_{sort}"] = figures(samples)
    report["search_ms"]["all_relevance_latest"] = figures(all_search)

    # The engine alone (queries.search_notes), without HTTP, rate limiting and the query log
    # (whose commits dominate the API figures on a busy disk).
    engine: list[float] = []
    for q in [q for group in queries.values() for q in group]:
        for sort in ("relevance", "latest"):
            found = search_request(q, sort=sort)
            engine += timed(lambda found=found: search_notes(found, viewer=None), args.repeat)
    report["engine_ms"] = figures(engine)

    suggest: list[float] = []
    for prefix in prefixes:
        suggest += timed(
            lambda p=prefix: client.get("/api/search/suggest", {"q": p}), args.repeat * 3
        )
    report["suggest_ms"] = figures(suggest)

    print(json.dumps(report, ensure_ascii=False), file=sys.stderr, flush=True)
    # Recall of two-character Chinese words: every note of a random sample that contains the
    # word (brute-force substring scan over the folded fields) must be among the matches.
    texts: dict[int, list[str]] = {}
    if args.existing:
        texts = {
            nid: [fold(t), fold(b), fold(p)] for nid, (t, b, p, _) in workload["texts"].items()
        }
        # Every pair of adjacent Han characters of the sample (words and pairs across word
        # joins): the 30 most common and 30 others at random.
        pair_counts: dict[str, int] = {}
        for fields in texts.values():
            for run in {r for f in fields for r in HAN_RUN.findall(f)}:
                for pair in {run[i : i + 2] for i in range(len(run) - 1)}:
                    pair_counts[pair] = pair_counts.get(pair, 0) + 1
        ranked = sorted(pair_counts, key=lambda w: (-pair_counts[w], w))
        rest = ranked[30:]
        words = ranked[:30] + random.Random(args.seed + 1).sample(rest, min(30, len(rest)))
    else:
        rng = random.Random(args.seed + 1)
        ids = list(Note.objects.values_list("id", flat=True))
        sample_ids = rng.sample(ids, min(args.recall_sample, len(ids)))
        for nid, title, body, place in (
            Note.objects.filter(id__in=sample_ids)
            .values_list("id", "title", "body", "place_name")
            .iterator(5000)
        ):
            texts[nid] = [fold(title), fold(body), fold(place)]
        words = [w for w in ZH if len(w) == 2]
        # Also pairs of characters that are not dictionary words but occur across word joins.
        words += ["啡甜", "天我", "的咖", "锅成"]
    recall: dict[str, Any] = {"words": len(words), "sample_notes": len(texts), "missed": {}}
    expected_total = found_total = 0
    for word in words:
        expected = {nid for nid, fields in texts.items() if any(word in f for f in fields)}
        if not expected:
            continue
        search = search_request(word)
        # Every note the index matches, compared with the scan.
        matched = set(
            backend().page(("1 = 1", []), search.query, order="latest", offset=0,
                           limit=10**9, window=None)
        )  # fmt: skip
        expected_total += len(expected)
        found_total += len(expected & matched)
        if expected - matched:
            recall["missed"][word] = len(expected - matched)
    recall["expected"] = expected_total
    recall["found"] = found_total
    recall["recall"] = round(found_total / expected_total, 4) if expected_total else None
    report["recall_2char_zh"] = recall
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
