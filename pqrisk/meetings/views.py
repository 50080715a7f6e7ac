"""Pages of consultation meetings (会商研判). Views show; every change goes through a service.

Meetings are the city's: city-wide roles see them (district officers get 403, like the other
city-only pages); the assessment centre and the city bureau act, experts only look.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from pqrisk.audit.services import history
from pqrisk.web.feedback import service_error
from pqrisk.web.views import page

from . import forms, services
from .choices import MEETING_MACHINE, MeetingKind, MeetingStatus
from .models import AgendaItem, Meeting, Participant

PAGE_SIZE = 50
CASE_PAGE = "web:case_detail"


def _may_act(request: HttpRequest) -> bool:
    return bool(request.user.has_role(*services.MEETING_ROLES))  # type: ignore[union-attr]


def _form_errors(request: HttpRequest, form: Any, what: str) -> None:
    errors = "；".join(
        f"{form.fields[k].label}：{e}" if k in form.fields else str(e)
        for k, errs in form.errors.items()
        for e in errs
    )
    messages.error(request, f"{what}未保存：{errors}")


def _case_url(case_pk: int) -> str:
    """The case's page; plain text instead of a broken page should it ever move."""
    try:
        return reverse(CASE_PAGE, args=[case_pk])
    except NoReverseMatch:
        return ""


def _get_meeting(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("chair", "created_by"), pk=pk)


@require_GET
@page(city_only=True)
def meeting_list(request: HttpRequest) -> HttpResponse:
    filter_form = forms.MeetingFilter(request.GET)
    qs = filter_form.apply(
        Meeting.objects.select_related("chair")
        .annotate(
            n_cases=Count("agenda", filter=Q(agenda__case__isnull=False)),
            n_signals=Count("agenda", filter=Q(agenda__case__isnull=True)),
        )
        .order_by("-scheduled_at", "-id")
    )
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/meeting_list.html",
        {"filter_form": filter_form, "page_obj": page_obj, "may_act": _may_act(request)},
    )


