"""Django settings for Tousu, read from ``TOUSU_*`` environment variables."""

from __future__ import annotations

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
    secret_from_env_or_file,
)

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tousu.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]


def _database() -> dj_database_url.DBConfig:
    url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tousu.sqlite3'}")
    # Connections are kept for a minute: opening one per request costs more than the query.
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on the busy timeout instead of failing mid-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "work"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Evidence is served through a view that applies the visibility gate, never from a
# public URL: MEDIA_ROOT sits outside the static tree and MEDIA_URL is not routed.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Behind a TLS-terminating proxy (production), turn on every HTTPS protection.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
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
    },
}

TOUSU_ORGANISATION_NAME = env_str("ORGANISATION_NAME", "")

# Outgoing mail and notifications.
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_TLS", False)
EMAIL_TIMEOUT = env_int("NOTIFICATION_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "tousu@localhost")
SMS_WEBHOOK_URL = env_str("SMS_WEBHOOK_URL", "")
# Where staff open Tousu, for links in notifications.
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFICATION_TIMEOUT = env_int("NOTIFICATION_TIMEOUT", 10)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)
NOTIFICATION_BACKOFF_SECONDS = env_int("NOTIFICATION_BACKOFF_SECONDS", 30)
NOTIFICATION_BACKOFF_CAP_SECONDS = env_int("NOTIFICATION_BACKOFF_CAP_SECONDS", 3600)

# Background jobs run through Django's task API; the immediate backend runs them in the
# worker process. A large installation names another backend here (database, RQ, Celery).
TASKS = {
    "default": {
        "BACKEND": env_str("TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    }
}
