"""The dead letters page (死信任务) of the city bureau's administrators and supervisors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pqrisk.audit.services import history
from pqrisk.web.feedback import service_error
from pqrisk.web.views import page

from . import services
from .choices import DeadLetterStatus
from .models import DeadLetter

PAGE_SIZE = 50
NOT_ALLOWED = "只有市局管理员或市局监管处可以查看和处理死信任务。"


def _require_handler(request: HttpRequest) -> None:
    if not services.may_handle(request.user):
        raise PermissionDenied(NOT_ALLOWED)


@require_GET
@page(city_only=True)
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    _require_handler(request)
    status = request.GET.get("status", DeadLetterStatus.PENDING)
    status = status if status in DeadLetterStatus.values else ""
    letters = services.dao_dead_letters(status)
    page_obj = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "status": status,
        "statuses": DeadLetterStatus.choices,
        "pending": services.dao_dead_letters(DeadLetterStatus.PENDING).count(),
    }
    return render(request, "ops/dead_letter_list.html", context)


@require_GET
@page(city_only=True)
def dead_letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_handler(request)
    letter = get_object_or_404(DeadLetter, pk=pk)
    context = {"letter": letter, "events": history(letter), "max_note": services.MAX_NOTE}
    return render(request, "ops/dead_letter_detail.html", context)


@require_POST
@page(city_only=True)
def dead_letter_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_handler(request)
    letter = get_object_or_404(DeadLetter, pk=pk)
    try:
        outcome = services.retry_dead_letter(letter, request.user)
    except (services.OpsError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, outcome)
    return redirect("ops:dead_letter_detail", pk=pk)


@require_POST
@page(city_only=True)
def dead_letter_discard(request: HttpRequest, pk: int) -> HttpResponse:
    _require_handler(request)
    letter = get_object_or_404(DeadLetter, pk=pk)
    try:
        services.discard_dead_letter(letter, request.user, request.POST.get("reason", ""))
    except (services.OpsError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已丢弃死信任务 {letter.task_name}")
    return redirect("ops:dead_letter_detail", pk=pk)
