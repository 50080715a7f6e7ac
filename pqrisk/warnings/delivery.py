"""Industry warnings (风险警示, ``IndustryWarning``) delivered to named operators,
associations and platforms, by email or webhook, with read receipts.

The city bureau names the recipients of a warning that uses the industry-warning mode (the
enterprises of its risk information are offered); once the warning is published each named
recipient with an email address or a webhook is delivered by the Celery task
``pqrisk.warnings.tasks.deliver_recipient``, retried with exponential back-off. The
recipient confirms reading by opening its receipt link (``/warnings/receipt/<token>/``).
See docs/warnings.md "行业风险警示的送达与回执".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
from typing import Any

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.enterprises.models import Enterprise

from .documents import DocumentContent, DocumentError, render_docx, warning_document
from .models import (
    DeliveryStatus,
    RecipientKind,
    Warning,
    WarningRecipient,
    validate_webhook_url,
)

log = logging.getLogger(__name__)

MODE = WarningMode.INDUSTRY_WARNING
TARGETING_ROLES = (Role.CITY_SUPERVISOR, Role.CITY_ADMIN, Role.ANALYST)
# Retries after the first attempt, waiting 1, 2, 4, 8 and 16 minutes (about half an hour in
# all: long enough for a mail server or an endpoint to come back from a short outage).
MAX_RETRIES = 5
FIRST_RETRY_SECONDS = 60
CONNECT_TIMEOUT = 5.0  # seconds
READ_TIMEOUT = 15.0  # seconds
SIGNATURE_HEADER = "X-Pqrisk-Signature"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEFAULT_BASE_URL = "http://localhost:8000"


class DeliveryFailed(Exception):
    """One delivery attempt failed; ``message_zh`` says why to the bureau."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- targeting


def can_add_recipients(warning: Warning, user: Any) -> bool:
    """Whether ``user`` may name industry-warning recipients of ``warning`` now."""
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role(*TARGETING_ROLES)
        and MODE.value in (warning.modes or [])
        and warning.status != "lifted"
    )


def suggest_recipients(warning: Warning) -> list[Enterprise]:
    """The enterprises of the warning's risk information, then those of its named
    industries (``targeting.industry_enterprises``), not yet named: the page offers them
    (their email is not known; the bureau adds it)."""
    from .targeting import industry_enterprises

    named = set(warning.recipients.filter(mode=MODE.value).values_list("name", flat=True))
    concerned = list(
        Enterprise.objects.filter(risk_infos__warnings=warning)
        .exclude(name__in=named)
        .distinct()
        .order_by("name")
    )
    seen = {e.pk for e in concerned}
    industry = [
        e for e in industry_enterprises(warning) if e.pk not in seen and e.name not in named
    ]
    return concerned + industry


@transaction.atomic
def add_recipient(
    warning: Warning,
    user: Any,
    *,
    kind: str,
    name: str,
    email: str = "",
    webhook_url: str = "",
    enterprise: Enterprise | None = None,
) -> WarningRecipient:
    """Name a recipient of the industry warning (city roles, until the warning is lifted);
    audited. On a published warning it is delivered at once."""
    from .services import WarningError

    require_role(user, *TARGETING_ROLES)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if MODE.value not in (warning.modes or []):
        raise WarningError("该预警未采用风险警示方式，不能添加行业警示对象")
    if warning.status == "lifted":
        raise WarningError("预警已解除，不能再添加行业警示对象")
    if kind not in RecipientKind.values:
        raise WarningError("请选择单位类别：企业、行业协会、电商平台或其他")
    name = (name or (enterprise.name if enterprise else "")).strip()
    if not name:
        raise WarningError("请填写主送单位名称")
    email, webhook_url = email.strip(), webhook_url.strip()
    try:
        if email:
            validate_email(email)
    except ValidationError as exc:
        raise WarningError(f"电子邮箱“{email}”格式不正确") from exc
    try:
        if webhook_url:
            validate_webhook_url(webhook_url)
    except ValidationError as exc:
        raise WarningError("；".join(exc.messages)) from exc
    if warning.recipients.filter(mode=MODE.value, name=name[:200]).exists():
        raise WarningError(f"“{name}”已是本预警的行业警示对象")
    recipient = WarningRecipient.objects.create(
        warning=warning,
        mode=MODE.value,
        kind=kind,
        name=name[:200],
        email=email,
        webhook_url=webhook_url,
        enterprise=enterprise,
    )
    audit(
        "add_recipient",
        warning,
        actor=user,
        message=f"添加行业警示对象：{recipient.name}（{recipient.get_kind_display()}）",
        detail={"recipient": recipient.pk, "email": bool(email), "webhook": bool(webhook_url)},
    )
    if warning.status == "published" and recipient.has_channel:
        transaction.on_commit(lambda: enqueue(recipient.pk))
    return recipient


