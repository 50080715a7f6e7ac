"""Bureau server shape: PostgreSQL, Redis/RabbitMQ, gunicorn; all from the environment.

Every secret comes from the environment and nothing else: DJANGO_SECRET_KEY (required),
the database password inside DATABASE_URL, EMAIL_HOST_PASSWORD, PQRISK_WEBHOOK_SECRET and
the path of the exchange signing key (PQRISK_EXCHANGE_KEY_FILE). ``manage.py check --deploy``
is clean with the environment of docs/security.md.
"""

import os

from django.core.exceptions import ImproperlyConfigured

# Before base.py, which would otherwise make up a key in var/ for the laptop shape.
if not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")

from .base import *  # noqa: F403


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]

# HTTPS. Behind a TLS-terminating proxy, set PQRISK_PROXY_SSL_HEADER (for example
# "HTTP_X_FORWARDED_PROTO=https") so that Django knows a request came in over TLS and the
# redirect can stay on; PQRISK_SSL_REDIRECT=0 is for a proxy that redirects by itself.
SECURE_SSL_REDIRECT = _flag("PQRISK_SSL_REDIRECT", True)
if proxy_header := os.environ.get("PQRISK_PROXY_SSL_HEADER", ""):
    header_name, _, header_value = proxy_header.partition("=")
    SECURE_PROXY_SSL_HEADER = (header_name.strip(), header_value.strip() or "https")
SESSION_COOKIE_SECURE = _flag("PQRISK_HTTPS", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HSTS: one year by default (OWASP HTTP Strict Transport Security Cheat Sheet); start with a
# small PQRISK_HSTS_SECONDS (e.g. 300) when switching a host to HTTPS for the first time.
SECURE_HSTS_SECONDS = int(os.environ.get("PQRISK_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("PQRISK_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive only takes effect once the owner of the registrable domain submits it
# to hstspreload.org; a service host below a bureau's domain cannot be submitted by itself.
SECURE_HSTS_PRELOAD = _flag("PQRISK_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

# Login throttling behind N reverse proxies: django-axes must count the client's address from
# X-Forwarded-For, not the proxy's (else every user shares one lock-out counter per name).
if PQRISK_PROXY_COUNT:  # noqa: F405
    AXES_IPWARE_PROXY_COUNT = PQRISK_PROXY_COUNT  # noqa: F405
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Secrets are read from the environment only; none has a default here.
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
PQRISK_WEBHOOK_SECRET = os.environ.get("PQRISK_WEBHOOK_SECRET", "")
PQRISK_EXCHANGE_KEY_FILE = os.environ.get("PQRISK_EXCHANGE_KEY_FILE", "")
