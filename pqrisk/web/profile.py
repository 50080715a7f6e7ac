"""The enterprise profile page (企业画像): one service call, shown (``build_profile``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from pqrisk.enterprises.profile import (
    KIND_LABELS,
    TIMELINE_PAGE,
    build_profile,
    visible_enterprises,
)
from pqrisk.supervision.services import current_grade

from .views import page


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_GET
@page()
def enterprise_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """The profile of an enterprise the user may see (404 otherwise): its records across
    sources, timeline (filter ``kind``, page ``page``), warnings and disposal, graph and
    data-quality notes."""
    enterprise = get_object_or_404(visible_enterprises(request.user), pk=pk)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KIND_LABELS else ""
    number = _page_number(request.GET.get("page"))
    profile = build_profile(
        enterprise,
        request.user,
        timeline_kind=kind,
        timeline_offset=(number - 1) * TIMELINE_PAGE,
        timeline_limit=TIMELINE_PAGE,
    )
    pages = max(1, -(-profile.timeline_total // TIMELINE_PAGE))
    chart = {
        "sources": [c.label for c in profile.source_counts],
        "years": profile.years,
        "series": [
            {"name": str(y), "data": [c.by_year.get(y, 0) for c in profile.source_counts]}
            for y in profile.years
        ],
    }
    return render(
        request,
        "web/enterprise_profile.html",
        {
            "enterprise": enterprise,
            "profile": profile,
            "count_rows": [
                (c, [c.by_year.get(y, 0) for y in profile.years]) for c in profile.source_counts
            ],
            "chart": chart,
            "credit": current_grade(enterprise),
            "kind": kind,
            "page_number": number,
            "pages": pages,
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if number < pages else None,
        },
    )
