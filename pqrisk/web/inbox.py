"""消息中心: each user's own notifications (read, mark read, email reminders on or off), and
for the city bureau's administrators the log of outside deliveries with a retry for the
failed ones. Views show; the changes go through ``pqrisk.notifications.services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from pqrisk.notifications import services
from pqrisk.notifications.choices import Channel, DeliveryStatus, NotificationLevel
from pqrisk.notifications.models import Delivery, InboxEntry

from .feedback import service_error
from .views import PAGE_SIZE, page


def _own_entry(request: HttpRequest, pk: int) -> InboxEntry:
    """One of the signed-in user's entries; someone else's is 404, as if it did not exist."""
    return get_object_or_404(
        InboxEntry.objects.select_related("notification"), pk=pk, user_id=request.user.pk
    )


def _safe(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _back(request: HttpRequest) -> HttpResponse:
    """To the inbox page the form was on (its filter and page kept)."""
    target = request.POST.get("next", "")
    return redirect(target if _safe(request, target) else "web:inbox")


def _require_log_user(request: HttpRequest) -> None:
    if not request.user.has_role(*services.LOG_ROLES):  # type: ignore[union-attr]
        raise PermissionDenied("外发记录仅向市局管理员开放。")


@require_GET
@page()
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    entries = services.dao_inbox(request.user, unread_only=unread_only)
    page_obj = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page_obj.object_list:
        level = NotificationLevel(entry.notification.level)
        entry.level_label, entry.level_colour = level.label, level.colour
    context = {
        "page_obj": page_obj,
        "unread_only": unread_only,
        "email_enabled": services.email_enabled(request.user),
        "has_email": bool(request.user.email),  # type: ignore[union-attr]
        "can_see_log": request.user.has_role(*services.LOG_ROLES),  # type: ignore[union-attr]
    }
    return render(request, "web/inbox.html", context)


@require_POST
@page()
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    services.mark_read(_own_entry(request, pk), request.user)
    return _back(request)


@require_POST
@page()
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the entry read and go to the page it is about."""
    entry = _own_entry(request, pk)
    services.mark_read(entry, request.user)
    link = entry.notification.link
    if _safe(request, link):
        return redirect(link)
    if link:
        messages.info(request, f"相关页面：{link}")
    return _back(request)


@require_POST
@page()
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(request.user)
    messages.success(request, f"已将{count}条消息标为已读" if count else "没有未读消息")
    return _back(request)


@require_POST
@page()
def inbox_email(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("email") == "1"
    services.set_email_preference(request.user, enabled)
    messages.success(request, "已开启邮件提醒" if enabled else "已关闭邮件提醒（站内消息照常接收）")
    return _back(request)


@require_GET
@page(city_only=True)
def delivery_list(request: HttpRequest) -> HttpResponse:
    _require_log_user(request)
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    status = status if status in DeliveryStatus.values else ""
    channel = channel if channel in Channel.values else ""
    deliveries = services.dao_deliveries(status=status, channel=channel)
    page_obj = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "status": status,
        "channel": channel,
        "statuses": DeliveryStatus.choices,
        "channels": Channel.choices,
        "max_attempts": services.MAX_ATTEMPTS,
    }
    return render(request, "web/inbox_deliveries.html", context)


@require_POST
@page(city_only=True)
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_log_user(request)
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        services.retry_delivery(delivery, request.user)
    except (services.NotificationError, PermissionDenied) as exc:
        service_error(request, exc)
    else:
        messages.success(request, f"已重新发送至{delivery.address}")
    target = request.POST.get("next", "")
    return redirect(target if _safe(request, target) else "web:delivery_list")
