from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from pqrisk.accounts.scoping import scope_queryset
from pqrisk.web.api_auth import BureauSession

from .models import RiskInfo

# Session and a page role: a caller without one gets 403, not an empty list.
router = Router(auth=BureauSession())


class RiskInfoOut(Schema):
    id: int
    title: str
    source_kind: str
    status: str
    occurred_at: datetime | None
    district: str | None
    product_category: str | None
    hazard: str | None
    enterprise_name: str
    signals: list[str]


def _out(i: RiskInfo) -> RiskInfoOut:
    return RiskInfoOut(
        id=i.pk,
        title=i.title,
        source_kind=i.source_kind,
        status=i.status,
        occurred_at=i.occurred_at,
        district=i.district.code if i.district else None,
        product_category=i.product_category.code if i.product_category else None,
        hazard=i.hazard.code if i.hazard else None,
        enterprise_name=i.enterprise_name,
        signals=i.signals,
    )


MAX_PAGE = 500


@router.get("", response=list[RiskInfoOut])
def list_risk_infos(
    request: HttpRequest,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
) -> Any:
    """A page of the risk information the user may see (at most 500 rows a call; a negative
    offset or a limit out of range is refused with 422)."""
    qs = scope_queryset(request.user, RiskInfo.objects.all()).select_related(
        "district", "product_category", "hazard"
    )
    if status:
        qs = qs.filter(status=status)
    return [_out(i) for i in qs[offset : offset + limit]]


@router.get("/{info_id}", response=RiskInfoOut)
def get_risk_info(request: HttpRequest, info_id: int) -> Any:
    qs = scope_queryset(request.user, RiskInfo.objects.all())
    return _out(get_object_or_404(qs, pk=info_id))
