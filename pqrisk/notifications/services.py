"""Tell people about an event: an entry in each addressee's 消息中心 (inbox), an email to
those who have an address and want mail, and email or signed webhook deliveries to outside
addresses. Each outside delivery is a ``Delivery`` row sent by the Celery task
``pqrisk.notifications.tasks.deliver`` and retried with exponential back-off.

Other apps call :func:`notify`; the event's ``key`` makes it idempotent: the second call with
the same key creates and sends nothing. See docs/notifications.md.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.reference.models import District
from pqrisk.warnings.delivery import (
    CONNECT_TIMEOUT,
    MAX_RETRIES,
    READ_TIMEOUT,
    SIGNATURE_HEADER,
    DeliveryFailed,
    base_url,
    retry_delay,
    sign,
)
from pqrisk.warnings.models import validate_webhook_url

from .choices import Channel, DeliveryStatus, NotificationLevel
from .models import (
    KEY_MAX_LENGTH,
    LINK_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Delivery,
    InboxEntry,
    Notification,
    Preference,
)

log = logging.getLogger(__name__)

# The same schedule as industry warnings: the first attempt, then retries after 1, 2, 4, 8
# and 16 minutes (pqrisk/warnings/delivery.py).
MAX_ATTEMPTS = MAX_RETRIES + 1
# A pending delivery this long past its due time was lost on the way to a worker (broker
# restarted, worker killed); the sweeper enqueues it again. Longer than the task's own
# scheduling delay, so that a delivery waiting for its retry is left alone.
STUCK_AFTER = timedelta(minutes=15)
SWEEP_BATCH = 500
ADDRESS_MAX_LENGTH = 500
DELIVERY_HEADER = "X-Pqrisk-Delivery"
LOG_ROLES = (Role.CITY_ADMIN,)


class NotificationError(Exception):
    """A notification that cannot be made or an action refused; ``message_zh`` says why."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- addressing


def as_roles(roles: Iterable[str]) -> list[Role]:
    """Role values (``Role`` members or their value strings) as roles; unknown ones refused."""
    by_value = {r.value: r for r in Role}
    found = []
    for value in roles:
        if value not in by_value:
            known = "、".join(f"{r.value}（{r.label}）" for r in Role)
            raise NotificationError(f"未知的角色“{value}”，可用角色：{known}")
        found.append(by_value[value])
    return found


def addressees(
    *,
    users: Iterable[User] = (),
    districts: Iterable[District | int] = (),
    roles: Iterable[str] = (),
) -> QuerySet[User]:
    """The active users a notification goes to: the named ``users``, and the unit given by
    ``districts`` and ``roles``:

    - districts only: every user of those districts except monitoring-station accounts
      (监测站 are outside organisations reporting through the API; what the bureau tells
      a district is not for them);
    - roles only: every user in those roles (a role is the Django group named by its label;
      superusers count as 市局管理员, as ``User.roles`` has it);
    - both: users of district-bound roles (区局, 监测站) in those districts, and every user of
      the city-wide roles among them (市局、评估中心、专家 have no district to restrict by).
    """
    wanted = Q(pk__in=[u.pk for u in users])
    district_ids = {d if isinstance(d, int) else d.pk for d in districts}
    chosen = as_roles(roles)
    if chosen:
        local = [r.label for r in chosen if not r.city_wide]
        city = [r.label for r in chosen if r.city_wide]
        if district_ids:
            wanted |= Q(groups__name__in=local, district_id__in=district_ids)
        else:
            wanted |= Q(groups__name__in=local)
        wanted |= Q(groups__name__in=city)
        if Role.CITY_ADMIN in chosen:
            wanted |= Q(is_superuser=True)
    elif district_ids:
        stations = User.objects.filter(groups__name=Role.STATION.label).values("pk")
        wanted |= Q(district_id__in=district_ids) & ~Q(pk__in=stations)
    return User.objects.filter(wanted, is_active=True).distinct().order_by("pk")


def wants_email(users: Iterable[User]) -> list[User]:
    """Those of ``users`` with an email address who have not turned email off."""
    with_address = [u for u in users if u.email]
    off = set(
        Preference.objects.filter(user__in=with_address, email=False).values_list(
            "user_id", flat=True
        )
    )
    return [u for u in with_address if u.pk not in off]


