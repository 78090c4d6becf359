"""The one settings module. Every knob is a ``BRIDGENOTE_*`` environment variable.

With nothing set, Bridgenote runs embedded: SQLite in WAL mode, media and the job queue on
local disk and in the database. Scaling out is environment only:
``BRIDGENOTE_DATABASE_URL=postgres://...``, ``BRIDGENOTE_CACHE_URL=redis://...``,
``BRIDGENOTE_STORAGE_URL=s3://bucket?endpoint=...``. See docs/operations.md.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url

from bridgenote.conf import env
from bridgenote.conf.env import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# --- core -----------------------------------------------------------------------------------
DEBUG = env.boolean("DEBUG", False)
DATA_DIR = Path(env.string("DATA_DIR", "data")).resolve()
SITE_NAME = env.string("SITE_NAME", "Bridgenote")
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where users of this instance get its source code (the AGPL asks for it); the about page
# names it too.
SOURCE_URL = env.string("SOURCE_URL", "")


def _secret_key() -> str:
    configured = env.raw("SECRET_KEY")
    if configured:
        return configured
    if not DEBUG:
        raise ConfigError(
            "BRIDGENOTE_SECRET_KEY is not set. Set it (or BRIDGENOTE_SECRET_KEY_FILE) to a long "
            "random string; a generated key is only used with BRIDGENOTE_DEBUG=true."
        )
    # Debug runs keep one generated key in the data directory so log-ins survive restarts.
    key_file = DATA_DIR / ".secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS", [])
# Proxies (IP addresses or CIDR networks) whose X-Forwarded-For header is believed.
TRUSTED_PROXIES = env.strings("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_prometheus",
    "phonenumber_field",
    "oauth2_provider",
    "corsheaders",
    "bridgenote.core",
    "bridgenote.accounts",
    "bridgenote.media",
    "bridgenote.notes",
    "bridgenote.engage",
    "bridgenote.notify",
    "bridgenote.feeds",
    "bridgenote.search",
    "bridgenote.translate",
    "bridgenote.moderation",
    "bridgenote.api",
    "bridgenote.web",
    # After the bridgenote apps, so that accounts' templates restyle allauth's pages.
    "allauth",
    "allauth.account",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bridgenote.core.middleware.ClientIPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "bridgenote.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "bridgenote.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "bridgenote.urls"
WSGI_APPLICATION = "bridgenote.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bridgenote.web.context_processors.shell",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env.raw("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"BRIDGENOTE_DATABASE_URL cannot be parsed: {exc}") from None
    if _db.get("ENGINE") == "django.db.backends.postgresql":
        # Django's backend with a health check that needs no round trip (core/postgres/base.py).
        _db["ENGINE"] = "bridgenote.core.postgres"
        if env.boolean("DATABASE_PREPARE", True):
            # Parameters bound by the server, and a statement run 5 times on a connection is
            # prepared there: PostgreSQL parses and plans it once, not on every request
            # (docs/operations.md). Off for a pooler in transaction mode without support for
            # prepared statements (PgBouncer before 1.22, max_prepared_statements = 0, or a
            # libpq older than 17).
            _db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "bridgenote.sqlite3"),
        # Keep each thread's connection: opening one runs the PRAGMAs below every time.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # One writer at a time: take the write lock at BEGIN so that concurrent writers
            # queue on the busy timeout instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-32000;"
                "PRAGMA mmap_size=268435456;"
            ),
        },
    }
DATABASES = {"default": _db}

# --- cache ----------------------------------------------------------------------------------
CACHE_URL = env.raw("CACHE_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("BRIDGENOTE_CACHE_URL must be a redis:// or rediss:// URL")
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env.string("CACHE_PREFIX", "bn"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    # The database cache is shared by the web server and the worker processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bridgenote_cache",
        }
    }

# --- jobs -----------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `bridgenote serve` starts one job worker in the same command unless this is false.
EMBEDDED_WORKER = env.boolean("EMBEDDED_WORKER", True)
# The embedded worker runs at this niceness (0-19), so fan-out and other jobs take the CPU the
# web workers leave rather than competing with page requests (docs/operations.md).
EMBEDDED_WORKER_NICE = env.integer("EMBEDDED_WORKER_NICE", 10, minimum=0, maximum=19)
# Web processes freeze their long-lived objects out of garbage collection (bridgenote/wsgi.py).
GC_FREEZE = env.boolean("GC_FREEZE", True)
# Periodic jobs (core/scheduler.py): each `bridgenote worker` runs the scheduler; a row per job in
# the database makes sure one worker enqueues each run. Interval in minutes, 0 turns a job off.
SCHEDULER_ENABLED = env.boolean("SCHEDULER", True)
SCHEDULER_TICK_SECONDS = env.integer("SCHEDULER_TICK_SECONDS", 30, minimum=1, maximum=3600)
PERIODIC_JOBS = {
    name: {
        "task": task,
        "minutes": env.integer(f"PERIODIC_{name.upper()}_MINUTES", minutes, minimum=0),
    }
    for name, task, minutes in (
        ("media_sweep", "bridgenote.media.tasks.attachments_sweep", 60),
        ("media_retry", "bridgenote.media.tasks.attachments_retry", 1),
        ("notes_media_sweep", "bridgenote.notes.tasks.notes_media_sweep", 15),
        ("trim_inboxes", "bridgenote.feeds.tasks.trim_inboxes", 24 * 60),
        ("translate_cleanup", "bridgenote.translate.tasks.translation_cleanup", 24 * 60),
        ("task_results_prune", "bridgenote.core.tasks.task_results_prune", 24 * 60),
        ("rate_counts_prune", "bridgenote.core.tasks.rate_counts_prune", 60),
    )
}
# Finished job results are deleted after this many days by the task_results_prune job.
TASK_RESULTS_KEEP_DAYS = env.integer("TASK_RESULTS_KEEP_DAYS", 14, minimum=1)

# --- media and static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = env.string("MEDIA_URL", "/media/")
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
SERVE_MEDIA = env.boolean("SERVE_MEDIA", True)
for _dir in (STATIC_ROOT, MEDIA_ROOT):
    _dir.mkdir(parents=True, exist_ok=True)


def _s3_client_config() -> object:
    """botocore's own retries for every S3 request: "standard" mode retries connection errors,
    timeouts, throttling (429, SlowDown) and 5xx answers with exponential backoff and jitter,
    up to ``S3_MAX_ATTEMPTS`` tries in all. A photo job that still fails on a transient error
    is retried later by the job itself (see MEDIA_STORAGE_RETRY_SECONDS, docs/media.md)."""
    from botocore.config import Config

    return Config(
        retries={
            "mode": "standard",
            "total_max_attempts": env.integer("S3_MAX_ATTEMPTS", 4, minimum=1),
        },
        connect_timeout=env.integer("S3_CONNECT_TIMEOUT", 5, minimum=1),
        read_timeout=env.integer("S3_READ_TIMEOUT", 30, minimum=1),
    )


def _storages(url: str | None) -> dict[str, dict[str, object]]:
    staticfiles: dict[str, object] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    if not url:
        filesystem: dict[str, object] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
        }
        return {"default": filesystem, "staticfiles": staticfiles}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError("BRIDGENOTE_STORAGE_URL must look like s3://bucket?endpoint=https://...")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options: dict[str, object] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "endpoint_url": query.get("endpoint"),
        "region_name": query.get("region"),
        "access_key": env.raw("S3_ACCESS_KEY"),
        "secret_key": env.raw("S3_SECRET_KEY"),
        "custom_domain": query.get("custom_domain"),
        "querystring_auth": query.get("signed", "false") == "true",
        "file_overwrite": False,
        "default_acl": None,
        "client_config": _s3_client_config(),
    }
    s3: dict[str, object] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    return {"default": s3, "staticfiles": staticfiles}


STORAGES = _storages(env.raw("STORAGE_URL"))

# --- accounts, authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Handles are unique case-insensitively by a database constraint (Lower("handle")), which
# this check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Django's database sessions, loaded with a precompiled query (accounts/sessions.py).
SESSION_ENGINE = "bridgenote.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Who may sign up: "open" (anyone), "invite" (with a code from `bridgenote invite-create`),
# "closed" (nobody; a waitlist form instead). Existing accounts always log in.
REGISTRATIONS = env.choice("REGISTRATIONS", "open", {"open", "invite", "closed"})
# Waitlist sign-ups per client IP and hour.
WAITLIST_PER_IP_PER_HOUR = env.integer("WAITLIST_PER_IP_PER_HOUR", 5, minimum=1)

# SMS: "console" logs the code and shows it on the local-only dev outbox page.
SMS_BACKEND = env.choice("SMS_BACKEND", "console", {"console", "http"})
SMS_HTTP_URL = env.string("SMS_HTTP_URL", "")
SMS_HTTP_ACCOUNT = env.string("SMS_HTTP_ACCOUNT", "")
SMS_HTTP_TOKEN = env.string("SMS_HTTP_TOKEN", "")
SMS_HTTP_FROM = env.string("SMS_HTTP_FROM", "")
if SMS_BACKEND == "http" and not (SMS_HTTP_URL and SMS_HTTP_FROM):
    raise ConfigError("BRIDGENOTE_SMS_BACKEND=http needs BRIDGENOTE_SMS_HTTP_URL and _FROM")

SMS_CODE_TTL_SECONDS = 600
SMS_CODE_MAX_TRIES = 5
SMS_RESEND_SECONDS = env.integer("SMS_RESEND_SECONDS", 60, minimum=10)
SMS_LIMIT_PER_NUMBER_PER_DAY = env.integer("SMS_LIMIT_PER_NUMBER_PER_DAY", 10, minimum=1)
SMS_LIMIT_PER_IP_PER_HOUR = env.integer("SMS_LIMIT_PER_IP_PER_HOUR", 20, minimum=1)
# Against SMS pumping: a burst of codes to one country's premium ranges.
SMS_LIMIT_PER_DIALLING_CODE_PER_DAY = env.integer(
    "SMS_LIMIT_PER_DIALLING_CODE_PER_DAY", 5000, minimum=1
)
# Code and password log-in attempts per client IP.
LOGIN_ATTEMPTS_PER_IP = env.integer("LOGIN_ATTEMPTS_PER_IP", 30, minimum=1)
LOGIN_ATTEMPT_WINDOW_SECONDS = 15 * 60

# E-mail sign-up (django-allauth) is the alternative to phone numbers.
ACCOUNT_ADAPTER = "bridgenote.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "handle"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.choice(
    "EMAIL_VERIFICATION", "optional", {"none", "optional", "mandatory"}
)
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_FORMS = {"signup": "bridgenote.accounts.forms.EmailSignupForm"}
EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Bridgenote <noreply@localhost>")

# IP territory databases (paths are configurable so operators can drop in fresher files).
IP2REGION_XDB_PATH = env.string("IP2REGION_XDB_PATH", "")
GEOIP2FAST_DAT_PATH = env.string("GEOIP2FAST_DAT_PATH", "")

# --- Mastodon client API and OAuth 2 ---------------------------------------------------------
MASTODON_SCOPES = {
    "read": "read all your account's data",
    "write": "modify all your account's data",
    "follow": "manage your follows, blocks and mutes",
    "push": "receive push notifications",
    "profile": "read only your basic profile",
    **{
        f"{kind}:{what}": f"{kind} {what}"
        for kind, things in {
            "read": "accounts blocks bookmarks favourites filters follows lists mutes "
            "notifications search statuses",
            "write": "accounts blocks bookmarks conversations favourites filters follows lists "
            "media mutes notifications reports statuses",
        }.items()
        for what in things.split()
    },
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "api.OAuthApplication"
OAUTH2_PROVIDER = {
    "SCOPES": MASTODON_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    # Mastodon clients do not refresh tokens; a token lives until it is revoked or this passes.
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.integer("OAUTH_TOKEN_DAYS", 365, minimum=1) * 86400,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "ROTATE_REFRESH_TOKEN": True,
    # PKCE (S256 only) is honoured whenever a client sends it, and Mastodon's confidential
    # clients that do not are still served, as Mastodon does.
    "PKCE_REQUIRED": False,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # Tokens are stored only as SHA-256 checksums, never in plain text.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
}
# Browser clients (Elk, Phanpy) call the API from other origins with bearer tokens, never cookies.
CORS_URLS_REGEX = r"^/(api/v\d+/|oauth/token|oauth/revoke|\.well-known/|nodeinfo/).*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["Link", "X-RateLimit-Remaining", "X-RateLimit-Reset"]

# --- internationalisation -------------------------------------------------------------------
# Each language is named in itself, as language switchers do.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_CODE = env.choice("DEFAULT_LANGUAGE", "en", {"en", "zh-hans"})
LANGUAGE_COOKIE_NAME = "bn_lang"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- notes ----------------------------------------------------------------------------------
NOTE_TITLE_MAX = env.integer("NOTE_TITLE_MAX", 20, minimum=1, maximum=200)
NOTE_BODY_MAX = env.integer("NOTE_BODY_MAX", 1000, minimum=1, maximum=20000)
NOTE_IMAGES_MAX = 18
NOTE_TOPICS_MAX = env.integer("NOTE_TOPICS_MAX", 10, minimum=1, maximum=50)
# New notes and drafts one account may create per hour (a flood guard, not a quota).
NOTES_PER_HOUR = env.integer("NOTES_PER_HOUR", 60, minimum=1)
# Notes per page of a profile grid, a topic page and the notes API (cursor pagination).
NOTE_PAGE_SIZE = env.integer("NOTE_PAGE_SIZE", 20, minimum=1, maximum=100)
UPLOAD_IMAGE_MAX_BYTES = env.integer("UPLOAD_IMAGE_MAX_MB", 30, minimum=1) * 1024 * 1024
UPLOAD_VIDEO_MAX_BYTES = env.integer("UPLOAD_VIDEO_MAX_MB", 500, minimum=1) * 1024 * 1024
VIDEO_MAX_SECONDS = env.integer("VIDEO_MAX_SECONDS", 15 * 60, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- media ---------------------------------------------------------------------------------
# Photos over this many pixels are rejected as decompression bombs (an iPhone 48 MP HEIC fits).
IMAGE_MAX_PIXELS = env.integer("IMAGE_MAX_PIXELS", 60_000_000, minimum=1_000_000)
# Widths of the WebP renditions: the grid card and the detail view (never upscaled).
MEDIA_CARD_WIDTH = env.integer("MEDIA_CARD_WIDTH", 540, minimum=64, maximum=4096)
MEDIA_LARGE_WIDTH = env.integer("MEDIA_LARGE_WIDTH", 1440, minimum=64, maximum=8192)
MEDIA_WEBP_QUALITY = env.integer("MEDIA_WEBP_QUALITY", 80, minimum=1, maximum=100)
# libwebp effort 0 (fastest) to 6 (smallest files); see docs/media.md for the trade-off.
MEDIA_WEBP_METHOD = env.integer("MEDIA_WEBP_METHOD", 0, minimum=0, maximum=6)
# An AVIF copy of each photo's card (grid) rendition, served to browsers that take it (about a
# third smaller than the WebP; costs about 15 % more CPU per photo, so it is off by default).
MEDIA_AVIF = env.boolean("MEDIA_AVIF", False)
MEDIA_AVIF_QUALITY = env.integer("MEDIA_AVIF_QUALITY", 60, minimum=1, maximum=100)
MEDIA_AVIF_SPEED = env.integer("MEDIA_AVIF_SPEED", 10, minimum=0, maximum=10)
# Videos are transcoded to H.264/AAC MP4 whose shorter side is at most this many pixels.
VIDEO_MAX_SHORT_SIDE = env.integer("VIDEO_MAX_SHORT_SIDE", 1080, minimum=144, maximum=2160)
VIDEO_X264_PRESET = env.choice(
    "VIDEO_X264_PRESET",
    "veryfast",
    {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"},
)
VIDEO_X264_CRF = env.integer("VIDEO_X264_CRF", 23, minimum=0, maximum=51)
# Uploads never attached to a note are deleted (row and files) after this many hours.
MEDIA_ORPHAN_HOURS = env.integer("MEDIA_ORPHAN_HOURS", 24, minimum=1)
# A row left "processing" longer than this (a worker died) is handed back to the queue.
MEDIA_PROCESSING_TIMEOUT_MINUTES = env.integer("MEDIA_PROCESSING_TIMEOUT_MINUTES", 30, minimum=1)
MEDIA_PROCESSING_MAX_ATTEMPTS = env.integer("MEDIA_PROCESSING_MAX_ATTEMPTS", 3, minimum=1)
# A job that meets a transient storage error (S3 down, throttled, timing out, after botocore's
# own retries) hands its row back and runs again after this many seconds, doubled each time,
# within MEDIA_PROCESSING_MAX_ATTEMPTS tries; then the row fails with "storage_unavailable".
MEDIA_STORAGE_RETRY_SECONDS = env.integer("MEDIA_STORAGE_RETRY_SECONDS", 30, minimum=1)
# Uploads per user per hour.
MEDIA_UPLOADS_PER_HOUR = env.integer("MEDIA_UPLOADS_PER_HOUR", 300, minimum=1)

# --- translate ------------------------------------------------------------------------------
# Machine translation provider: "dictionary" (offline default: pinyin and CC-CEDICT glosses,
# no machine translation), "openai" (any OpenAI-compatible chat-completions server: vLLM,
# Ollama, llama.cpp server, hosted APIs), "libretranslate" or "deepl". See docs/translation.md.
TRANSLATE_PROVIDER = env.choice(
    "TRANSLATE_PROVIDER", "dictionary", {"dictionary", "openai", "libretranslate", "deepl"}
)
# Base URL of the provider (openai: ".../v1"; libretranslate: the server root; deepl: defaults
# to api-free.deepl.com for ":fx" keys, api.deepl.com otherwise).
TRANSLATE_URL = env.string("TRANSLATE_URL", "").rstrip("/")
TRANSLATE_MODEL = env.string("TRANSLATE_MODEL", "")
TRANSLATE_API_KEY = env.string("TRANSLATE_API_KEY", "")
# Target languages offered (the provider must support them): en, zh, ja, ko.
TRANSLATE_TARGETS = env.strings("TRANSLATE_TARGETS", ["en", "zh"])
# Time budget of one translation (all provider calls it needs), and the connect timeout.
TRANSLATE_TIMEOUT_MS = env.integer("TRANSLATE_TIMEOUT_MS", 8000, minimum=100, maximum=120_000)
TRANSLATE_CONNECT_TIMEOUT_MS = env.integer(
    "TRANSLATE_CONNECT_TIMEOUT_MS", 2000, minimum=50, maximum=30_000
)
# Provider calls in flight per process; a request finding them all taken fails fast, so a slow
# provider can never hold every server thread.
TRANSLATE_MAX_CONCURRENCY = env.integer("TRANSLATE_MAX_CONCURRENCY", 4, minimum=1, maximum=256)
TRANSLATE_MAX_CHARS = env.integer("TRANSLATE_MAX_CHARS", 5000, minimum=1, maximum=100_000)
# Uncached translations one account (or one IP address, signed out) may ask for per hour.
TRANSLATE_RATE_PER_HOUR = env.integer("TRANSLATE_RATE_PER_HOUR", 120, minimum=0)
# Stored translations not read for this many days are deleted by `translate_cleanup`.
TRANSLATE_CACHE_DAYS = env.integer("TRANSLATE_CACHE_DAYS", 30, minimum=1)
TRANSLATE_WORDLIST_MAX = env.integer("TRANSLATE_WORDLIST_MAX", 5000, minimum=1)


def _translate_check() -> None:
    unknown = sorted(set(TRANSLATE_TARGETS) - {"en", "zh", "ja", "ko"})
    if unknown:
        raise ConfigError(
            f"BRIDGENOTE_TRANSLATE_TARGETS has unknown languages {unknown}; use en, zh, ja, ko"
        )
    if TRANSLATE_URL and not TRANSLATE_URL.startswith(("http://", "https://")):
        raise ConfigError("BRIDGENOTE_TRANSLATE_URL must start with http:// or https://")
    needs = {
        "openai": [("TRANSLATE_URL", TRANSLATE_URL), ("TRANSLATE_MODEL", TRANSLATE_MODEL)],
        "libretranslate": [("TRANSLATE_URL", TRANSLATE_URL)],
        "deepl": [("TRANSLATE_API_KEY", TRANSLATE_API_KEY)],
    }
    for name, value in needs.get(TRANSLATE_PROVIDER, []):
        if not value:
            raise ConfigError(
                f"BRIDGENOTE_TRANSLATE_PROVIDER={TRANSLATE_PROVIDER} needs BRIDGENOTE_{name}"
            )


_translate_check()

# --- feeds ---------------------------------------------------------------------------------
# Following feed: fan-out on write to per-user inboxes for authors with at most this many
# followers; notes of authors above it are merged in at read time (see docs/feeds.md).
FEEDS_FANOUT_MAX_FOLLOWERS = env.integer("FEEDS_FANOUT_MAX_FOLLOWERS", 2000, minimum=0)
# How many of a followee's recent notes a new follow copies into the follower's inbox.
FEEDS_FOLLOW_BACKFILL = env.integer("FEEDS_FOLLOW_BACKFILL", 40, minimum=0)
# Redis (when BRIDGENOTE_CACHE_URL is Redis) caches each inbox's newest entries as a sorted set.
FEEDS_REDIS_INBOX_SIZE = env.integer("FEEDS_REDIS_INBOX_SIZE", 400, minimum=20)
FEEDS_REDIS_INBOX_TTL = env.integer("FEEDS_REDIS_INBOX_TTL", 3 * 24 * 3600, minimum=60)
# The inbox holds this many days of notes; older pages are a read-time merge over follows.
FEEDS_INBOX_DAYS = env.integer("FEEDS_INBOX_DAYS", 30, minimum=1)
FEEDS_PAGE_SIZE = env.integer("FEEDS_PAGE_SIZE", 20, minimum=1, maximum=100)
# Discover: the candidate pool (recent notes with a global score) is rebuilt in the background
# when older than FEEDS_DISCOVER_REFRESH_SECONDS; per-viewer ranking starts from it.
FEEDS_DISCOVER_POOL_SIZE = env.integer("FEEDS_DISCOVER_POOL_SIZE", 3000, minimum=50)
FEEDS_DISCOVER_WINDOW_DAYS = env.integer("FEEDS_DISCOVER_WINDOW_DAYS", 21, minimum=1)
FEEDS_DISCOVER_REFRESH_SECONDS = env.integer("FEEDS_DISCOVER_REFRESH_SECONDS", 300, minimum=5)
FEEDS_TRENDING_HOURS = env.integer("FEEDS_TRENDING_HOURS", 48, minimum=1)
# Rendered feed cards and page shells are kept in process memory this long (0: render every
# time; the benchmark's "cold" run uses it).
FEEDS_RENDER_CACHE_SECONDS = env.integer("FEEDS_RENDER_CACHE_SECONDS", 120, minimum=0)

# --- engage ---------------------------------------------------------------------------------
COMMENT_BODY_MAX = env.integer("COMMENT_BODY_MAX", 500, minimum=1, maximum=5000)
# Comments an account may post per minute before being asked to wait.
COMMENT_RATE_PER_MINUTE = env.integer("COMMENT_RATE_PER_MINUTE", 10, minimum=1)
# Follows an account may make per hour (follow/unfollow churn is a spam pattern).
FOLLOW_RATE_PER_HOUR = env.integer("FOLLOW_RATE_PER_HOUR", 200, minimum=1)
# How often (seconds) open pages poll for new notifications.
NOTIFY_POLL_SECONDS = env.integer("NOTIFY_POLL_SECONDS", 10, minimum=2)

# --- moderation -----------------------------------------------------------------------------
# New accounts: their first N published notes wait for a moderator (0: none do).
MODERATION_NEW_ACCOUNT_REVIEW_NOTES = env.integer(
    "MODERATION_NEW_ACCOUNT_REVIEW_NOTES", 0, minimum=0
)
# How often a process checks whether the rule set changed (seconds; 0: on every scan).
MODERATION_RULES_CHECK_SECONDS = env.integer("MODERATION_RULES_CHECK_SECONDS", 5, minimum=0)
# Reports one account may file per hour.
MODERATION_REPORTS_PER_HOUR = env.integer("MODERATION_REPORTS_PER_HOUR", 20, minimum=1)
# Distinct reports after which a published note is hidden until reviewed (0: never).
MODERATION_REPORTS_TO_HOLD = env.integer("MODERATION_REPORTS_TO_HOLD", 0, minimum=0)
# Notes per batch of a rescan job.
MODERATION_RESCAN_BATCH = env.integer("MODERATION_RESCAN_BATCH", 5000, minimum=1)
# Notes per chunk job of a rescan (chunks run in parallel on the workers there are).
MODERATION_RESCAN_CHUNK = env.integer("MODERATION_RESCAN_CHUNK", 100_000, minimum=1)
# The public moderation log at /moderation/public-log/ (moderators' decisions and reasons,
# never who decided, whose content or the content); off: 404.
MODERATION_PUBLIC_LOG = env.boolean("MODERATION_PUBLIC_LOG", False)

# --- search ---------------------------------------------------------------------------------
SEARCH_PAGE_SIZE = env.integer("SEARCH_PAGE_SIZE", 20, minimum=1, maximum=100)
# Deeper pages than this are not served (relevance pages are offsets; refine the query instead).
SEARCH_MAX_PAGES = env.integer("SEARCH_MAX_PAGES", 50, minimum=1, maximum=1000)
# A query searched this many times (with results) becomes a suggestion for everyone.
SEARCH_SUGGEST_MIN_COUNT = env.integer("SEARCH_SUGGEST_MIN_COUNT", 5, minimum=1)
# Relevance ranks the newest this-many matches of a query (popularity sorts twice as many;
# a full pass when that leaves a page short): a word in a third of all notes then costs what a
# rare one does.
SEARCH_WINDOW = env.integer("SEARCH_WINDOW", 2000, minimum=100)
# Relevance of a query of two or more terms (words, or the bigrams of a longer Chinese word)
# ranks its newest this-many matches: such queries are narrower, and on SQLite each ranked
# note costs two row reads wherever the matches lie in the index (docs/search.md, "Window").
SEARCH_WINDOW_MULTI = env.integer("SEARCH_WINDOW_MULTI", 1000, minimum=100)
# Suggestions for a prefix are kept this long in each process (0: not kept).
SEARCH_SUGGEST_CACHE_SECONDS = env.integer("SEARCH_SUGGEST_CACHE_SECONDS", 30, minimum=0)
SEARCH_HISTORY_MAX = env.integer("SEARCH_HISTORY_MAX", 50, minimum=1, maximum=1000)
SEARCH_REINDEX_BATCH = env.integer("SEARCH_REINDEX_BATCH", 2000, minimum=10, maximum=100000)
# Searches (pages and API calls, not suggestions) per client per minute.
SEARCH_RATE_PER_MINUTE = env.integer("SEARCH_RATE_PER_MINUTE", 60, minimum=1)

# --- security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
