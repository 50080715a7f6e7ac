"""Authentication of the JSON API's bureau routers: a session, and a page role."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import SessionAuth

from .context import can_use_pages

NO_API_ROLE = "您的账户没有使用接口的角色。"


class BureauSession(SessionAuth):
    """The session of a signed-in person with a page role (city-wide roles, district officers
    with their district). Anyone else signed in gets 403 before the handler runs, as on the
    pages: a user without a role, or a station's account (stations report with their token,
    ``pqrisk.stations.auth.StationToken``). Without it a district-scoped list would answer a
    roleless caller with an empty 200."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not can_use_pages(user):
            raise PermissionDenied(NO_API_ROLE)
        return user