def address_error(channel: Channel, address: str) -> str:
    """Why ``address`` cannot be delivered to, in Chinese, or "" when it can."""
    if len(address) > ADDRESS_MAX_LENGTH:
        return f"地址超过{ADDRESS_MAX_LENGTH}个字符"
    try:
        if channel == Channel.EMAIL:
            validate_email(address)
        else:
            validate_webhook_url(address)
    except ValidationError as exc:
        detail = "；".join(exc.messages) if channel == Channel.WEBHOOK else "格式不正确"
        return f"{Channel(channel).label}地址“{address[:100]}”{detail}"
    return ""


def planned_deliveries(
    notification: Notification,
    recipients: Iterable[User],
    emails: Iterable[str],
    webhooks: Iterable[str],
) -> list[Delivery]:
    """One delivery per distinct address (email addresses compared without case). An address
    that cannot work is recorded as failed with the reason, not dropped."""
    planned: dict[tuple[str, str], Delivery] = {}

    def add(channel: Channel, address: str, user: User | None = None) -> None:
        address = address.strip()
        same = (channel.value, address.lower() if channel == Channel.EMAIL else address)
        if not address or same in planned:
            return
        error = address_error(channel, address)
        planned[same] = Delivery(
            notification=notification,
            channel=channel,
            address=address[:ADDRESS_MAX_LENGTH],
            user=user,
            status=DeliveryStatus.FAILED if error else DeliveryStatus.PENDING,
            last_error=error,
        )

    for user in wants_email(recipients):
        add(Channel.EMAIL, user.email, user)
    for address in emails:
        add(Channel.EMAIL, address)
    for url in webhooks:
        add(Channel.WEBHOOK, url)
    return list(planned.values())


# ---------------------------------------------------------------- notify


def notify(
    key: str,
    *,
    subject: str,
    body: str,
    link: str = "",
    users: Iterable[User] = (),
    districts: Iterable[District | int] = (),
    roles: Iterable[str] = (),
    emails: Iterable[str] = (),
    webhooks: Iterable[str] = (),
    level: str = "info",
) -> Notification | None:
    """Tell the addressees (see :func:`addressees`) and the outside ``emails`` and ``webhooks``
    about the event named ``key``. Returns the new notification, or None when ``key`` was
    already notified (nothing is created or sent then, even when two calls race: the unique
    key decides). Outside deliveries are enqueued once the surrounding transaction commits.
    """
    key, subject = key.strip(), subject.strip()
    if not key or len(key) > KEY_MAX_LENGTH:
        raise NotificationError(f"事件标识不能为空，且不能超过{KEY_MAX_LENGTH}个字符")
    if not subject:
        raise NotificationError("消息标题不能为空")
    if level not in NotificationLevel.values:
        known = "、".join(f"{v}（{lb}）" for v, lb in NotificationLevel.choices)
        raise NotificationError(f"未知的重要程度“{level}”，可用：{known}")
    if len(link) > LINK_MAX_LENGTH:
        raise NotificationError(f"相关页面地址不能超过{LINK_MAX_LENGTH}个字符")
    roles = as_roles(roles)
    if Notification.objects.filter(key=key).exists():
        return None
    recipients = list(addressees(users=users, districts=districts, roles=roles))
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key, subject=subject[:SUBJECT_MAX_LENGTH], body=body, link=link, level=level
            )
            InboxEntry.objects.bulk_create(
                InboxEntry(notification=notification, user=user) for user in recipients
            )
            Delivery.objects.bulk_create(
                planned_deliveries(notification, recipients, emails, webhooks)
            )
    except IntegrityError:
        # Another call with the same key committed first (the pre-check above only saves
        # work in the common case; the unique constraint is what holds).
        if Notification.objects.filter(key=key).exists():
            return None
        raise
    pending = notification.deliveries.filter(status=DeliveryStatus.PENDING)
    for pk in pending.values_list("pk", flat=True):
        # robust: a broker that is down must not undo the caller's committed work; the
        # sweeper sends the delivery later.
        transaction.on_commit(partial(enqueue, pk), robust=True)
    return notification


# ---------------------------------------------------------------- delivery


