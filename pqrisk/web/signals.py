"""The signals queue (风险信号): statistical signals an analyst reviews — with the series
chart (table fallback) and the items behind each — and dismisses with a reason or turns
into an assessment case."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.audit.services import history
from pqrisk.signals import services
from pqrisk.signals.choices import SignalKind, SignalStatus
from pqrisk.signals.models import DetectionRun

from . import forms
from .context import is_city_user
from .feedback import form_refused, service_error
from .views import _paged, page


class SignalFilter(forms.FilterForm):
    search_fields = ("title", "description")
    exact = ("status", "kind")
    status = django_forms.ChoiceField(
        label="状态", choices=forms.ANY + list(SignalStatus.choices), required=False
    )
    kind = django_forms.ChoiceField(
        label="信号类型", choices=forms.ANY + list(SignalKind.choices), required=False
    )


class DismissForm(forms.PlainForm):
    reason = django_forms.CharField(
        label="排除理由",
        max_length=2000,
        widget=django_forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "排除信号须填写理由"},
    )


@require_GET
@page()
def signal_list(request: HttpRequest) -> HttpResponse:
    qs = services.visible_signals(request.user)
    filter_form = SignalFilter(
        request.GET or {"status": SignalStatus.NEW}, city=is_city_user(request.user)
    )
    page_obj = _paged(request, filter_form.apply(qs))
    return render(
        request,
        "web/signal_list.html",
        {
            "filter_form": filter_form,
            "page_obj": page_obj,
            "runs": DetectionRun.objects.all()[:6],
        },
    )


@require_GET
@page()
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    signal = get_object_or_404(services.visible_signals(request.user), pk=pk)
    user: Any = request.user
    reviewable = signal.status == SignalStatus.NEW and user.has_role(*services.REVIEW_ROLES)
    from pqrisk.assessment.cases import CASE_ROLES

    return render(
        request,
        "web/signal_detail.html",
        {
            "signal": signal,
            "items": services.items_of(signal, request.user)[:200],
            "dismiss_form": DismissForm() if reviewable else None,
            "can_open_case": reviewable and user.has_role(*CASE_ROLES),
            "chart": {
                "dates": [r.get("date") for r in signal.series if "date" in r],
                "counts": [r.get("count") for r in signal.series if "date" in r],
                "expected": [r.get("expected") for r in signal.series if "date" in r],
                "threshold": [r.get("threshold") for r in signal.series if "date" in r],
            },
            "trail": history(signal),
        },
    )


@require_POST
@page()
def signal_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    signal = get_object_or_404(services.visible_signals(request.user), pk=pk)
    form = DismissForm(request.POST)
    if form_refused(request, form):
        return redirect("web:signal_detail", pk=signal.pk)
    try:
        services.dismiss(signal, request.user, form.cleaned_data["reason"])
    except (services.SignalError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已排除该信号")
    return redirect("web:signal_detail", pk=signal.pk)


@require_POST
@page()
def signal_case(request: HttpRequest, pk: int) -> HttpResponse:
    signal = get_object_or_404(services.visible_signals(request.user), pk=pk)
    try:
        case = services.open_case(signal, request.user)
    except (services.SignalError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:signal_detail", pk=signal.pk)
    messages.success(request, f"已立项评估任务 {case.code}")
    return redirect("web:case_detail", pk=case.pk)
