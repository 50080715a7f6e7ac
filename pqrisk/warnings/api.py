from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from pqrisk.accounts.choices import Role
from pqrisk.core.levels import WarningLevel
from pqrisk.web.api_auth import BureauSession

from .models import Warning
from .services import WarningError, act_on_warning, approve_warning

# Session and a page role: a caller without one gets 403, not an empty list.
router = Router(auth=BureauSession())
public_router = Router(auth=None)


class WarningOut(Schema):
    id: int
    title: str
    level: str
    level_label: str
    colour: str
    status: str
    scope: str
    modes: list[str]
    district: str | None
    created_at: datetime
    published_at: datetime | None


class ActionIn(Schema):
    note: str = ""
    level: str | None = None


def _out(w: Warning) -> WarningOut:
    level = WarningLevel(w.level)
    return WarningOut(
        id=w.pk,
        title=w.title,
        level=w.level,
        level_label=level.label,
        colour=level.colour,
        status=w.status,
        scope=w.scope,
        modes=w.modes,
        district=w.district.code if w.district else None,
        created_at=w.created_at,
        published_at=w.published_at,
    )


def visible_warnings(user: Any) -> QuerySet[Warning]:
    """City-wide roles see all; a district officer sees city-wide ones and its district's."""
    qs = Warning.objects.select_related("district")
    if not user.is_authenticated:
        return qs.none()
    if user.is_city_wide:
        return qs
    # A district's warnings are for its district officers; a station's account has a
    # district too, but reads nothing through the session.
    if user.district_id is None or not user.has_role(Role.DISTRICT_OFFICER):
        return qs.none()
    return qs.filter(
        Q(district_id=user.district_id)
        | Q(risk_infos__district_id=user.district_id)
        | Q(tasks__district_id=user.district_id)
        | Q(recipients__district_id=user.district_id)
    ).distinct()


@router.get("", response=list[WarningOut])
def list_warnings(request: HttpRequest, status: str | None = None) -> Any:
    qs = visible_warnings(request.user)
    if status:
        qs = qs.filter(status=status)
    return [_out(w) for w in qs[:500]]


@router.get("/{warning_id}", response=WarningOut)
def get_warning(request: HttpRequest, warning_id: int) -> Any:
    return _out(get_object_or_404(visible_warnings(request.user), pk=warning_id))


@router.post("/{warning_id}/{action}", response={200: WarningOut, 400: dict})
def warning_action(request: HttpRequest, warning_id: int, action: str, body: ActionIn) -> Any:
    warning = get_object_or_404(visible_warnings(request.user), pk=warning_id)
    try:
        if action == "approve":
            level = WarningLevel(body.level) if body.level else None
            warning = approve_warning(warning, request.user, level=level, note=body.note)
        else:
            warning = act_on_warning(warning, action, request.user, note=body.note)
    except (WarningError, ValueError) as exc:
        return Status(400, {"detail": getattr(exc, "message_zh", "预警等级无效")})
    return _out(warning)


class AdvisoryOut(Schema):
    id: int
    title: str
    level_label: str
    colour: str
    body: str
    published_at: datetime | None


@public_router.get("/advisories", response=list[AdvisoryOut])
def public_advisories(request: HttpRequest) -> Any:
    """Published consumer advisories (风险提示): the only thing the public sees."""
    # JSON "contains" is not available on SQLite; the published set is small.
    published = Warning.objects.filter(status="published").order_by("-published_at")[:500]
    return [
        AdvisoryOut(
            id=w.pk,
            title=w.title,
            level_label=WarningLevel(w.level).label,
            colour=WarningLevel(w.level).colour,
            body=w.body,
            published_at=w.published_at,
        )
        for w in published
        if "consumer_advisory" in w.modes
    ][:100]