def enqueue(delivery_id: int) -> None:
    """Hand one delivery to ``pqrisk.celery.app`` (eager without a broker); importing the
    task module registers the task even before the app's autodiscovery has run."""
    from pqrisk.celery import app
    from pqrisk.notifications import tasks

    app.tasks[tasks.deliver.name].delay(delivery_id)


def absolute_link(notification: Notification) -> str:
    link = notification.link
    if not link or link.startswith(("http://", "https://")):
        return link
    return base_url() + (link if link.startswith("/") else f"/{link}")


def email_text(notification: Notification) -> str:
    lines = [notification.body.strip()]
    if link := absolute_link(notification):
        lines += ["", f"查看详情：{link}"]
    lines += ["", "（本邮件由系统自动发送，请登录平台“消息中心”查看全部消息。）"]
    return "\n".join(lines)


def email_subject(notification: Notification) -> str:
    if notification.level == NotificationLevel.INFO:
        return notification.subject
    return f"【{NotificationLevel(notification.level).label}】{notification.subject}"


def send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    message = EmailMessage(
        subject=email_subject(notification), body=email_text(notification), to=[delivery.address]
    )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"邮件发送失败（{delivery.address}）：{exc}") from exc


def webhook_payload(notification: Notification) -> bytes:
    payload = {
        "notification_id": notification.pk,
        "key": notification.key,
        "subject": notification.subject,
        "body": notification.body,
        "level": notification.level,
        "level_label": NotificationLevel(notification.level).label,
        "link": absolute_link(notification),
        "created_at": notification.created_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def network_error(exc: httpx.HTTPError, url: str) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"连接接收地址超时：{url}"
    if isinstance(exc, httpx.ConnectError):
        return f"无法连接接收地址（地址不存在或拒绝连接）：{url}"
    return f"向接收地址推送失败（网络或协议错误）：{url}"


def post_webhook(delivery: Delivery) -> None:
    """POST the notification as JSON signed like industry warnings (``X-Pqrisk-Signature``);
    ``X-Pqrisk-Delivery`` names the delivery, so that a receiver whose answer was lost can
    recognise the repeat."""
    url = delivery.address
    body = webhook_payload(delivery.notification)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(body),
        DELIVERY_HEADER: str(delivery.pk),
    }
    timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(network_error(exc, url)) from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"接收地址返回错误状态 {response.status_code}，未确认接收：{url}")


SENDERS = {Channel.EMAIL: send_email, Channel.WEBHOOK: post_webhook}


@dataclass(frozen=True)
class Attempt:
    """What one run of the delivery task did: "sent", "skipped" (already sent, failed for
    good or gone), "retry" (failed; try again in ``retry_in`` seconds) or "failed"."""

    outcome: str
    retry_in: int = 0


