"""Dashboard API (综合看板): one GET per panel, its table as CSV or Excel, and a refresh.

Registered in pqrisk/api.py at ``/api/dashboard``. Every endpoint takes ``district`` (a
行政区划代码): city-wide roles may ask for one district's version; a district officer gets
their own district whatever they ask (another district is 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from pqrisk.accounts.choices import Role

router = Router()

# Refreshing the summaries is work for the city bureau and the assessment centre; experts
# read the dashboard but do not run its jobs.
REFRESH_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)


class ColumnOut(Schema):
    key: str
    label: str


class PanelOut(Schema):
    name: str
    title: str
    scope: str
    as_of: datetime | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    chart: dict[str, Any]
    summary: dict[str, Any]


class RefreshOut(Schema):
    full: bool
    days: int
    rows: int
    matrix_cells: int
    last_risk_info_id: int
    seconds: float


class ErrorOut(Schema):
    detail: str


def _panel(request: HttpRequest, name: str, district: str | None, **options: Any) -> Any:
    from .services import panel, scope_for

    try:
        scope = scope_for(request.user, district)
        return Status(200, panel(name, scope, **options).as_dict())
    except ValueError as exc:
        return Status(400, {"detail": str(exc)})


@router.get("/map", response={200: PanelOut, 400: ErrorOut})
def map_data(request: HttpRequest, district: str | None = None) -> Any:
    """Per district: active warnings by colour, signal intensity, risk items (90 days)."""
    return _panel(request, "map", district)


@router.get("/trends", response={200: PanelOut, 400: ErrorOut})
def trends(
    request: HttpRequest,
    district: str | None = None,
    dimension: str = "family",
    granularity: str = "month",
) -> Any:
    """Risk items per month or week, by product family (``family``) or hazard (``hazard``)."""
    return _panel(request, "trends", district, dimension=dimension, granularity=granularity)


@router.get("/warnings", response={200: PanelOut, 400: ErrorOut})
def warnings(request: HttpRequest, district: str | None = None) -> Any:
    """Active warnings by colour, with publication deadlines."""
    return _panel(request, "warnings", district)


@router.get("/disposal", response={200: PanelOut, 400: ErrorOut})
def disposal(request: HttpRequest, district: str | None = None) -> Any:
    """Open disposal tasks, due soon and overdue."""
    return _panel(request, "disposal", district)


@router.get("/matrix", response={200: PanelOut, 400: ErrorOut})
def matrix(request: HttpRequest, district: str | None = None) -> Any:
    """Current assessments on the risk matrix (severity × probability band)."""
    return _panel(request, "matrix", district)


@router.get("/stations", response={200: PanelOut, 400: ErrorOut})
def stations(request: HttpRequest, district: str | None = None) -> Any:
    """Monitoring network health: stations by status, late reporters."""
    return _panel(request, "stations", district)


@router.get("/foreign_months", response={200: PanelOut, 400: ErrorOut})
def foreign_months(request: HttpRequest, district: str | None = None) -> Any:
    """Foreign alerts (境外通报) by month, made in China or not (a district: those matched to
    its firms)."""
    return _panel(request, "foreign_months", district)


@router.get("/foreign_risks", response={200: PanelOut, 400: ErrorOut})
def foreign_risks(request: HttpRequest, district: str | None = None) -> Any:
    """Foreign alerts (境外通报) by Safety Gate risk type."""
    return _panel(request, "foreign_risks", district)


@router.get("/{name}/download", response={400: ErrorOut, 404: ErrorOut})
def download(
    request: HttpRequest,
    name: str,
    format: str = "csv",
    district: str | None = None,
    dimension: str = "family",
    granularity: str = "month",
) -> Any:
    """A panel's table as ``csv`` or ``xlsx``."""
    from .exports import download as make_download
    from .services import PANELS, panel, scope_for

    if name not in PANELS:
        return Status(404, {"detail": f"没有名为 {name} 的看板栏目"})
    options = {"dimension": dimension, "granularity": granularity} if name == "trends" else {}
    try:
        data = panel(name, scope_for(request.user, district), **options)
        response: HttpResponse = make_download(data, format)
    except ValueError as exc:
        return Status(400, {"detail": str(exc)})
    return response


@router.post("/refresh", response=RefreshOut)
def refresh(request: HttpRequest, full: bool = False) -> Any:
    """Bring the summary tables up to date now (city bureau and assessment centre)."""
    from .services import may_view
    from .summaries import refresh as run_refresh

    user: Any = request.user
    if not may_view(user) or not user.has_role(*REFRESH_ROLES):
        raise PermissionDenied("仅市局和评估中心可以刷新看板汇总")
    return run_refresh(full=full).__dict__
