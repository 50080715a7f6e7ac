"""Dead letters: a task that failed for good is kept with its arguments; the city bureau's
administrators and supervisors re-enqueue it (重试) or discard it with a reason (丢弃), both
audited; nobody else sees the page. Idempotency keys make a message's work happen once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.celery import app
from pqrisk.intake.models import IngestBatch, RawItem
from pqrisk.intake.tasks import INGEST_TASK, ingest_key, send_ingest
from pqrisk.ops import services
from pqrisk.ops.choices import DeadLetterStatus
from pqrisk.ops.models import DeadLetter, ProcessedTask
from pqrisk.ops.tasks import import_dead_letter_spool

pytestmark = pytest.mark.django_db

RECORDS = [
    {
        "source": "complaint",
        "external_id": f"DL-{i}",
        "occurred_at": "2026-05-01",
        "title": "儿童玩具小零件脱落",
        "text": f"家长反映玩具小零件容易脱落，存在误吞风险（{i}）。",
    }
    for i in range(3)
]


def _ingest_kwargs(label: str = "死信测试") -> dict[str, Any]:
    return {"source_label": label, "key": ingest_key(RECORDS, label), "source": None}


def _fail_on_a_worker(task_name: str, kwargs: dict[str, Any], exc: Exception) -> DeadLetter:
    """What a worker does when a task's retries have run out: the base class's on_failure."""
    task = app.tasks[task_name]
    task.push_request(
        id="5f0c1a2e-0000-4000-8000-000000000001",
        is_eager=False,
        retries=10,
        delivery_info={"routing_key": "ingest"},
    )
    try:
        task.on_failure(exc, task.request.id, [RECORDS], kwargs, None)
    finally:
        task.pop_request()
    return DeadLetter.objects.get()


@pytest.fixture
def letter() -> DeadLetter:
    return _fail_on_a_worker(
        INGEST_TASK, _ingest_kwargs(), OperationalError("could not connect to server")
    )


def test_a_task_failed_for_good_becomes_a_pending_dead_letter_with_its_arguments(
    letter: DeadLetter,
) -> None:
    assert letter.task_name == INGEST_TASK
    assert letter.status == DeadLetterStatus.PENDING
    assert letter.retries == 10 and letter.failures == 1 and letter.queue == "ingest"
    assert letter.args == [RECORDS] and letter.kwargs == _ingest_kwargs()
    assert "OperationalError" in letter.exception
    assert AuditEvent.objects.filter(action="dead_letter", object_id=str(letter.pk)).exists()


def test_the_same_task_failing_again_updates_its_letter(letter: DeadLetter) -> None:
    letter.status = DeadLetterStatus.RETRIED
    letter.save()
    again = _fail_on_a_worker(INGEST_TASK, _ingest_kwargs(), ValueError("仍然失败"))
    assert again.pk == letter.pk
    assert again.failures == 2 and again.status == DeadLetterStatus.PENDING
    assert "ValueError" in again.exception


def test_a_failure_run_eagerly_reaches_the_caller_and_leaves_no_letter() -> None:
    with pytest.raises(TypeError):
        app.tasks[INGEST_TASK].apply(args=[RECORDS], kwargs={"source_label": "x"}, throw=True)
    assert not DeadLetter.objects.exists()


def test_without_a_database_the_letter_waits_in_the_spool(tmp_path: Path, settings: Any) -> None:
    settings.PQRISK_DEAD_LETTER_SPOOL = str(tmp_path / "spool")
    with mock.patch.object(services, "_store", side_effect=OperationalError("database down")):
        assert (
            services.record_dead_letter(
                task_name=INGEST_TASK,
                task_id="t-1",
                args=[RECORDS],
                kwargs=_ingest_kwargs(),
                exception="OperationalError: database down",
            )
            is None
        )
    files = list((tmp_path / "spool").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["task_id"] == "t-1"
    assert not DeadLetter.objects.exists()
    assert import_dead_letter_spool.delay().get() == 1
    assert DeadLetter.objects.get().task_id == "t-1"
    assert not list((tmp_path / "spool").glob("*.json"))


def test_a_message_delivered_twice_is_ingested_once() -> None:
    first = send_ingest(RECORDS, source_label="重复投递")
    second = send_ingest(RECORDS, source_label="重复投递")
    assert first == second
    assert RawItem.objects.filter(external_id__startswith="DL-").count() == 3
    assert IngestBatch.objects.filter(source_label="重复投递").count() == 1
    assert ProcessedTask.objects.filter(key=f"ingest:{first}").count() == 1
    # The stored result is what the second delivery returns.
    result = app.tasks[INGEST_TASK].apply(args=[RECORDS], kwargs=_ingest_kwargs("重复投递")).get()
    assert result["accepted"] == 3 and result["already_processed"] is True


def test_work_that_fails_leaves_no_key_so_the_redelivery_does_it() -> None:
    def broken() -> dict[str, Any]:
        ProcessedTask.objects.count()
        raise OperationalError("connection lost")

    with pytest.raises(OperationalError):
        services.run_once("k-1", "t", broken)
    assert not ProcessedTask.objects.filter(key="k-1").exists()
    assert services.run_once("k-1", "t", lambda: {"done": 1}) == {"done": 1}
    assert services.run_once("k-1", "t", lambda: {"done": 2})["done"] == 1


# -- the page -----------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_supervisors_and_administrators_see_the_dead_letters_in_chinese(
    letter: DeadLetter, alice: User
) -> None:
    admin = make_user("adam", Role.CITY_ADMIN)
    for user in (alice, admin):
        page = _client(user).get(reverse("ops:dead_letter_list"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "死信任务" in text and INGEST_TASK in text and "待处理" in text
        detail = _client(user).get(reverse("ops:dead_letter_detail", args=[letter.pk]))
        assert "重试" in detail.content.decode() and "丢弃理由" in detail.content.decode()


def test_nobody_else_sees_the_dead_letters(
    letter: DeadLetter, dana: User, bob: User, eve: User, client: Client
) -> None:
    for user in (dana, bob, eve):
        for url in (
            reverse("ops:dead_letter_list"),
            reverse("ops:dead_letter_detail", args=[letter.pk]),
        ):
            assert _client(user).get(url).status_code == 403, (user.username, url)
        for action in ("dead_letter_retry", "dead_letter_discard"):
            url = reverse(f"ops:{action}", args=[letter.pk])
            assert _client(user).post(url, {"reason": "x"}).status_code == 403
    assert client.get(reverse("ops:dead_letter_list")).status_code == 302  # to the login
    letter.refresh_from_db()
    assert letter.status == DeadLetterStatus.PENDING


def test_alice_retries_a_dead_ingest_and_the_items_arrive(letter: DeadLetter, alice: User) -> None:
    page = _client(alice).post(reverse("ops:dead_letter_retry", args=[letter.pk]), follow=True)
    assert "已重新执行" in page.content.decode()
    letter.refresh_from_db()
    assert letter.status == DeadLetterStatus.RETRIED and letter.resolved_by == "alice"
    assert RawItem.objects.filter(external_id__startswith="DL-").count() == 3
    event = AuditEvent.objects.get(action="dead_letter_retry", object_id=str(letter.pk))
    assert event.actor == alice and event.from_state == "pending" and event.to_state == "retried"
    # Retried once is enough: a second retry is refused in Chinese.
    again = _client(alice).post(reverse("ops:dead_letter_retry", args=[letter.pk]), follow=True)
    assert "该死信已重试，不能重试" in again.content.decode()


def test_a_retry_that_fails_again_is_pending_again(alice: User) -> None:
    letter = _fail_on_a_worker(
        INGEST_TASK, {"source_label": "缺少幂等键"}, TypeError("missing key")
    )
    outcome = services.retry_dead_letter(letter, alice)
    assert "仍失败" in outcome
    letter.refresh_from_db()
    assert letter.status == DeadLetterStatus.PENDING and letter.failures == 2


def test_discarding_needs_a_reason_and_is_audited(letter: DeadLetter, alice: User) -> None:
    url = reverse("ops:dead_letter_discard", args=[letter.pk])
    page = _client(alice).post(url, {"reason": "  "}, follow=True)
    assert "丢弃死信须填写理由" in page.content.decode()
    letter.refresh_from_db()
    assert letter.status == DeadLetterStatus.PENDING
    _client(alice).post(url, {"reason": "测试数据，来源已重新报送"})
    letter.refresh_from_db()
    assert letter.status == DeadLetterStatus.DISCARDED
    assert letter.note == "测试数据，来源已重新报送"
    event = AuditEvent.objects.get(action="dead_letter_discard", object_id=str(letter.pk))
    assert event.actor == alice and "来源已重新报送" in event.message
    with pytest.raises(services.OpsError):
        services.retry_dead_letter(letter, alice)


def test_a_task_that_no_longer_exists_cannot_be_retried(alice: User) -> None:
    letter = DeadLetter.objects.create(
        task_name="pqrisk.gone.tasks.old",
        task_id="t-gone",
        exception="KeyError",
        last_failed_at="2026-05-01T00:00:00+08:00",
    )
    with pytest.raises(services.OpsError, match="已不存在"):
        services.retry_dead_letter(letter, alice)
