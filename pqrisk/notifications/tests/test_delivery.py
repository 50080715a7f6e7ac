"""Outside deliveries: sent by the Celery task (eager in tests, never a broker) once the
caller's transaction commits; a webhook is signed; a failure is retried with exponential
back-off and, after the last attempt, left failed with its reason; a delivery runs twice
but goes out once; the sweeper picks up what was lost on the way."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.celery import app
from pqrisk.notifications import services, tasks
from pqrisk.notifications.choices import DeliveryStatus
from pqrisk.notifications.models import Delivery
from pqrisk.notifications.services import MAX_ATTEMPTS, NotificationError, notify
from pqrisk.notifications.tests.helpers import ScriptedEndpoint, with_email
from pqrisk.warnings.delivery import retry_delay
from pqrisk.warnings.tests.test_delivery import _no_broker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


def _hooked(url: str, key: str = "warning:3:published") -> Delivery:
    n = notify(key, subject="风险预警已发布", body="橙色预警", link="/warnings/3/", webhooks=[url])
    assert n is not None
    return n.deliveries.get()


def test_nothing_is_sent_before_the_callers_transaction_commits(
    bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(bob, "bob@pudong.example.cn")
    with _no_broker(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify("t1", subject="s", body="b", users=[bob])
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.sent_at is not None and len(mail.outbox) == 1


def test_a_webhook_gets_the_signed_notification(
    endpoint: ScriptedEndpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with _no_broker(), django_capture_on_commit_callbacks(execute=True):
        delivery = _hooked(endpoint.url)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT

    ((headers, body),) = endpoint.requests
    expected = hmac.new(b"test-secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Pqrisk-Signature"] == f"sha256={expected}"
    assert headers["X-Pqrisk-Delivery"] == str(delivery.pk)
    payload = json.loads(body)
    assert payload["key"] == "warning:3:published" and payload["subject"] == "风险预警已发布"
    assert payload["link"] == "https://pqrisk.example.cn/warnings/3/"
    assert payload["level"] == "info" and payload["level_label"] == "一般"


def test_a_failure_is_retried_with_back_off_until_it_succeeds(
    django_capture_on_commit_callbacks: Any,
) -> None:
    flaky = ScriptedEndpoint(503, 500, 200)
    task = app.tasks[tasks.deliver.name]
    try:
        with (
            mock.patch.object(task, "retry", wraps=task.retry) as retry,
            django_capture_on_commit_callbacks(execute=True),
        ):
            delivery = _hooked(flaky.url)
    finally:
        flaky.close()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3
    assert delivery.last_error == "" and len(flaky.requests) == 3
    # 1 minute after the first failure, 2 after the second (pqrisk/warnings/delivery.py).
    waits = [c.kwargs["countdown"] for c in retry.call_args_list]
    assert waits == [retry_delay(0), retry_delay(1)] == [60, 120]


def test_the_next_attempt_is_due_after_the_back_off(endpoint: ScriptedEndpoint) -> None:
    endpoint._script = [500]
    with mock.patch.object(services, "enqueue"):
        delivery = _hooked(endpoint.url)
    now = timezone.now()
    attempt = services.deliver_once(delivery.pk, now=now)
    assert attempt == services.Attempt("retry", 60)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.due_at == now + timedelta(seconds=60)
    assert "接收地址返回错误状态 500" in delivery.last_error


def test_a_delivery_that_keeps_failing_is_left_failed_with_the_reason(
    django_capture_on_commit_callbacks: Any,
) -> None:
    failing = ScriptedEndpoint(500)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            delivery = _hooked(failing.url)
    finally:
        failing.close()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.sent_at is None
    assert delivery.attempts == MAX_ATTEMPTS == len(failing.requests) == 6
    assert "接收地址返回错误状态 500" in delivery.last_error
    event = AuditEvent.objects.get(action="deliver_failed", object_id=str(delivery.pk))
    assert "尝试6次" in event.message


def test_an_unreachable_webhook_says_so(django_capture_on_commit_callbacks: Any) -> None:
    gone = ScriptedEndpoint(200)
    url = gone.url
    gone.close()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _hooked(url)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("无法连接接收地址")


def test_the_task_running_twice_sends_once(
    bob: User, endpoint: ScriptedEndpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(bob, "bob@pudong.example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        n = notify("twice", subject="s", body="b", users=[bob], webhooks=[endpoint.url])
    assert n is not None
    for delivery in n.deliveries.all():
        assert app.tasks[tasks.deliver.name].delay(delivery.pk).get() == "skipped"
        services.enqueue(delivery.pk)
    assert len(mail.outbox) == 1 and len(endpoint.requests) == 1
    assert set(n.deliveries.values_list("attempts", flat=True)) == {1}


def test_the_sweeper_sends_what_was_lost_on_the_way(bob: User) -> None:
    with_email(bob, "bob@pudong.example.cn")
    with mock.patch.object(services, "enqueue"):  # the broker lost the message
        n = notify("lost", subject="s", body="b", users=[bob])
    assert n is not None
    assert services.sweep_stuck() == 0  # not yet overdue
    assert mail.outbox == []
    later = timezone.now() + services.STUCK_AFTER + timedelta(minutes=1)
    with _no_broker():
        assert services.sweep_stuck(now=later) == 1
    assert n.deliveries.get().status == DeliveryStatus.SENT and len(mail.outbox) == 1
    assert services.sweep_stuck(now=later + timedelta(hours=1)) == 0


def test_the_sweeper_is_a_scheduled_task(settings: Any) -> None:
    schedule = {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.sweep_deliveries.name in schedule
    assert tasks.sweep_deliveries.name in app.tasks and tasks.deliver.name in app.tasks
    assert app.tasks[tasks.sweep_deliveries.name].delay().get() == 0


def test_a_failed_delivery_is_sent_again_by_the_city_admin_only(
    frank: User, alice: User, endpoint: ScriptedEndpoint, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = _hooked("http://127.0.0.1:9/unreachable")
    delivery.status, delivery.attempts = DeliveryStatus.FAILED, MAX_ATTEMPTS
    delivery.address = endpoint.url  # the bureau corrected the address in the admin
    delivery.save()

    with pytest.raises(PermissionDenied):
        services.retry_delivery(delivery, alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_delivery(delivery, frank)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert len(endpoint.requests) == 1
    event = AuditEvent.objects.get(action="retry", object_id=str(delivery.pk))
    assert event.actor == frank and event.to_state == DeliveryStatus.PENDING

    with pytest.raises(NotificationError) as refused:
        services.retry_delivery(delivery, frank)
    assert refused.value.message_zh == "只有发送失败的记录可以重新发送"