# ---------------------------------------------------------------- delivery


def schedule_delivery(warning: Warning) -> int:
    """Enqueue the delivery of the industry warning to each pending recipient with an email
    or webhook, once the surrounding transaction commits. Returns how many."""
    if MODE.value not in (warning.modes or []):
        return 0
    pending = (
        warning.recipients.filter(mode=MODE.value, delivery_status=DeliveryStatus.PENDING)
        .exclude(email="", webhook_url="")
        .values_list("pk", flat=True)
    )
    ids = list(pending)
    for pk in ids:
        transaction.on_commit(lambda pk=pk: enqueue(pk))  # type: ignore[misc]
    return len(ids)


def redeliver_after_update(warning: Warning) -> int:
    """An updated industry warning goes again to those who had the previous version (their
    read receipt starts over for the new version). Returns how many."""
    again = warning.recipients.filter(mode=MODE.value, delivery_status=DeliveryStatus.SENT).exclude(
        email="", webhook_url=""
    )
    count = again.update(
        delivery_status=DeliveryStatus.PENDING, attempts=0, last_error="", read_at=None
    )
    schedule_delivery(warning)
    return count


@transaction.atomic
def resend(recipient: WarningRecipient, user: Any) -> WarningRecipient:
    """Try a failed delivery again (after the address was checked); audited."""
    from .services import WarningError

    require_role(user, *TARGETING_ROLES)
    recipient = WarningRecipient.objects.select_for_update().get(pk=recipient.pk)
    if recipient.delivery_status != DeliveryStatus.FAILED:
        raise WarningError("只有送达失败的对象可以重新发送")
    if recipient.warning.status != "published":
        raise WarningError("预警未在发布状态，不能发送")
    recipient.delivery_status, recipient.attempts, recipient.last_error = (
        DeliveryStatus.PENDING,
        0,
        "",
    )
    recipient.save(update_fields=["delivery_status", "attempts", "last_error"])
    audit(
        "resend",
        recipient.warning,
        actor=user,
        message=f"重新向{recipient.name}发送风险警示",
        detail={"recipient": recipient.pk},
    )
    transaction.on_commit(lambda: enqueue(recipient.pk))
    return recipient


def enqueue(recipient_id: int) -> None:
    """Hand one delivery to the project's Celery app (``pqrisk.celery.app``): run at once
    when it is eager (tests, laptop without a broker), sent to the broker otherwise. The
    app is imported here, since ``pqrisk/__init__`` does not, and a bare ``shared_task``
    would otherwise use Celery's default app. Importing the task module registers the
    task with the app even before the app's lazy autodiscovery has run."""
    from pqrisk.celery import app
    from pqrisk.warnings import tasks

    app.tasks[tasks.deliver_recipient.name].delay(recipient_id)


def retry_delay(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 1, 2, 4, 8, 16 minutes."""
    return int(FIRST_RETRY_SECONDS * 2**retries)


def base_url() -> str:
    return str(getattr(settings, "PQRISK_BASE_URL", DEFAULT_BASE_URL)).rstrip("/")


def receipt_url(recipient: WarningRecipient) -> str:
    return base_url() + reverse("warnings:receipt", args=[recipient.receipt_token])


def document_url(recipient: WarningRecipient) -> str:
    return base_url() + reverse("warnings:receipt_document", args=[recipient.receipt_token])


def document_text(content: DocumentContent) -> str:
    """The document as plain text: 主送, body, 落款 and date."""
    lines = [content.number, content.title, ""]
    if content.recipients:
        lines.append(f"{content.recipients}：")
    lines += [*content.body, "", content.signature, content.date]
    return "\n".join(lines)


def webhook_secret() -> bytes:
    return str(getattr(settings, "PQRISK_WEBHOOK_SECRET", "") or settings.SECRET_KEY).encode()


def sign(body: bytes) -> str:
    """The ``X-Pqrisk-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(webhook_secret(), body, hashlib.sha256).hexdigest()


def send_email(recipient: WarningRecipient, content: DocumentContent) -> None:
    body = (
        f"{document_text(content)}\n\n"
        f"请点击以下链接确认已阅读本风险警示：\n{receipt_url(recipient)}\n\n"
        f"文书（Word）已作为附件发送，也可从以下地址下载：\n{document_url(recipient)}\n"
    )
    message = EmailMessage(subject=content.title, body=body, to=[recipient.email])
    message.attach(content.filename("docx"), render_docx(content), DOCX_TYPE)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"邮件发送失败（{recipient.email}）：{exc}") from exc


