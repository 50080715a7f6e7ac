"""The dashboard page (综合看板): map, trends, boards, risk matrix and station health.

The page shows every panel; htmx reloads each one on its own every minute (and the trends
panel when its options change). Each panel carries its table (the fallback without
ECharts) and its downloads. The data are ``pqrisk.dashboard.services``'s, the same as the
API's (/api/dashboard/…).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .context import is_city_user
from .views import page

REFRESH_SECONDS = 60
PANEL_ORDER = (
    "map",
    "warnings",
    "disposal",
    "trends",
    "matrix",
    "stations",
    "foreign_months",
    "foreign_risks",
)


def _options(request: HttpRequest, name: str) -> dict[str, Any]:
    if name != "trends":
        return {}
    return {
        "dimension": request.GET.get("dimension") or "family",
        "granularity": request.GET.get("granularity") or "month",
    }


def _shown(value: Any) -> Any:
    if value is None or value == "":
        return "—"
    return value


def _context(request: HttpRequest, name: str, scope: Any) -> dict[str, Any]:
    from pqrisk.dashboard.services import panel

    options = _options(request, name)
    data = panel(name, scope, **options)
    return {
        "panel": data,
        "payload": {"chart": data.chart, "rows": data.rows},
        "cells": [[_shown(row.get(key)) for key, _ in data.columns] for row in data.rows],
        "options": options,
        "district_code": scope.code or "",
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_GET
@page()
def dashboard(request: HttpRequest) -> HttpResponse:
    from pqrisk.dashboard.services import scope_for
    from pqrisk.dashboard.summaries import refreshed_at
    from pqrisk.reference.models import District

    try:
        scope = scope_for(request.user, request.GET.get("district") or None)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    panels = [_context(request, name, scope) for name in PANEL_ORDER]
    city = is_city_user(request.user)
    return render(
        request,
        "web/dashboard.html",
        {
            "panels": panels,
            "scope": scope,
            "city": city,
            "districts": District.objects.order_by("code") if city else [],
            "as_of": refreshed_at(),
            "refresh_seconds": REFRESH_SECONDS,
        },
    )


@require_GET
@page()
def dashboard_panel(request: HttpRequest, name: str) -> HttpResponse:
    """One panel's HTML, for htmx."""
    from pqrisk.dashboard.services import PANELS, scope_for

    if name not in PANELS:
        raise Http404
    try:
        scope = scope_for(request.user, request.GET.get("district") or None)
        context = _context(request, name, scope)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    return render(request, "web/_dashboard_panel.html", context)


@require_GET
@page()
def dashboard_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """One panel's table as CSV or Excel."""
    from pqrisk.dashboard.exports import FORMATS, download
    from pqrisk.dashboard.services import PANELS, panel, scope_for

    if name not in PANELS or fmt not in FORMATS:
        raise Http404
    try:
        scope = scope_for(request.user, request.GET.get("district") or None)
        return download(panel(name, scope, **_options(request, name)), fmt)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
