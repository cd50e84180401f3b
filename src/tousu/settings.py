"""Django settings for Tousu, read from ``TOUSU_*`` environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tousu.config import (
    env_bool,
    env_int,
    env_list,
    env_str,
    new_django_secret,
    new_fernet_key,
    private_file,
    secret_from_env_or_file,
)
from tousu.core.postgresql import ENGINE as POSTGRESQL_ENGINE
from tousu.core.sqlite import ENGINE as SQLITE_ENGINE

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parents[1]
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()
NODE_MODULES = Path(env_str("NODE_MODULES", str(BASE_DIR / "node_modules")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_from_env_or_file("SECRET_KEY", VAR_DIR / "secret_key", new_django_secret)
# Fernet keys, newest first; older keys still decrypt (key rotation with MultiFernet).
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", []) or [
    secret_from_env_or_file("ENCRYPTION_KEY", VAR_DIR / "encryption_key", new_fernet_key)
]
# The key of the search digests (phone numbers, names): its own and stable, so rotating
# the encryption keys does not make the stored digests unfindable.
INDEX_KEY = secret_from_env_or_file("INDEX_KEY", VAR_DIR / "index_key", new_django_secret)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "ninja",
    "django_tasks",
    # The shared task queue (TOUSU_TASK_BACKEND=database): its table is always there, so
    # switching the backend needs no migration.
    "django_tasks_db",
    "axes",
    "captcha",  # the portal's check when the browser runs no script
    "tousu.core",
    "tousu.demo",
    "tousu.accounts",
    "tousu.audit",
    "tousu.plans",
    "tousu.complaints",
    "tousu.incidents",
    "tousu.deadlines",
    "tousu.notifications",
    "tousu.assessment",
    "tousu.supervision",
    "tousu.portal",
    "tousu.mailin",
    "tousu.inbound",
    "tousu.imports",
    "tousu.desk",
    "tousu.reports",
    "tousu.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tousu.core.middleware.SecurityHeadersMiddleware",
    "tousu.core.middleware.ApiBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A request that changes nothing reads the configuration once (core.config).
    "tousu.core.middleware.ConfigOnceMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tousu.accounts.middleware.UserLanguageMiddleware",
    "tousu.accounts.middleware.UserPermissionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a locked-out login before the password is looked at.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tousu.urls"
WSGI_APPLICATION = "tousu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tousu.notifications.context_processors.organisation",
                "tousu.incidents.drills.context_processors.drill",
            ],
        },
    },
]


def _database() -> dj_database_url.DBConfig:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tousu.sqlite3'}")
    # Connections are kept for a minute: opening one per request costs more than the query.
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        private_file(Path(config["NAME"]))  # owner-only, like the keys beside it
        # Django's backend, with writers queued on a lock file (tousu/core/sqlite/base.py).
        config["ENGINE"] = SQLITE_ENGINE
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on the busy timeout instead of failing mid-way.
            # temp_store=MEMORY: a multi-row INSERT inside a transaction keeps a statement
            # journal, which SQLite otherwise writes to a new file in /var/tmp for every
            # registration (about 40 page writes and a file created and removed: 95 system
            # calls a registration; +10 % registrations/s measured under wrk, 2026-12-08).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with long statements' placeholders parsed once
        # (tousu/core/postgresql/base.py).
        config["ENGINE"] = POSTGRESQL_ENGINE
        if env_bool("DB_SERVER_SIDE_BINDING", True):
            # Values travel apart from the statement, and psycopg prepares a statement
            # run five times on a connection: PostgreSQL plans it once, not on every
            # request.
            config["OPTIONS"] = {
                **config.get("OPTIONS", {}),
                "server_side_binding": True,
                "prepare_threshold": env_int("DB_PREPARE_THRESHOLD", 5),
            }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "work"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    # First: a throttled login is refused before any password is checked.
    "tousu.accounts.logins.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, its state in the database so every web process shares
# it): by account and address, and by address alone — never by account alone, so nobody
# can lock a person out from elsewhere. The client address is REMOTE_ADDR unless the
# request came through one of TOUSU_TRUSTED_PROXIES, whose X-Forwarded-For is then read.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tousu.accounts.logins.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tousu.accounts.http.client_address"
AXES_VERBOSE = False  # the audit log records logins; no names in the server log

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Each drill runs in a directory of its own under here (its database, clock and report),
# beside the migrated schema it starts from.
DRILLS_DIR = Path(env_str("DRILLS_DIR", str(VAR_DIR / "drills")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/altcha", NODE_MODULES / "altcha" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]


def _default_storage() -> dict:
    """Attachments: the local disk (MEDIA_ROOT), or an S3-compatible bucket when
    TOUSU_S3_BUCKET is set (several web hosts then read what any of them stored)."""
    bucket = env_str("S3_BUCKET", "")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("S3_REGION", "") or None,
        "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
        "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
        "location": env_str("S3_PREFIX", ""),
        # Never a public URL: evidence is served through the gated view only.
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "addressing_style": env_str("S3_ADDRESSING_STYLE", "") or None,
    }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {k: v for k, v in options.items() if v is not None},
    }


STORAGES = {
    "default": _default_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Evidence is served through a view that applies the visibility gate, never from a
# public URL: MEDIA_ROOT sits outside the static tree and MEDIA_URL is not routed.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Attachments hold personal data: readable by the service's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Behind a TLS-terminating proxy (production), turn on every HTTPS protection.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
# Health checks and scrapes reach a web process directly, over plain HTTP on its own port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies and query strings can hold personal data: Django logs only the
        # path and status of failed requests, and we never log bodies ourselves.
        "django.request": {"level": "ERROR"},
        # Every login is on the audit log; the throttle only reports lockouts here.
        "axes": {"level": "WARNING"},
    },
}

TOUSU_ORGANISATION_NAME = env_str("ORGANISATION_NAME", "")

# The public portal's anti-abuse check (docs/configuration.md, "Public portal"): a proof
# of work (ALTCHA, self-hosted) the browser solves when the form is sent — PBKDF2 with
# ALTCHA_COST iterations per attempt, the number of attempts drawn from the upper half of
# ALTCHA_MAX_NUMBER — and, when scripts are off, a picture with a sum to work out
# (django-simple-captcha). Challenges expire after ALTCHA_EXPIRES_MINUTES.
ALTCHA_ALGORITHM = "PBKDF2/SHA-256"
ALTCHA_COST = env_int("ALTCHA_COST", 1000)
ALTCHA_MAX_NUMBER = env_int("ALTCHA_MAX_NUMBER", 4000)
ALTCHA_EXPIRES_MINUTES = env_int("ALTCHA_EXPIRES_MINUTES", 10)
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_MATH_CHALLENGE_OPERATOR = "×"  # how "*" is shown: sums of +, −, × up to 10
CAPTCHA_NOISE_FUNCTIONS = ("captcha.helpers.noise_dots",)  # legible for people
CAPTCHA_TIMEOUT = 30  # minutes to answer
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_LETTER_ROTATION = (-20, 20)

# Outgoing mail and notifications.
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_TLS", False)
EMAIL_TIMEOUT = env_int("NOTIFICATION_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "tousu@localhost")
# Where complainants' answers to Tousu's mail go (the mailbox `tousu mail fetch` reads or
# `tousu mail serve` receives): a reply to a receipt "[TS-…]" joins that complaint.
MAIL_REPLY_TO = env_str("MAIL_REPLY_TO", "")
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL", "")
# Where staff open Tousu, for links in notifications.
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFICATION_TIMEOUT = env_int("NOTIFICATION_TIMEOUT", 10)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)
NOTIFICATION_BACKOFF_SECONDS = env_int("NOTIFICATION_BACKOFF_SECONDS", 30)
NOTIFICATION_BACKOFF_CAP_SECONDS = env_int("NOTIFICATION_BACKOFF_CAP_SECONDS", 3600)
# Hosts webhooks and robots may be sent to (``*.example.cn`` for subdomains): the robots'
# official hosts unless the administrator names others. The SMS gateway's host is added.
OUTBOUND_HOSTS = env_list(
    "OUTBOUND_HOSTS",
    ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com"],
)
# Loopback targets are for the test suite's own servers only: never read from the
# environment, so a production run cannot switch it on (see notifications/outbound.py).
OUTBOUND_ALLOW_LOOPBACK = False

# A drill's own process (tousu drill): its own database, a banner on every page, and no
# channel beyond the app — mail is kept in memory, webhooks and SMS have nowhere to go.
TOUSU_DRILL = env_bool("DRILL", False)
if TOUSU_DRILL:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SMS_WEBHOOK_URL = ""
    OUTBOUND_HOSTS = []

# Background jobs run through Django's task API (docs/operations.md, "Background jobs").
# "immediate" (the default) runs an enqueued task at once in the process that enqueued it;
# "database" (django-tasks-db) queues it in a table that every host shares, and
# `tousu db_worker` processes — on any host, as many as wanted — each claim a task with a
# row lock (SKIP LOCKED), so each runs once. Any other value is a backend's dotted path.
# The worker's own periodic pass always runs in its process ("worker"): its steps already
# share their rows between several workers by row locks.
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASK_BACKEND = env_str("TASK_BACKEND", "immediate")
TASKS = {
    "default": {"BACKEND": _TASK_BACKENDS.get(TASK_BACKEND, TASK_BACKEND)},
    "worker": {"BACKEND": _TASK_BACKENDS["immediate"]},
}

# The cache. Tousu keeps nothing that several web processes must agree on in it: rate
# limits, login throttles, spent challenges, sessions and one-time codes are database
# rows (docs/operations.md, "Shared state"). With TOUSU_REDIS_URL it is Redis, shared by
# every host; otherwise each process has its own memory.
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REDIS_PREFIX", "tousu"),
            "TIMEOUT": 300,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# /metrics (docs/operations.md, "Monitoring"): with TOUSU_METRICS_TOKEN, only a request
# carrying it as a Bearer token; without one, only from loopback or METRICS_ADDRESSES.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ADDRESSES = env_list("METRICS_ADDRESSES", [])
# Tasks of apps above supervision that every worker pass runs too (reports made in the
# background).
WORKER_TASKS = ["tousu.reports.tasks.make_reports"]
# Reports and exports made in the background keep their files this many days, then the
# worker deletes them (exports may hold personal data).
REPORT_FILES_KEPT = env_int("REPORT_FILES_KEPT", 7)
# Exports of up to this many rows are sent at once; larger ones are made in the background.
EXPORT_STREAM_LIMIT = env_int("EXPORT_STREAM_LIMIT", 5000)


# The audit log's keys (docs/configuration.md, "Audit log keys"): "id:base64" items,
# newest first — new events and seals use the first, older ones still verify theirs.
# AUDIT_KEYS are HMAC-SHA256 keys (at least 32 bytes); AUDIT_SIGNING_KEYS are Ed25519
# private keys (32 bytes) that sign the seals. Generated once into <var> for the
# embedded run, like the keys above; a production run gives them and keeps them (and a
# copy of `tousu audit anchor`) away from whoever can write the database.
def _audit_keys(name: str, path: Path, *, exact: bool) -> list[tuple[str, bytes]]:
    import base64
    import binascii
    import re
    import secrets

    from tousu.config import ConfigError

    def make() -> str:
        secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        return f"k{secrets.token_hex(3)}:{secret}"

    keys: list[tuple[str, bytes]] = []
    for item in secret_from_env_or_file(name, path, make).split(","):
        key_id, _colon, text = item.strip().partition(":")
        try:
            secret = base64.b64decode(text, validate=True)
        except binascii.Error:
            secret = b""
        if (
            not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", key_id)
            or (len(secret) != 32 if exact else len(secret) < 32)
            or key_id in dict(keys)
        ):
            raise ConfigError(
                f"TOUSU_{name}: expected comma-separated 'id:base64' items with distinct ids"
                f" and {'exactly' if exact else 'at least'} 32 bytes each"
            )
        keys.append((key_id, secret))
    return keys


AUDIT_KEYS = _audit_keys("AUDIT_KEYS", VAR_DIR / "audit_keys", exact=False)
AUDIT_SIGNING_KEYS = _audit_keys("AUDIT_SIGNING_KEY", VAR_DIR / "audit_signing_key", exact=True)
