from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from pqrisk.accounts.scoping import scope_queryset
from pqrisk.web.api_auth import BureauSession

from .models import DisposalTask
from .services import DisposalError, act_on_task, submit_feedback

# Session and a page role: a caller without one gets 403, not an empty list.
router = Router(auth=BureauSession())


class RouteOut(Schema):
    route: str
    unit: str
    status: str
    due_at: datetime | None
    done_at: datetime | None
    reference: str
    follow_up_due_at: datetime | None


class TaskOut(Schema):
    id: int
    warning_id: int
    warning_title: str
    district: str
    level: str
    status: str
    routes: list[str]
    route_items: list[RouteOut]
    participants: list[str]
    due_at: datetime | None
    report_due_at: datetime | None
    escalations: int
    escalation_level: int


class NoteIn(Schema):
    note: str = ""


class FeedbackIn(Schema):
    measures: str
    findings: str = ""
    enterprises_checked: int = 0
    products_removed: int = 0
    products_recalled: int = 0
    penalties: int = 0
    penalty_amount: Decimal = Decimal(0)
    warning_advice: str = "keep"
    warning_note: str = ""


def _out(t: DisposalTask) -> TaskOut:
    return TaskOut(
        id=t.pk,
        warning_id=t.warning_id,
        warning_title=t.warning.title,
        district=t.district.code,
        level=t.level,
        status=t.status,
        routes=t.routes,
        route_items=[
            RouteOut(
                route=r.route,
                unit=r.unit,
                status=r.status,
                due_at=r.due_at,
                done_at=r.done_at,
                reference=r.reference,
                follow_up_due_at=r.follow_up_due_at,
            )
            for r in t.route_items.all()
        ],
        participants=t.participants,
        due_at=t.due_at,
        report_due_at=t.report_due_at,
        escalations=t.escalations,
        escalation_level=t.escalation_level,
    )


def _tasks(request: HttpRequest) -> Any:
    return scope_queryset(
        request.user,
        DisposalTask.objects.select_related("warning", "district").prefetch_related("route_items"),
    )


@router.get("", response=list[TaskOut])
def list_tasks(request: HttpRequest, status: str | None = None) -> Any:
    qs = _tasks(request)
    if status:
        qs = qs.filter(status=status)
    return [_out(t) for t in qs[:500]]


@router.get("/{task_id}", response=TaskOut)
def get_task(request: HttpRequest, task_id: int) -> Any:
    return _out(get_object_or_404(_tasks(request), pk=task_id))


@router.post("/{task_id}/feedback", response={200: TaskOut, 400: dict})
def task_feedback(request: HttpRequest, task_id: int, body: FeedbackIn) -> Any:
    task = get_object_or_404(_tasks(request), pk=task_id)
    try:
        submit_feedback(task, request.user, **body.dict())
    except DisposalError as exc:
        return Status(400, {"detail": exc.message_zh})
    task.refresh_from_db()
    return _out(task)


@router.post("/{task_id}/{action}", response={200: TaskOut, 400: dict})
def task_action(request: HttpRequest, task_id: int, action: str, body: NoteIn) -> Any:
    task = get_object_or_404(_tasks(request), pk=task_id)
    try:
        task = act_on_task(task, action, request.user, note=body.note)
    except DisposalError as exc:
        return Status(400, {"detail": exc.message_zh})
    return _out(task)
