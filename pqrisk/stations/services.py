"""Register monitoring stations and issue their API tokens (the city bureau's job)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pqrisk.audit.services import record as audit

from .models import MonitoringStation


@transaction.atomic
def issue_station_token(station: MonitoringStation, user: Any = None) -> str:
    """Replace the station's token and return the new one; only its hash is kept, so this is
    the one moment it can be shown. The old token stops working at once."""
    token = station.issue_token()
    station.save(update_fields=["token_prefix", "token_hash"])
    audit(
        "issue_token",
        station,
        actor=user,
        message=f"签发新的接口令牌（前缀 {station.token_prefix}），原令牌作废",
    )
    return token
