"""Demo notes (``bridgenote demo``): bilingual notes by the demo people, with photos drawn
here with Pillow and short clips made with PyAV, all run through the real media pipeline."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from bridgenote.accounts.models import Profile, User
from bridgenote.media.models import Attachment
from bridgenote.media.services import attachment_process, attachment_upload
from bridgenote.notes.models import Note
from bridgenote.notes.services import note_create

_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)

# author, title, body, pictures [(width, height, colour top, colour bottom, caption)] or a
# video (seconds, caption), visibility; "extra": more note_create arguments (a second-language
# version, a language-help request).
NOTES: list[dict[str, Any]] = [
    {"author": "ava", "title": "First day here! 第一天", "visibility": "public",
     "body": "Hi everyone, I'm Ava from the US 🇺🇸 大家好！我是Ava，请多指教～\n"
             "Trying my first Chinese caption, be nice lol #selfie #自拍# #新人报到#",
     "pictures": [(1080, 1440, "#ffb3c7", "#ff5c8a", "Hi! 你好"),
                  (1080, 1080, "#ffd6a5", "#ff8fab", "Day 1"),
                  (1440, 1080, "#caffbf", "#9bf6ff", "New here")]},
    {"author": "liwei", "title": "求助英语作业 Help!", "visibility": "public",
     "body": "这篇英语作文的语法对吗？Is \"I very like coffee\" correct? 谢谢大家 "
             "@ava #英语学习# #homework",
     "extra": {"help_language": "en"},
     "pictures": [(1080, 1440, "#fdffb6", "#ffffff", "I very like coffee?")]},
    {"author": "mia_bakes", "title": "Sourdough vs 包子", "visibility": "public",
     "body": "Made my first 包子 today following a recipe from @wangfang 🥟 "
             "Trading you my sourdough starter tips! #baking #美食# #咖啡",
     "pictures": [(1080, 1350, "#ffe0a3", "#f2a33a", "包子 x sourdough"),
                  (1080, 1350, "#fff1d6", "#e0a050", "Step 2")]},
    {"author": "xiaoyu", "title": "今日穿搭 OOTD", "visibility": "public",
     "body": "上海降温了，今天的穿搭 + 一杯拿铁 ☕️ Outfit of the day in Shanghai! "
             "#ootd #穿搭# #咖啡",
     "pictures": [(1080, 1440, "#ffd1dc", "#e05780", "OOTD"),
                  (1080, 1440, "#f1e3d3", "#a47148", "拿铁"),
                  (1080, 1080, "#e0c3fc", "#8ec5fc", "上海")]},
    {"author": "linyue", "title": "西湖边的早晨", "visibility": "public",
     "body": "杭州的早晨，西湖边喝龙井 🍵 一个人的慢生活。#旅行vlog #杭州# #slowliving",
     "extra": {"language": "zh", "alt_language": "en", "alt_title": "Morning by West Lake",
               "alt_body": "Hangzhou mornings: Longjing tea by West Lake 🍵 slow living, "
                           "on my own."},
     "video": (3, "西湖 West Lake")},
    {"author": "jake_tx", "title": "Texas BBQ", "visibility": "public",
     "body": "@liwei asked what Texans eat, so here is a whole brisket 🤠 Have you ever "
             "tried it? Come visit Austin some day! #food #travel #bbq",
     "video": (2, "Austin BBQ")},
    {"author": "zhanghao", "title": "程序员工资 Q&A", "visibility": "public",
     "body": "Lots of you asked about tech salaries in China. 北京的程序员工资大概是这样的，"
             "欢迎提问 #程序员# #careers",
     "pictures": [(1440, 1080, "#b5f0f0", "#2a9d9d", "Salary Q&A")]},
    {"author": "sophie_nyc", "title": "Slang 101 俚语", "visibility": "followers",
     "body": "\"No cap\" = 真的，不骗你. \"绝绝子\" = absolutely amazing. More tomorrow! "
             "#slang #中英双语#",
     "pictures": [(1080, 1440, "#d7c4ff", "#7b5cd6", "No cap = 真的")]},
    {"author": "wangfang", "title": "广式早茶", "visibility": "public",
     "body": "周末的早茶：虾饺、烧卖、叉烧包 🥟 Cantonese dim sum, come to Guangzhou! "
             "#美食# #dimsum",
     "pictures": [(1080, 1080, "#ffcf99", "#e0662f", "虾饺"),
                  (1080, 1350, "#ffe5b4", "#d2691e", "早茶")]},
]  # fmt: skip


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def picture(width: int, height: int, top: str, bottom: str, caption: str) -> bytes:
    """A JPEG with a vertical gradient, a few circles and a caption."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    a, b = _rgb(top), _rgb(bottom)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(p + (q - p) * t) for p, q in zip(a, b, strict=True)),
        )
    for i in range(5):
        r = width // (6 + i)
        cx = int(width * (0.2 + 0.15 * i))
        cy = int(height * (0.3 + 0.1 * math.sin(i)))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(255, 255, 255), width=6)
    draw.text(
        (width // 2, int(height * 0.75)),
        caption,
        fill=(255, 255, 255),
        font=_font(width // 10),
        anchor="mm",
        stroke_width=4,
        stroke_fill=(60, 60, 60),
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def clip(seconds: int, caption: str, size: tuple[int, int] = (360, 640), fps: int = 12) -> bytes:
    """A short H.264 MP4 of a moving sun over a caption, made with PyAV."""
    import av

    buffer = io.BytesIO()
    width, height = size
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(seconds * fps):
            frame_image = Image.new("RGB", size, (40, 90, 140))
            draw = ImageDraw.Draw(frame_image)
            draw.rectangle([0, height * 2 // 3, width, height], fill=(30, 120, 90))
            x = int(width * index / (seconds * fps))
            draw.ellipse([x - 30, 100, x + 30, 160], fill=(255, 210, 80))
            draw.text(
                (width // 2, height * 5 // 6), caption, fill=(255, 255, 255), font=_font(28),
                anchor="mm",
            )  # fmt: skip
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _processed(owner: User, name: str, data: bytes, content_type: str) -> Attachment:
    """Upload and process at once (the demo does not wait for a worker)."""
    attachment = attachment_upload(
        owner=owner, file=SimpleUploadedFile(name, data, content_type=content_type)
    )
    attachment_process(attachment_id=attachment.id)
    attachment.refresh_from_db()
    return attachment


def _user(community: dict[str, Any], handle: str) -> User:
    users = community.setdefault("users", {})
    if handle not in users:
        # Without the accounts demo (which makes the real people), make a plain account.
        user = User.objects.filter(handle__iexact=handle).first()
        if user is None:
            user = User.objects.create_user(handle)
            Profile.objects.create(user=user, display_name=handle)
        users[handle] = user
    return users[handle]


def populate(community: dict[str, Any]) -> None:
    """Add the demo notes; community["notes"] lists them. Running it again adds nothing."""
    made: list[Note] = community.setdefault("notes", [])
    for spec in NOTES:
        author = _user(community, spec["author"])
        existing = Note.objects.filter(author=author, title=spec["title"]).first()
        if existing is not None:
            made.append(existing)
            continue
        for handle in ("ava", "liwei", "wangfang"):
            if f"@{handle}" in spec["body"]:
                _user(community, handle)
        if "video" in spec:
            seconds, caption = spec["video"]
            attachments = [_processed(author, "clip.mp4", clip(seconds, caption), "video/mp4")]
        else:
            attachments = [
                _processed(author, f"photo{i}.jpg", picture(*p), "image/jpeg")
                for i, p in enumerate(spec["pictures"])
            ]
        made.append(
            note_create(
                author=author,
                title=spec["title"],
                body=spec["body"],
                attachment_ids=[a.id for a in attachments],
                visibility=spec["visibility"],
                is_original=True,
                **spec.get("extra", {}),
            )
        )
