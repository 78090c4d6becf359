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
    "allauth",
    "allauth.account",
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
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bridgenote.core.middleware.ClientIPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "bridgenote.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "bridgenote.sqlite3"),
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
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# SMS: "console" logs the code and shows it on the local-only dev outbox page.
SMS_BACKEND = env.choice("SMS_BACKEND", "console", {"console", "http"})
SMS_HTTP_URL = env.string("SMS_HTTP_URL", "")
SMS_HTTP_ACCOUNT = env.string("SMS_HTTP_ACCOUNT", "")
SMS_HTTP_TOKEN = env.string("SMS_HTTP_TOKEN", "")
SMS_HTTP_FROM = env.string("SMS_HTTP_FROM", "")

# IP territory databases (paths are configurable so operators can drop in fresher files).
IP2REGION_XDB_PATH = env.string("IP2REGION_XDB_PATH", "")
GEOIP2FAST_DAT_PATH = env.string("GEOIP2FAST_DAT_PATH", "")

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
# Notes per page of a profile grid, a topic page and the notes API (cursor pagination).
NOTE_PAGE_SIZE = env.integer("NOTE_PAGE_SIZE", 20, minimum=1, maximum=100)
UPLOAD_IMAGE_MAX_BYTES = env.integer("UPLOAD_IMAGE_MAX_MB", 30, minimum=1) * 1024 * 1024
UPLOAD_VIDEO_MAX_BYTES = env.integer("UPLOAD_VIDEO_MAX_MB", 500, minimum=1) * 1024 * 1024
VIDEO_MAX_SECONDS = env.integer("VIDEO_MAX_SECONDS", 15 * 60, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

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
