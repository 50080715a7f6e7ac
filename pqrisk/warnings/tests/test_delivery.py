"""An industry warning (风险警示) reaches its named recipients: alice names an association by
email and a platform by webhook, publishes, and each is delivered by the Celery task (eager
in tests, never a broker); a failing endpoint is retried and left failed with the reason;
opening the receipt link marks the warning read once. Bob, a district officer, cannot name
recipients."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from conftest import PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.warnings import delivery
from pqrisk.warnings.models import DeliveryStatus, RecipientKind, WarningRecipient
from pqrisk.warnings.services import WarningError, act_on_warning
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db


class Endpoint:
    """A local webhook receiver on 127.0.0.1 answering every POST with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                endpoint.requests.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    e = Endpoint()
    yield e
    e.close()


@pytest.fixture(autouse=True)
def _locmem_email(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PQRISK_BASE_URL = "https://pqrisk.example.cn"
    settings.PQRISK_WEBHOOK_SECRET = "test-secret"


def _industry_warning(status: str = "approved") -> Any:
    return f.warning(
        f.risk_info(PUDONG, title="电热水壶行业风险"),
        WarningLevel.YELLOW,
        status=status,
        modes=(WarningMode.INDUSTRY_WARNING,),
    )


def _no_broker() -> Any:
    """Fail the test if anything tries to send a task to a broker."""
    from pqrisk.celery import app

    return mock.patch.object(app, "send_task", side_effect=AssertionError("broker reached"))


def test_publishing_delivers_by_email_and_webhook(
    alice: Any, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    warning = _industry_warning()
    by_mail = delivery.add_recipient(
        warning,
        alice,
        kind=RecipientKind.ASSOCIATION,
        name="上海市家用电器行业协会",
        email="info@association.example.cn",
    )
    by_hook = delivery.add_recipient(
        warning, alice, kind=RecipientKind.PLATFORM, name="某电商平台", webhook_url=endpoint.url
    )
    assert mail.outbox == [] and endpoint.requests == []  # not yet published

    with _no_broker(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        act_on_warning(warning, "publish", alice)
    assert len(callbacks) == 2

    by_mail.refresh_from_db()
    by_hook.refresh_from_db()
    assert by_mail.delivery_status == by_hook.delivery_status == DeliveryStatus.SENT
    assert by_mail.sent_at is not None and by_mail.attempts == 1

    (message,) = mail.outbox
    assert message.to == ["info@association.example.cn"]
    assert "风险警示" in message.subject
    receipt = f"https://pqrisk.example.cn/warnings/receipt/{by_mail.receipt_token}/"
    assert receipt in message.body
    ((filename, data, mimetype),) = message.attachments
    assert filename.endswith(".docx") and data[:2] == b"PK" and "wordprocessingml" in mimetype

    ((headers, body),) = endpoint.requests
    expected = hmac.new(b"test-secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Pqrisk-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["warning_id"] == warning.pk and payload["version"] == 1
    assert payload["level"] == "yellow" and "风险警示" in payload["title"]
    assert payload["receipt_url"].endswith(f"/warnings/receipt/{by_hook.receipt_token}/")
    assert payload["document_url"].endswith("/document.docx") and payload["text"]
    assert AuditEvent.objects.filter(action="deliver", object_id=str(warning.pk)).count() == 2

    # Publishing twice (or a later schedule) does not deliver again.
    with django_capture_on_commit_callbacks(execute=True):
        delivery.schedule_delivery(warning)
    assert len(mail.outbox) == 1 and len(endpoint.requests) == 1


def test_the_task_runs_eagerly_on_the_projects_app(alice: Any) -> None:
    from pqrisk.celery import app

    assert app.conf.task_always_eager is True
    assert django_settings.CELERY_TASK_ALWAYS_EAGER is True
    warning = _industry_warning(status="published")
    recipient = WarningRecipient.objects.create(
        warning=warning,
        mode=WarningMode.INDUSTRY_WARNING.value,
        kind=RecipientKind.ENTERPRISE,
        name="某电器公司",
        email="qa@firm.example.cn",
    )
    with _no_broker():
        delivery.enqueue(recipient.pk)
    recipient.refresh_from_db()
    assert recipient.delivery_status == DeliveryStatus.SENT and len(mail.outbox) == 1


def test_a_failing_webhook_is_retried_then_left_failed(
    alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    failing = Endpoint(status=500)
    try:
        warning = _industry_warning(status="published")
        with django_capture_on_commit_callbacks(execute=True):
            recipient = delivery.add_recipient(
                warning, alice, kind=RecipientKind.PLATFORM, name="平台", webhook_url=failing.url
            )
    finally:
        failing.close()
    recipient.refresh_from_db()
    assert recipient.delivery_status == DeliveryStatus.FAILED
    assert recipient.attempts == delivery.MAX_RETRIES + 1 == len(failing.requests)
    assert "接收地址返回错误状态 500" in recipient.last_error
    assert recipient.sent_at is None
    assert AuditEvent.objects.filter(action="deliver_failed", object_id=str(warning.pk)).exists()


def test_the_receipt_link_marks_read_once(alice: Any) -> None:
    warning = _industry_warning(status="published")
    recipient = delivery.add_recipient(warning, alice, kind=RecipientKind.OTHER, name="某检测机构")
    url = reverse("warnings:receipt", args=[recipient.receipt_token])
    assert url == f"/warnings/receipt/{recipient.receipt_token}/"

    client = Client()  # no login
    page = client.get(url)
    assert page.status_code == 200
    assert f"已确认阅读：{warning.title}" in page.content.decode()
    recipient.refresh_from_db()
    first = recipient.read_at
    assert first is not None
    client.get(url)
    recipient.refresh_from_db()
    assert recipient.read_at == first
    reads = AuditEvent.objects.filter(action="read_receipt", object_id=str(warning.pk))
    assert reads.count() == 1 and reads.get().actor_label == "某检测机构"

    document = client.get(reverse("warnings:receipt_document", args=[recipient.receipt_token]))
    assert document.status_code == 200
    assert client.get("/warnings/receipt/no-such-token/").status_code == 404


def test_a_district_officer_cannot_name_recipients(alice: Any, bob: Any) -> None:
    warning = _industry_warning()
    with pytest.raises(PermissionDenied):
        delivery.add_recipient(warning, bob, kind=RecipientKind.ENTERPRISE, name="某企业")
    response = login(Client(), bob).post(
        reverse("warnings:add_recipient", args=[warning.pk]),
        {"recipient-kind": "enterprise", "recipient-name": "某企业"},
    )
    assert response.status_code == 302
    assert not WarningRecipient.objects.filter(warning=warning).exists()


def test_webhooks_must_be_https(alice: Any) -> None:
    warning = _industry_warning()
    with pytest.raises(WarningError, match="https://"):
        delivery.add_recipient(
            warning,
            alice,
            kind=RecipientKind.PLATFORM,
            name="平台",
            webhook_url="http://example.com/hook",
        )
    ok = delivery.add_recipient(
        warning,
        alice,
        kind=RecipientKind.PLATFORM,
        name="平台",
        webhook_url="https://example.com/hook",
    )
    assert ok.webhook_url == "https://example.com/hook"


def test_only_industry_warnings_until_lifted(alice: Any) -> None:
    notice = f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW, status="published")
    with pytest.raises(WarningError, match="未采用风险警示"):
        delivery.add_recipient(notice, alice, kind=RecipientKind.OTHER, name="某单位")
    lifted = _industry_warning(status="lifted")
    with pytest.raises(WarningError, match="已解除"):
        delivery.add_recipient(lifted, alice, kind=RecipientKind.OTHER, name="某单位")


def test_the_page_offers_the_enterprises_and_names_them(alice: Any) -> None:
    firm = f.enterprise(PUDONG, "浦东测试电器有限公司")
    warning = f.warning(
        f.risk_info(PUDONG, enterprise=firm),
        WarningLevel.YELLOW,
        status="approved",
        modes=(WarningMode.INDUSTRY_WARNING,),
    )
    assert delivery.suggest_recipients(warning) == [firm]
    client = login(Client(), alice)
    detail = client.get(reverse("web:warning_detail", args=[warning.pk])).content.decode()
    assert "行业警示对象" in detail and "浦东测试电器有限公司" in detail
    client.post(
        reverse("warnings:add_recipient", args=[warning.pk]),
        {
            "recipient-kind": "enterprise",
            "recipient-enterprise": firm.pk,
            "recipient-email": "qa@firm.example.cn",
        },
    )
    recipient = WarningRecipient.objects.get(warning=warning)
    assert recipient.enterprise == firm and recipient.name == firm.name
    assert delivery.suggest_recipients(warning) == []
    assert AuditEvent.objects.filter(action="add_recipient", object_id=str(warning.pk)).exists()
    detail = client.get(reverse("web:warning_detail", args=[warning.pk])).content.decode()
    assert "qa@firm.example.cn" in detail and "待送达" in detail


def test_a_failed_delivery_is_sent_again_and_an_update_goes_out_again(
    alice: Any, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    from pqrisk.warnings.services import update_warning

    failing = Endpoint(status=500)
    try:
        warning = _industry_warning(status="published")
        with django_capture_on_commit_callbacks(execute=True):
            recipient = delivery.add_recipient(
                warning, alice, kind=RecipientKind.PLATFORM, name="平台", webhook_url=failing.url
            )
    finally:
        failing.close()
    recipient.refresh_from_db()
    assert recipient.delivery_status == DeliveryStatus.FAILED
    recipient.webhook_url = endpoint.url  # the platform fixed its address
    recipient.save(update_fields=["webhook_url"])
    with django_capture_on_commit_callbacks(execute=True):
        delivery.resend(recipient, alice)
    recipient.refresh_from_db()
    assert recipient.delivery_status == DeliveryStatus.SENT and len(endpoint.requests) == 1
    with pytest.raises(WarningError, match="只有送达失败"):
        delivery.resend(recipient, alice)
    with django_capture_on_commit_callbacks(execute=True):
        update_warning(warning, alice, body="涉事批次扩大", note="扩大批次")
    recipient.refresh_from_db()
    assert recipient.delivery_status == DeliveryStatus.SENT and len(endpoint.requests) == 2