def webhook_payload(recipient: WarningRecipient, content: DocumentContent) -> bytes:
    warning = recipient.warning
    payload = {
        "warning_id": warning.pk,
        "version": warning.version,
        "level": warning.level,
        "level_label": WarningLevel(warning.level).label,
        "recipient": recipient.name,
        "number": content.number,
        "title": content.title,
        "text": document_text(content),
        "document_url": document_url(recipient),
        "receipt_url": receipt_url(recipient),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def post_webhook(recipient: WarningRecipient, content: DocumentContent) -> None:
    url = recipient.webhook_url
    try:
        validate_webhook_url(url)
    except ValidationError as exc:
        raise DeliveryFailed("；".join(exc.messages)) from exc
    body = webhook_payload(recipient, content)
    headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(body)}
    try:
        response = httpx.post(
            url,
            content=body,
            headers=headers,
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(f"连接接收地址超时：{url}") from exc
    except httpx.ConnectError as exc:
        raise DeliveryFailed(f"无法连接接收地址（地址不存在或拒绝连接）：{url}") from exc
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"向接收地址推送失败（网络或协议错误）：{url}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"接收地址返回错误状态 {response.status_code}，未确认接收：{url}")


def deliver_once(recipient_id: int, *, final: bool) -> str:
    """One delivery attempt of one recipient: email and/or webhook. Records the outcome and
    returns "sent", "skipped" (nothing to do), "retry" (failed, try again) or "failed"
    (failed for good when ``final``)."""
    recipient = (
        WarningRecipient.objects.select_related("warning", "warning__product_category")
        .filter(pk=recipient_id)
        .first()
    )
    if (
        recipient is None
        or recipient.delivery_status == DeliveryStatus.SENT
        or not recipient.has_channel
        or recipient.warning.status != "published"
    ):
        return "skipped"
    warning = recipient.warning
    recipient.attempts += 1
    try:
        content = warning_document(warning, MODE)
        if recipient.email:
            send_email(recipient, content)
        if recipient.webhook_url:
            post_webhook(recipient, content)
    except (DeliveryFailed, DocumentError) as exc:
        error = exc.message_zh if isinstance(exc, DeliveryFailed) else f"文书生成失败：{exc}"
        recipient.delivery_status = DeliveryStatus.FAILED
        recipient.last_error = error[:500]
        recipient.save(update_fields=["attempts", "delivery_status", "last_error"])
        log.warning("industry warning %s to %s failed: %s", warning.pk, recipient.pk, error)
        if not final:
            return "retry"
        audit(
            "deliver_failed",
            warning,
            message=f"风险警示未能送达{recipient.name}（尝试{recipient.attempts}次）：{error}",
            detail={"recipient": recipient.pk, "version": warning.version},
        )
        return "failed"
    now = timezone.now()
    recipient.delivery_status = DeliveryStatus.SENT
    recipient.last_error = ""
    recipient.sent_at = recipient.delivered_at = now
    recipient.save(
        update_fields=["attempts", "delivery_status", "last_error", "sent_at", "delivered_at"]
    )
    channels = "、".join(
        c for c, on in (("邮件", recipient.email), ("接口推送", recipient.webhook_url)) if on
    )
    audit(
        "deliver",
        warning,
        message=f"风险警示已送达{recipient.name}（{channels}）",
        detail={"recipient": recipient.pk, "version": warning.version},
    )
    return "sent"


# ---------------------------------------------------------------- read receipts


def recipient_by_token(token: str) -> WarningRecipient | None:
    return (
        WarningRecipient.objects.select_related("warning", "warning__product_category")
        .filter(receipt_token=token, mode=MODE.value)
        .first()
    )


def mark_read(recipient: WarningRecipient) -> bool:
    """Record that the recipient opened its receipt link: the first time only, audited.
    Returns whether this was the first time."""
    now = timezone.now()
    first = bool(
        WarningRecipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(read_at=now)
    )
    if first:
        recipient.read_at = now
        audit(
            "read_receipt",
            recipient.warning,
            actor_label=recipient.name,
            message=f"{recipient.name}确认已阅读风险警示",
            detail={"recipient": recipient.pk, "version": recipient.warning.version},
        )
    else:
        recipient.refresh_from_db(fields=["read_at"])
    return first
