"""Monitoring stations authenticate with a bearer token; only its hash is stored.

A token is recognised whatever the station's status, so that a suspended or retired station
is told why it is refused (403) instead of being treated as unknown (401)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from .models import TOKEN_PREFIX_LEN, MonitoringStation


class StationToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if len(token) < TOKEN_PREFIX_LEN:
            return None
        for station in MonitoringStation.objects.filter(token_prefix=token[:TOKEN_PREFIX_LEN]):
            if station.check_token(token):
                request.station = station  # type: ignore[attr-defined]
                return station
        return None
