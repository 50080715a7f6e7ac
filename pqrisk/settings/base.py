"""Settings shared by every deployment shape.

With no environment at all the platform runs on SQLite under ./var/ (the laptop / demo shape).
``DATABASE_URL=postgres://…`` switches to PostgreSQL and ``CELERY_BROKER_URL=redis://…`` (or
``amqp://…``) to a real broker; see README "生产部署".
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PQRISK_VAR_DIR", Path.cwd() / "var"))


def _secret_key() -> str:
    """Secret from the environment, else one generated once per installation in var/."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    # Before django.contrib.admin: its admin/object_history.html adds the field-level change
    # history (django-auditlog) to every object's "历史" page.
    "pqrisk.audit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "pqrisk.audit.field_history.FieldHistoryConfig",  # django-auditlog
    # Installed so that /api/docs serves Swagger UI from our static files, not from a CDN the
    # content security policy (and an office network) would block.
    "ninja",
    "django_celery_beat",
    "pqrisk.accounts",
    "pqrisk.reference",
    "pqrisk.enterprises",
    "pqrisk.stations",
    "pqrisk.intake",
    "pqrisk.feeds",
    "pqrisk.screening",
    "pqrisk.assessment",
    "pqrisk.experts",
    "pqrisk.warnings",
    "pqrisk.disposal",
    "pqrisk.labs",
    "pqrisk.meetings",
    "pqrisk.notifications",
    "pqrisk.exchange",
    "pqrisk.signals",
    "pqrisk.bulletins",
    "pqrisk.communication",
    "pqrisk.supervision",
    "pqrisk.foreign",
    "pqrisk.dashboard",
    "pqrisk.ops",
    "pqrisk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: field-level change history (django-auditlog) names the user.
    "pqrisk.audit.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers throttled logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pqrisk.urls"
WSGI_APPLICATION = "pqrisk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The bureau's own versions of document templates go in var/templates (they win).
        "DIRS": [VAR_DIR / "templates", BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pqrisk.web.context.platform",
                "pqrisk.web.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'pqrisk.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while the pipeline writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "web" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# Passwords: Argon2id (OWASP Password Storage Cheat Sheet's first choice). PBKDF2 stays after
# it so that hashes made before the switch still verify; Django re-hashes them with Argon2 at
# the user's next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

# Cookies and headers (prod.py adds HTTPS-only cookies, HSTS and the TLS redirect). CSRF is on
# (middleware); htmx sends the token from the hx-headers attribute of <body>, so no script
# needs to read the CSRF cookie and it can be HTTP-only too.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session lasts one working day at most and ends when the browser closes: office computers
# are shared and left on.
SESSION_COOKIE_AGE = int(float(os.environ.get("PQRISK_SESSION_HOURS", "8")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content security policy (django-csp 4): scripts and <style> elements only from our own
# origin or carrying the per-request nonce (templates write nonce="{{ request.csp_nonce }}").
# style="" attributes are allowed (style-src-attr only): the level badges set their colour with
# style="--badge: …" and ECharts writes its tooltips as HTML with style attributes; attribute
# styles cannot run script. ECharts draws on <canvas>; its "save as image" uses data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Field-level change history (django-auditlog) of the models listed in
# pqrisk/audit/auditlog_registry.py; business events stay in pqrisk.audit.AuditEvent.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Reverse proxies in front of the application (nginx: 1). With none, X-Forwarded-For comes
# from the client and is ignored: the change history records REMOTE_ADDR.
PQRISK_PROXY_COUNT = int(os.environ.get("PQRISK_PROXY_COUNT", "0"))

# Login throttling (django-axes): 5 failures lock the user+IP pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True

from .celery_settings import *  # noqa: E402, F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "pqrisk": {"handlers": ["console"], "level": os.environ.get("PQRISK_LOG_LEVEL", "INFO")}
    },
}

# Deployment policy overrides for the domain core (see pqrisk/core/*: every number has a source).
PQRISK_POLICY: dict[str, object] = {}

# Near-duplicate screening (pqrisk/core/screening/neardup.py): an item whose estimated Jaccard
# similarity of character 5-grams with an earlier item reaches this is a repost of it. 0.7 had
# the highest F1 averaged over the labelled demo and news sets (benchmarks/bench_dedup.py).
# A saved index is built for one value: after a change, NearDupIndex.load refuses it until
# it is rebuilt.
PQRISK_NEARDUP_THRESHOLD = float(os.environ.get("PQRISK_NEARDUP_THRESHOLD", "0.7"))

# Event clustering (pqrisk/core/screening/events.py): items about the same product, hazard
# and enterprise or place join one event while they arrive within this many days of it.
PQRISK_EVENT_WINDOW_DAYS = float(os.environ.get("PQRISK_EVENT_WINDOW_DAYS", "14"))
# Where screening keeps its near-duplicate index between runs (rebuilt from the database
# when missing or not this database's).
PQRISK_SCREENING_DIR = Path(os.environ.get("PQRISK_SCREENING_DIR", VAR_DIR / "screening"))
# An optional trained relevance model (pqrisk classify train … --positive 相关); its score is
# kept on each item. Without one, relevance is "names a product and a hazard".
PQRISK_RELEVANCE_MODEL = os.environ.get("PQRISK_RELEVANCE_MODEL", "")

# Warning documents (预警文书, pqrisk/warnings/documents.py): issuing bureau, 文号 prefix.
PQRISK_DOCUMENT_ISSUER = os.environ.get("PQRISK_DOCUMENT_ISSUER", "上海市市场监督管理局")
PQRISK_DOCUMENT_NUMBER_PREFIX = os.environ.get("PQRISK_DOCUMENT_NUMBER_PREFIX", "沪市监产质")
# Industry warnings (风险警示) sent by email and webhook: the secret that signs webhook bodies
# (X-Pqrisk-Signature; empty: SECRET_KEY) and the address links in messages point to.
PQRISK_WEBHOOK_SECRET = os.environ.get("PQRISK_WEBHOOK_SECRET", "")
PQRISK_BASE_URL = os.environ.get("PQRISK_BASE_URL", "http://localhost:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pqrisk@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
