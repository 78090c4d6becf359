"""Demo community: bilingual people from the US and China (``bridgenote demo``)."""

from __future__ import annotations

import hashlib
import io
import math
from typing import Any

from PIL import Image, ImageDraw

from bridgenote.accounts.avatars import process_avatar, store_avatar
from bridgenote.accounts.models import Profile, User

# handle, phone, display name, bio, spoken, learning, territory, colours (top, bottom)
PEOPLE: list[dict[str, Any]] = [
    {
        "handle": "ava", "phone": "+12025550143", "display_name": "Ava 🌸",
        "bio": "First week here! Posting selfies and learning Chinese one caption at a time 📸\n"
               "我在学中文，请多指教！",
        "spoken": ["en"], "learning": ["zh"], "territory": "US", "ui": "en",
        "colours": ("#ffb3c7", "#ff5c8a"),
    },
    {
        "handle": "liwei", "phone": "+8613800138000", "display_name": "李伟",
        "bio": "成都的大学生 🐼 经常发英语作业求助，也想认识美国朋友。\n"
               "Student in Chengdu. Help me with my English homework!",
        "spoken": ["zh"], "learning": ["en"], "territory": "CN-51", "ui": "zh-hans",
        "colours": ("#9be7c4", "#2e9e6b"),
    },
    {
        "handle": "mia_bakes", "phone": "+13125550187", "display_name": "Mia Johnson",
        "bio": "Home baker in Chicago 🍞 Trading sourdough tips for 包子 recipes.",
        "spoken": ["en"], "learning": ["zh"], "territory": "US", "ui": "en",
        "colours": ("#ffe0a3", "#f2a33a"),
    },
    {
        "handle": "jake_tx", "phone": "+15125550164", "display_name": "Jake 🤠",
        "bio": "Austin, TX. Came over from TikTok, stayed for the food pics. 你好 y'all!",
        "spoken": ["en"], "learning": ["zh"], "territory": "US", "ui": "en",
        "colours": ("#a8d8ff", "#3a7bd5"),
    },
    {
        "handle": "sophie_nyc", "phone": "+16465550122", "display_name": "Sophie 李",
        "bio": "Chinese-American in NYC 🗽 I translate slang both ways. 中英双语，欢迎提问。",
        "spoken": ["en", "zh"], "learning": ["ko"], "territory": "US", "ui": "en",
        "colours": ("#d7c4ff", "#7b5cd6"),
    },
    {
        "handle": "xiaoyu", "phone": "+8613912345678", "display_name": "陈晓雨",
        "bio": "上海 | 穿搭和咖啡 ☕️ Outfit of the day, every day. 日本語も勉強中。",
        "spoken": ["zh", "en"], "learning": ["ja"], "territory": "CN-31", "ui": "zh-hans",
        "colours": ("#ffd1dc", "#e05780"),
    },
    {
        "handle": "wangfang", "phone": "+8613711112222", "display_name": "王芳",
        "bio": "广州人，爱做粤菜 🥟 想学英语，和外国朋友聊美食。",
        "spoken": ["zh"], "learning": ["en"], "territory": "CN-44", "ui": "zh-hans",
        "colours": ("#ffcf99", "#e0662f"),
    },
    {
        "handle": "zhanghao", "phone": "+8618601234567", "display_name": "张浩 Hao",
        "bio": "北京的程序员 💻 Software engineer in Beijing; ask me about tech salaries in China.",
        "spoken": ["zh", "en"], "learning": [], "territory": "CN-11", "ui": "zh-hans",
        "colours": ("#b5f0f0", "#2a9d9d"),
    },
    {
        "handle": "linyue", "phone": "+8615857123456", "display_name": "林悦 🍵",
        "bio": "杭州，西湖边喝龙井。Tea, lakes and slow mornings. 正在学英语和日语。",
        "spoken": ["zh"], "learning": ["en", "ja"], "territory": "CN-33", "ui": "zh-hans",
        "colours": ("#d4f5c4", "#5a9e3a"),
    },
]  # fmt: skip


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def make_avatar(handle: str, colours: tuple[str, str], size: int = 256) -> bytes:
    """A deterministic abstract avatar: a vertical gradient with a few soft circles."""
    top, bottom = _hex(colours[0]), _hex(colours[1])
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / (size - 1)
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    seed = hashlib.sha256(handle.encode()).digest()
    for i in range(4):
        angle = seed[i] / 255 * 2 * math.pi
        radius = size * (0.12 + seed[i + 4] / 255 * 0.2)
        cx = size / 2 + math.cos(angle) * size * 0.25
        cy = size / 2 + math.sin(angle) * size * 0.25
        shade = 255 if i % 2 else 230
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius],
            outline=(shade, shade, shade),
            width=max(2, size // 40),
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def populate(community: dict[str, Any]) -> None:
    """Create (or find) the demo people; community["users"][handle] is each User.

    Running it again changes nothing: people are found by handle, avatars are only made for
    profiles without one.
    """
    users = community.setdefault("users", {})
    for person in PEOPLE:
        user = User.objects.filter(handle__iexact=person["handle"]).first()
        if user is None:
            user = User.objects.create_user(
                handle=person["handle"], phone=person["phone"], phone_verified=True
            )
        profile, _created = Profile.objects.get_or_create(
            user=user,
            defaults={
                "display_name": person["display_name"],
                "bio": person["bio"],
                "languages_spoken": person["spoken"],
                "languages_learning": person["learning"],
                "ip_territory": person["territory"],
                "ui_language": person["ui"],
            },
        )
        if not profile.avatar:
            webp = process_avatar(io.BytesIO(make_avatar(user.handle, person["colours"])))
            profile.avatar = store_avatar(webp)
            profile.save(update_fields=["avatar"])
        users[user.handle] = user
