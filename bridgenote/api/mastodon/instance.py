"""Instance information: what this server is and what it can do, for clients to adapt to."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils import timezone

from bridgenote import __version__
from bridgenote.accounts.models import User
from bridgenote.api.mastodon import translation
from bridgenote.api.mastodon.http import respond
from bridgenote.api.mastodon.serializers import absolute
from bridgenote.notes.models import Note

# Mastodon API level that clients should assume, and Bridgenote's own version beside it.
MASTODON_COMPATIBLE = "4.3.0"
VERSION = f"{MASTODON_COMPATIBLE} (compatible; Bridgenote {__version__})"
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"]
VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"]


def _domain() -> str:
    return urlsplit(settings.SITE_URL).netloc


def _configuration() -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            # A status is a note's title line plus its body.
            "max_characters": settings.NOTE_TITLE_MAX + 1 + settings.NOTE_BODY_MAX,
            "max_media_attachments": settings.NOTE_IMAGES_MAX,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": IMAGE_TYPES + VIDEO_TYPES,
            "image_size_limit": settings.UPLOAD_IMAGE_MAX_BYTES,
            "image_matrix_limit": 50_000_000,
            "video_size_limit": settings.UPLOAD_VIDEO_MAX_BYTES,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 1920 * 1080,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "translation": {"enabled": translation.enabled()},
    }


def _stats() -> dict[str, int]:
    now = timezone.now()
    active = User.objects.filter(is_active=True)
    return {
        "user_count": active.count(),
        "active_month": active.filter(last_login__gte=now - dt.timedelta(days=30)).count(),
        "active_halfyear": active.filter(last_login__gte=now - dt.timedelta(days=182)).count(),
        "status_count": Note.objects.filter(status=Note.Status.PUBLISHED).count(),
        "domain_count": 1,
    }


def instance_v1(request: HttpRequest) -> HttpResponse:
    return respond(
        {
            "uri": _domain(),
            "title": settings.SITE_NAME,
            "short_description": "A bilingual (中文 / English) community of lifestyle notes.",
            "description": "A bilingual (中文 / English) community of lifestyle notes.",
            "email": "",
            "version": VERSION,
            "urls": {},
            "stats": {k: v for k, v in _stats().items() if not k.startswith("active")},
            "thumbnail": absolute(static("web/header.png")),
            "languages": ["zh", "en"],
            "registrations": True,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": _configuration(),
            "contact_account": None,
            "rules": [],
        }
    )


def instance_v2(request: HttpRequest) -> HttpResponse:
    stats = _stats()
    return respond(
        {
            "domain": _domain(),
            "title": settings.SITE_NAME,
            "version": VERSION,
            "source_url": settings.SOURCE_URL or f"{settings.SITE_URL}/about/",
            "description": "A bilingual (中文 / English) community of lifestyle notes.",
            "usage": {"users": {"active_month": stats["active_month"]}},
            "thumbnail": {"url": absolute(static("web/header.png"))},
            "icon": [],
            "languages": ["zh", "en"],
            "configuration": {"urls": {}, **_configuration()},
            "registrations": {"enabled": True, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 2},
            "contact": {"email": "", "account": None},
            "rules": [],
        }
    )


def rules(request: HttpRequest) -> HttpResponse:
    return respond([])


def custom_emojis(request: HttpRequest) -> HttpResponse:
    return respond([])


def nodeinfo_links(request: HttpRequest) -> HttpResponse:
    return respond(
        {
            "links": [
                {
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                    "href": f"{settings.SITE_URL}/nodeinfo/2.0",
                }
            ]
        }
    )


def nodeinfo(request: HttpRequest) -> HttpResponse:
    stats = _stats()
    return respond(
        {
            "version": "2.0",
            "software": {"name": "bridgenote", "version": __version__},
            "protocols": [],
            "services": {"inbound": [], "outbound": []},
            "openRegistrations": True,
            "usage": {
                "users": {
                    "total": stats["user_count"],
                    "activeMonth": stats["active_month"],
                    "activeHalfyear": stats["active_halfyear"],
                },
                "localPosts": stats["status_count"],
            },
            "metadata": {"nodeName": settings.SITE_NAME},
        }
    )