def deliver_once(delivery_id: int, now: datetime | None = None) -> Attempt:
    """One attempt of one delivery. The row stays locked (``select_for_update``) while it is
    sent, so a second run of the task waits and then finds it sent: nothing goes out twice.
    After ``MAX_ATTEMPTS`` failures it is failed for good, with the last reason, and at once
    when its address cannot work (waiting would not help); audited."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return Attempt("skipped")
        delivery.attempts += 1
        now = now or timezone.now()
        if error := address_error(Channel(delivery.channel), delivery.address):
            return _failed(delivery, error, now, permanent=True)
        try:
            SENDERS[Channel(delivery.channel)](delivery)
        except DeliveryFailed as exc:
            return _failed(delivery, exc.message_zh, now)
        delivery.status = DeliveryStatus.SENT
        delivery.last_error = ""
        delivery.sent_at = now
        delivery.save(update_fields=["attempts", "status", "last_error", "sent_at"])
        return Attempt("sent")


def _failed(delivery: Delivery, error: str, now: datetime, *, permanent: bool = False) -> Attempt:
    delivery.last_error = error[:500]
    log.warning("notification delivery %s failed: %s", delivery.pk, error)
    if not permanent and delivery.attempts < MAX_ATTEMPTS:
        wait = retry_delay(delivery.attempts - 1)
        delivery.due_at = now + timedelta(seconds=wait)
        delivery.save(update_fields=["attempts", "last_error", "due_at"])
        return Attempt("retry", wait)
    delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["attempts", "status", "last_error"])
    audit(
        "deliver_failed",
        delivery,
        message=(
            f"消息“{delivery.notification.subject}”未能通过{delivery.get_channel_display()}"
            f"送达{delivery.address}（尝试{delivery.attempts}次）：{error}"
        )[:500],
        detail={"notification": delivery.notification_id, "channel": delivery.channel},
    )
    return Attempt("failed")


def sweep_stuck(now: datetime | None = None) -> int:
    """Enqueue again the pending deliveries more than ``STUCK_AFTER`` past due; returns how
    many. Safe to overlap with a delivery still on its way: a sent one is skipped."""
    now = now or timezone.now()
    stuck = Delivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lt=now - STUCK_AFTER)
    ids = list(stuck.order_by("due_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(due_at=now)
    for pk in ids:
        enqueue(pk)
    if ids:
        log.info("re-enqueued %d stuck notification deliveries", len(ids))
    return len(ids)


@transaction.atomic
def retry_delivery(delivery: Delivery, user: Any) -> Delivery:
    """Send a failed delivery again from the start (after its address was checked): the
    city bureau's administrators only; audited."""
    require_role(user, *LOG_ROLES)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.FAILED:
        raise NotificationError("只有发送失败的记录可以重新发送")
    previous = delivery.last_error
    delivery.status, delivery.attempts, delivery.last_error = DeliveryStatus.PENDING, 0, ""
    delivery.due_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "last_error", "due_at"])
    audit(
        "retry",
        delivery,
        actor=user,
        from_state=DeliveryStatus.FAILED,
        to_state=DeliveryStatus.PENDING,
        message=f"重新向{delivery.address}发送消息（上次失败原因：{previous}）"[:500],
        detail={"notification": delivery.notification_id},
    )
    transaction.on_commit(partial(enqueue, delivery.pk), robust=True)
    return delivery


# ---------------------------------------------------------------- inbox


def dao_inbox(user: Any, *, unread_only: bool = False) -> QuerySet[InboxEntry]:
    """The user's own inbox entries, newest first."""
    entries = InboxEntry.objects.filter(user_id=user.pk).select_related("notification")
    if unread_only:
        entries = entries.filter(read_at__isnull=True)
    return entries.order_by("-notification__created_at", "-id")


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return InboxEntry.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(entry: InboxEntry, user: Any) -> bool:
    """Mark one of the user's own entries read; the first time only, audited. Returns
    whether this was the first time."""
    if entry.user_id != getattr(user, "pk", None):
        raise NotificationError("只能处理自己的消息")
    now = timezone.now()
    first = bool(InboxEntry.objects.filter(pk=entry.pk, read_at__isnull=True).update(read_at=now))
    if first:
        entry.read_at = now
        audit(
            "read",
            entry,
            actor=user,
            district_id=user.district_id,
            message=f"阅读消息：{entry.notification.subject}"[:500],
            detail={"notification": entry.notification_id},
        )
    return first


def mark_all_read(user: Any) -> int:
    """Mark every unread entry of the user read; audited once. Returns how many."""
    unread = InboxEntry.objects.filter(user_id=user.pk, read_at__isnull=True)
    newest = unread.order_by("-id").first()
    count = unread.update(read_at=timezone.now())
    if count and newest is not None:
        audit(
            "read_all",
            newest,
            actor=user,
            district_id=user.district_id,
            message=f"将{count}条未读消息全部标为已读",
            detail={"count": count},
        )
    return count


def email_enabled(user: Any) -> bool:
    preference = Preference.objects.filter(user_id=user.pk).first()
    return preference.email if preference is not None else True


def set_email_preference(user: Any, enabled: bool) -> Preference:
    """Turn the user's email reminders on or off (the inbox always receives); audited."""
    preference, _ = Preference.objects.get_or_create(user=user)
    if preference.email != enabled:
        preference.email = enabled
        preference.save(update_fields=["email"])
        audit(
            "email_preference",
            preference,
            actor=user,
            district_id=user.district_id,
            message="开启邮件提醒" if enabled else "关闭邮件提醒",
            detail={"email": enabled},
        )
    return preference


def dao_deliveries(*, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    """Outside deliveries for the delivery log, newest first."""
    deliveries = Delivery.objects.select_related("notification", "user")
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    return deliveries.order_by("-created_at", "-id")
