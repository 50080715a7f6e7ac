"""django-auditlog's middleware, adapted in two ways.

The actor is looked up only when a change is logged: auditlog's own middleware reads
``request.user`` at the start of every request, which reads the session, and Django then adds
``Vary: Cookie`` to the response; the public site's anonymous, cacheable pages must not vary.

The client's address is taken from ``X-Forwarded-For`` only behind ``PQRISK_PROXY_COUNT``
reverse proxies, and then the one the nearest proxies saw (counting from the right): without
a proxy the header is whatever the client chose to send.
"""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def client_address(request: HttpRequest) -> str | None:
    proxies = int(getattr(settings, "PQRISK_PROXY_COUNT", 0) or 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if proxies <= 0 or not hops:
        return request.META.get("REMOTE_ADDR")
    address = hops[-proxies] if len(hops) >= proxies else hops[0]
    if address.startswith("["):  # [IPv6]:port
        return address[1:].split("]")[0]
    if address.count(":") == 1:  # IPv4:port
        return address.split(":")[0]
    return address


class AuditlogMiddleware(BaseAuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_address(request)

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        def signed_in_user() -> Any:
            user = getattr(request, "user", None)
            if isinstance(user, get_user_model()) and user.is_authenticated:
                return user
            return None

        # Evaluated by django-auditlog (its isinstance check) when it saves a log entry.
        return SimpleLazyObject(signed_in_user)
