"""企业匹配复核: the queue of uncertain matches of records to enterprises and products, with
the record's words and the register's entry side by side, and confirm / reject.

City bureau staff and the assessment centre review every district; a district officer
reviews the records of their own district and gets 404 for the others. The services in
``pqrisk.enterprises.matching`` decide and audit; these views show.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.enterprises import matching
from pqrisk.enterprises.models import MatchTarget, RecordMatch

from .feedback import form_refused, service_error
from .forms import PlainForm
from .views import page

RECORDS_PER_PAGE = 20
CONTEXT_CHARS = 400  # record text shown around the highlighted words


class RejectForm(PlainForm):
    reason = forms.CharField(
        label="否定理由", max_length=300, help_text="如：同名不同企业、地址不符"
    )


def highlighted(text: str, spans: list[list[int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) by the evidence spans (overlaps merged)."""
    marks = sorted((s, e) for s, e in spans if 0 <= s < e <= len(text))
    merged: list[list[int]] = []
    for s, e in marks:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    start = max(0, merged[0][0] - CONTEXT_CHARS // 2) if merged else 0
    end = min(len(text), start + CONTEXT_CHARS)
    if merged:
        end = max(end, min(len(text), merged[-1][1] + 40))
    pieces: list[tuple[str, bool]] = []
    pos = start
    for s, e in merged:
        if s < pos or e > end:
            continue
        pieces.append((text[pos:s], False))
        pieces.append((text[s:e], True))
        pos = e
    pieces.append((text[pos:end], False))
    if start:
        pieces.insert(0, ("…", False))
    if end < len(text):
        pieces.append(("…", False))
    return [p for p in pieces if p[0]]


def _spans(m: RecordMatch) -> list[list[int]]:
    rec = (m.evidence or {}).get("record") or {}
    return [
        s for key in ("span", "brand_span", "model_span") if isinstance(s := rec.get(key), list)
    ]


def _get(request: HttpRequest, pk: int) -> RecordMatch:
    """A pending or decided match the user may review; 404 otherwise (not even its
    existence is shown to another district)."""
    m = (
        RecordMatch.objects.select_related("risk_info", "enterprise", "product")
        .filter(pk=pk)
        .first()
    )
    if m is None or not matching.may_review(request.user, m):
        raise Http404("没有这条匹配记录")
    return m


@require_GET
@page()
def matching_queue(request: HttpRequest) -> HttpResponse:
    """Pending matches grouped by record, most recent records first."""
    target = request.GET.get("target", "")
    if target not in MatchTarget.values:
        target = ""
    queue = matching.dao_review_queue(request.user, target or None)
    record_ids = list(OrderedDict.fromkeys(queue.values_list("risk_info_id", flat=True)))
    page_obj = Paginator(record_ids, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    rows = queue.filter(risk_info_id__in=list(page_obj.object_list))
    groups: OrderedDict[int, dict[str, Any]] = OrderedDict(
        (rid, {"info": None, "matches": [], "spans": []}) for rid in page_obj.object_list
    )
    for m in rows:
        g = groups[m.risk_info_id]
        g["info"] = m.risk_info
        g["matches"].append(m)
        g["spans"].extend(_spans(m))
    for g in groups.values():
        info = g["info"]
        g["pieces"] = highlighted(info.text or info.title, g["spans"]) if info else []
    return render(
        request,
        "web/matching_queue.html",
        {
            "groups": [g for g in groups.values() if g["info"] is not None],
            "page_obj": page_obj,
            "target": target,
            "targets": MatchTarget.choices,
            "total": len(record_ids),
            "reject_form": RejectForm(),
            "thresholds": matching.thresholds(),
        },
    )


@require_POST
@page()
def matching_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(request, pk)
    try:
        matching.confirm(m, request.user, request.POST.get("reason", ""))
    except (matching.MatchReviewError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已确认：{m.risk_info.title} → {m.candidate}")
    return redirect("web:matching_queue")


@require_POST
@page()
def matching_reject(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(request, pk)
    form = RejectForm(request.POST)
    if form_refused(request, form):
        return redirect("web:matching_queue")
    try:
        matching.reject(m, request.user, form.cleaned_data["reason"])
    except (matching.MatchReviewError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已否定：{m.risk_info.title} → {m.candidate}")
    return redirect("web:matching_queue")
