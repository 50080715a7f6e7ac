"""Monitoring stations authenticate with a bearer token; only its hash is stored."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from .choices import StationStatus
from .models import TOKEN_PREFIX_LEN, MonitoringStation


class StationToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if len(token) < TOKEN_PREFIX_LEN:
            return None
        for station in MonitoringStation.objects.filter(
            token_prefix=token[:TOKEN_PREFIX_LEN], status=StationStatus.ACTIVE
        ):
            if station.check_token(token):
                request.station = station  # type: ignore[attr-defined]
                return station
        return None
