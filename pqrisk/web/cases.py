"""Pages of assessment cases (评估任务): list, open, detail with evidence and workflow,
conclusion, and the Word report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.accounts.scoping import workflow_roles
from pqrisk.assessment.cases import (
    CaseError,
    act_on_case,
    add_evidence,
    assess_case,
    conclude_case,
    default_matrix_input,
    open_case,
)
from pqrisk.assessment.judgement import override, suggest
from pqrisk.assessment.models import AssessmentCase
from pqrisk.assessment.report import case_report
from pqrisk.audit.services import history
from pqrisk.core.assessment.bayes import as_scenario_step, estimate_harm_probability
from pqrisk.core.assessment.matrix import AssessmentInput, InvalidAssessment, parse_steps
from pqrisk.core.workflow import CASE_MACHINE
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.warnings.drafts import draft_from_case
from pqrisk.warnings.models import Warning
from pqrisk.warnings.services import WarningError

from . import forms
from .feedback import form_refused, service_error
from .views import _listing, _scoped, page


def _cases(request: HttpRequest) -> Any:
    return _scoped(
        request,
        AssessmentCase.objects.select_related(
            "product_category", "hazard", "enterprise", "district", "event", "matrix_assessment"
        ),
    )


@require_GET
@page()
def case_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, _cases(request), forms.CaseFilter, "web/case_list.html")


@require_POST
@page()
def case_open(request: HttpRequest) -> HttpResponse:
    """Open a case from an item or an event the user may see."""
    form = forms.OpenCaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "提交内容有误")
        return redirect("web:case_list")
    data = form.cleaned_data
    infos: list[RiskInfo] = []
    event = None
    if data.get("event"):
        event = get_object_or_404(_scoped(request, Event.objects.all()), pk=data["event"])
        back = redirect("web:event_detail", pk=event.pk)
    elif data.get("risk_info"):
        info = get_object_or_404(_scoped(request, RiskInfo.objects.all()), pk=data["risk_info"])
        infos = [info]
        back = redirect("web:riskinfo_detail", pk=info.pk)
    else:
        messages.error(request, "请从风险信息或风险事件页面立项")
        return redirect("web:case_list")
    try:
        case = open_case(
            request.user,
            risk_infos=infos,
            event=event,
            title=data.get("title") or "",
            description=data.get("description") or "",
        )
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
        return back
    messages.success(request, f"已立项：{case.code}")
    return redirect("web:case_detail", pk=case.pk)


@require_GET
@page()
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    transitions = [
        t
        for t in CASE_MACHINE.available(case.status, workflow_roles(request.user))
        if t.action != "conclude"
    ]
    can_conclude = CASE_MACHINE.transition(case.status, "conclude") is not None and bool(
        {"conclude"}
        & {t.action for t in CASE_MACHINE.available(case.status, workflow_roles(request.user))}
    )
    items = _scoped(request, case.risk_infos.select_related("district", "hazard"))
    return render(
        request,
        "web/case_detail.html",
        {
            "case": case,
            "items": items.order_by("occurred_at", "id")[:200],
            "hidden_items": case.risk_infos.count() - items.count(),
            "evidence": case.evidence.select_related("risk_info", "added_by"),
            "transitions": transitions,
            "evidence_form": forms.EvidenceForm(),
            "conclude_form": forms.ConcludeForm() if can_conclude else None,
            "matrix_form": _matrix_form(case),
            "override_form": forms.OverrideForm() if case.model_suggestion.get("level") else None,
            "overrides": case.overrides.select_related("user"),
            "warnings": Warning.objects.filter(risk_infos__cases=case).distinct(),
            "sampling_tasks": case.sampling_tasks.order_by("-id"),
            "meeting_items": case.meeting_items.select_related("meeting", "decision").order_by(
                "-meeting__scheduled_at"
            ),
            "trail": history(case),
        },
    )


@require_POST
@page()
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    form = forms.NoteForm(request.POST)
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    try:
        act_on_case(case, action, request.user, note=note)
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"操作成功，当前状态：{case.get_status_display()}")
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@page()
def case_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if form_refused(request, form):
        return redirect("web:case_detail", pk=case.pk)
    data = form.cleaned_data
    try:
        add_evidence(
            case,
            request.user,
            kind=data["kind"],
            title=data["title"],
            note=data.get("note") or "",
            file=data.get("file"),
        )
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已添加证据")
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@page()
def case_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    form = forms.ConcludeForm(request.POST)
    if form_refused(request, form):
        return redirect("web:case_detail", pk=case.pk)
    data = form.cleaned_data
    try:
        conclude_case(
            case,
            request.user,
            level=data["level"],
            conclusion=data["conclusion"],
            rule=data["rule"],
        )
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已形成结论：{case.get_final_level_display()}")
    return redirect("web:case_detail", pk=case.pk)


@require_GET
@page()
def case_report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    response = HttpResponse(
        case_report(case),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{case.code}-assessment-report.docx"'
    return response


def _matrix_form(case: AssessmentCase) -> forms.MatrixForm | None:
    """The matrix form, filled with the case's last assessment or its first item's defaults."""
    if case.status not in ("opened", "assessing", "expert_review"):
        return None
    last = case.matrix_assessment
    if last is not None:
        initial: dict[str, Any] = {
            "severity": last.severity,
            "steps": "\n".join(
                f"{s['description']} | {s['probability']:g} | {s['low']:g} | {s['high']:g} | "
                f"{s.get('evidence', '')}"
                for s in last.steps
            ),
            "exposed_units": last.exposed_units,
            "vulnerable_users": last.vulnerable_users,
        }
    else:
        inp = default_matrix_input(case)
        if inp is None:
            return None
        initial = {
            "severity": inp.severity,
            "steps": "\n".join(
                f"{s.description} | {s.probability:g} | {s.probability_low:g} | "
                f"{s.probability_high:g} | {s.evidence}"
                for s in inp.steps
            ),
            "exposed_units": inp.exposed_units,
            "vulnerable_users": inp.vulnerable_users,
        }
    return forms.MatrixForm(initial=initial)


@require_POST
@page()
def case_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the case's risk-matrix assessment."""
    case = get_object_or_404(_cases(request), pk=pk)
    form = forms.MatrixForm(request.POST)
    if form_refused(request, form):
        return redirect("web:case_detail", pk=case.pk)
    data = form.cleaned_data
    try:
        steps = list(parse_steps(data["steps"]))
        if data.get("harm_events") is not None and data.get("harm_units"):
            estimate = estimate_harm_probability(
                data["harm_events"],
                data["harm_units"],
                reporting_fraction=data.get("reporting_fraction") or 1.0,
            )
            steps[-1] = as_scenario_step(estimate, steps[-1].description)
        inp = AssessmentInput(
            severity=data["severity"],
            steps=tuple(steps),
            exposed_units=data.get("exposed_units"),
            vulnerable_users=bool(data.get("vulnerable_users")),
        )
        assessment = assess_case(case, request.user, inp)
    except InvalidAssessment as exc:
        messages.error(request, exc.message_zh)
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"风险矩阵评估：{assessment.get_level_display()}")
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@page()
def case_suggest(request: HttpRequest, pk: int) -> HttpResponse:
    """Run the risk-judgement model on the case (模型研判)."""
    case = get_object_or_404(_cases(request), pk=pk)
    try:
        judgement = suggest(case, request.user)
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"模型研判建议：{judgement.level.label}")
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@page()
def case_override(request: HttpRequest, pk: int) -> HttpResponse:
    """An expert or assessor changes the model's suggestion, with the reason."""
    case = get_object_or_404(_cases(request), pk=pk)
    form = forms.OverrideForm(request.POST)
    if form_refused(request, form):
        return redirect("web:case_detail", pk=case.pk)
    try:
        override(
            case, request.user, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"]
        )
    except (CaseError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "已改定模型研判建议，理由已记录为模型的训练数据")
    return redirect("web:case_detail", pk=case.pk)


@require_POST
@page()
def case_warning(request: HttpRequest, pk: int) -> HttpResponse:
    """A warning draft from a concluded case, with its evidence pack (生成预警草稿)."""
    case = get_object_or_404(_cases(request), pk=pk)
    try:
        warning = draft_from_case(case, request.user)
    except (WarningError, PermissionDenied) as exc:
        service_error(request, exc)
        return redirect("web:case_detail", pk=case.pk)
    messages.success(request, f"已生成预警草稿：{warning.get_level_display()}")
    return redirect("web:warning_detail", pk=warning.pk)