@page(city_only=True)
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Convene a meeting; ``?kind=urgent`` opens the urgent path (紧急会商)."""
    if not _may_act(request):
        raise PermissionDenied("只有评估中心和市局可以召集会商。")
    kind = request.GET.get("kind", "")
    initial = {"kind": kind if kind in MeetingKind.values else MeetingKind.THEMATIC.value}
    form = forms.ConveneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.convene_meeting(
                request.user,
                kind=data["kind"],
                title=data["title"],
                scheduled_at=data["scheduled_at"],
                place=data["place"],
                online=data["online"],
                chair=data["chair"],
                urgent_reason=data["urgent_reason"],
            )
        except (services.MeetingError, PermissionDenied) as exc:
            service_error(request, exc)
        else:
            messages.success(request, f"已召集{meeting.get_kind_display()} {meeting.code}")
            return redirect("meetings:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "form": form,
            "urgent": initial["kind"] == MeetingKind.URGENT,
            "min_present": services.MIN_PRESENT,
        },
    )


def _detail_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    items = list(
        meeting.agenda.select_related("case", "decision__warning", "decision__recorded_by")
    )
    for item in items:
        item.case_url = _case_url(item.case_id) if item.case_id else ""  # type: ignore[attr-defined]
        item.decided = hasattr(item, "decision")  # type: ignore[attr-defined]
    participants = list(meeting.participants.select_related("user"))
    case_items = [i for i in items if i.case_id]
    may_act = _may_act(request) and meeting.is_open
    roles = request.user.role_codes  # type: ignore[union-attr]
    actions = {t.action: t.label for t in MEETING_MACHINE.available(meeting.status, roles)}
    trail = history(meeting)  # labels: the app registers them (apps.py)
    return {
        "meeting": meeting,
        "items": items,
        "participants": participants,
        "n_cases": len(case_items),
        "n_decided": len([i for i in case_items if hasattr(i, "decision")]),
        "quorum_problem": services.quorum_problem(meeting, participants),
        "may_act": may_act,
        "held": meeting.status == MeetingStatus.HELD,
        "can_hold": may_act and "hold" in actions,
        "can_close": may_act and "close" in actions,
        "can_cancel": may_act and "cancel" in actions,
        "agenda_form": forms.AgendaCaseForm(prefix="agenda"),
        "signal_form": forms.AgendaSignalForm(prefix="signal"),
        "participant_form": forms.ParticipantForm(prefix="participant"),
        "attendance_choices": forms.AttendanceForm.base_fields["attendance"].choices,  # type: ignore[attr-defined]
        "minutes_form": forms.MinutesForm(prefix="minutes", initial={"minutes": meeting.minutes}),
        "cancel_form": forms.CancelForm(prefix="cancel"),
        "trail": trail,
        "min_present": services.MIN_PRESENT,
    }


@require_GET
@page(city_only=True)
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    return render(request, "meetings/meeting_detail.html", _detail_context(request, meeting))


@require_POST
@page(city_only=True)
def agenda_add_case(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    form = forms.AgendaCaseForm(request.POST, prefix="agenda")
    if not form.is_valid():
        _form_errors(request, form, "议程")
        return redirect("meetings:meeting_detail", pk=pk)
    try:
        item = services.add_agenda_case(
            meeting,
            form.cleaned_data["case"],
            request.user,
            presenter=form.cleaned_data["presenter"],
            notes=form.cleaned_data["notes"],
        )
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已列入议程{item.order}：{item.subject}")
    return redirect("meetings:meeting_detail", pk=pk)


@require_POST
@page(city_only=True)
def agenda_add_signal(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    form = forms.AgendaSignalForm(request.POST, prefix="signal")
    if not form.is_valid():
        _form_errors(request, form, "议程")
        return redirect("meetings:meeting_detail", pk=pk)
    data = form.cleaned_data
    signal = {"description": data["description"]}
    if data["basis"]:
        signal["basis"] = data["basis"]
    try:
        item = services.add_agenda_signal(
            meeting, request.user, signal=signal, presenter=data["presenter"]
        )
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已列入议程{item.order}：风险信号")
    return redirect("meetings:meeting_detail", pk=pk)


@require_POST
@page(city_only=True)
def agenda_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("case"), pk=item_pk, meeting_id=pk)
    try:
        services.remove_agenda_item(item, request.user)
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已移出议程：{item.subject}")
    return redirect("meetings:meeting_detail", pk=pk)


@require_POST
@page(city_only=True)
def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    form = forms.ParticipantForm(request.POST, prefix="participant")
    if not form.is_valid():
        _form_errors(request, form, "参会人员")
        return redirect("meetings:meeting_detail", pk=pk)
    data = form.cleaned_data
    try:
        p = services.add_participant(
            meeting,
            request.user,
            role=data["role"],
            participant_user=data["participant_user"],
            name=data["name"],
            organisation=data["organisation"],
            attendance=data["attendance"],
        )
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已添加参会人员：{p}")
    return redirect("meetings:meeting_detail", pk=pk)


@require_POST
@page(city_only=True)
def participant_attendance(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    participant = get_object_or_404(Participant, pk=participant_pk, meeting_id=pk)
    form = forms.AttendanceForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form, "出席情况")
        return redirect("meetings:meeting_detail", pk=pk)
    try:
        services.set_attendance(participant, request.user, form.cleaned_data["attendance"])
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已登记 {participant.name} 的出席情况")
    return redirect("meetings:meeting_detail", pk=pk)


@require_POST
@page(city_only=True)
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _get_meeting(pk)
    form = forms.MinutesForm(request.POST, request.FILES, prefix="minutes")
    if not form.is_valid():
        _form_errors(request, form, "会议纪要")
        return redirect("meetings:meeting_detail", pk=pk)
    try:
        services.record_minutes(
            meeting,
            request.user,
            minutes=form.cleaned_data["minutes"],
            minutes_file=form.cleaned_data["minutes_file"],
        )
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, "会议纪要已保存")
    return redirect("meetings:meeting_detail", pk=pk)


@page(city_only=True)
def decision_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Record or correct the decision on one case of the agenda."""
    item = get_object_or_404(
        AgendaItem.objects.select_related("meeting", "case"), pk=item_pk, meeting_id=pk
    )
    if item.case_id is None:
        raise Http404("风险信号议程不形成决定")
    decision = getattr(item, "decision", None)
    initial: dict[str, Any] = {}
    if decision is not None:
        initial = {
            f: getattr(decision, f)
            for f in ("level", "conclusion", "warning_level", "modes", "measures", "owners")
        } | {"deadline": decision.deadline, "dissent": decision.dissent}
    elif item.case and item.case.final_level:
        initial = {"level": item.case.final_level}
    form = forms.DecisionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not _may_act(request):
            raise PermissionDenied("只有评估中心和市局可以记录会商决定。")
        if form.is_valid():
            try:
                services.record_decision(item, request.user, **form.cleaned_data)
            except (services.MeetingError, PermissionDenied) as exc:
                service_error(request, exc)
            else:
                messages.success(request, f"已记录 {item.subject} 的会商决定")
                return redirect("meetings:meeting_detail", pk=pk)
    return render(
        request,
        "meetings/decision_form.html",
        {
            "meeting": item.meeting,
            "item": item,
            "decision": decision,
            "case_url": _case_url(item.case_id),
            "form": form,
            "may_act": _may_act(request) and item.meeting.status == MeetingStatus.HELD,
        },
    )


@require_POST
@page(city_only=True)
def meeting_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Hold, close (applies the decisions) or cancel."""
    meeting = _get_meeting(pk)
    try:
        if action == "hold":
            meeting = services.hold_meeting(meeting, request.user)
        elif action == "close":
            meeting = services.close_meeting(meeting, request.user)
        elif action == "cancel":
            form = forms.CancelForm(request.POST, prefix="cancel")
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            meeting = services.cancel_meeting(meeting, request.user, reason=reason)
        else:
            raise Http404("未知操作")
    except (services.MeetingError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"操作成功，会议当前状态：{meeting.get_status_display()}")
    return redirect("meetings:meeting_detail", pk=pk)
