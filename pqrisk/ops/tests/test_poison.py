"""A message whose task never returns (the worker dies under it every time) is counted on
each delivery and, past PQRISK_TASK_MAX_DELIVERIES, set aside as a dead letter instead of
running again; a task that returns leaves no count behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Ignore
from django.db import OperationalError
from django.test import override_settings

from pqrisk.celery import app
from pqrisk.intake.tasks import INGEST_TASK, ingest_key
from pqrisk.ops.models import DeadLetter, TaskDelivery

pytestmark = pytest.mark.django_db

TASK_ID = "5f0c1a2e-0000-4000-8000-00000000beef"
RECORDS = [{"source": "complaint", "external_id": "P-1", "title": "t", "text": "电暖器起火"}]
KWARGS = {"source_label": "毒消息", "key": ingest_key(RECORDS, "毒消息"), "source": None}


@pytest.fixture
def delivered() -> Iterator[Any]:
    """The ingest task as a worker holds it while running one delivery of the message."""
    task = app.tasks[INGEST_TASK]

    def deliver(retries: int = 0) -> None:
        task.push_request(
            id=TASK_ID, is_eager=False, retries=retries, delivery_info={"routing_key": "ingest"}
        )
        try:
            task.before_start(TASK_ID, [RECORDS], KWARGS)
        finally:
            task.pop_request()

    yield deliver


@override_settings(PQRISK_TASK_MAX_DELIVERIES=3)
def test_the_fourth_delivery_of_a_message_that_never_finished_is_a_dead_letter(
    delivered: Any,
) -> None:
    for _ in range(3):  # each time the worker died before the task returned
        delivered()
    assert TaskDelivery.objects.get().deliveries == 3
    assert not DeadLetter.objects.exists()
    with pytest.raises(Ignore):  # acknowledged, not run
        delivered()
    letter = DeadLetter.objects.get()
    assert letter.task_id == TASK_ID and letter.task_name == INGEST_TASK
    assert letter.queue == "ingest" and letter.kwargs == KWARGS
    assert letter.exception.startswith("PoisonMessage: 第 4 次投递")
    assert not TaskDelivery.objects.exists()


@override_settings(PQRISK_TASK_MAX_DELIVERIES=3)
def test_a_task_that_returns_leaves_no_count_and_retries_count_apart(delivered: Any) -> None:
    task = app.tasks[INGEST_TASK]
    delivered()
    delivered()
    delivered(retries=1)  # a retry is a new message under the same id
    assert sorted(TaskDelivery.objects.values_list("retries", "deliveries")) == [(0, 2), (1, 1)]
    task.push_request(id=TASK_ID, is_eager=False, retries=1)
    try:
        task.after_return("SUCCESS", None, TASK_ID, [RECORDS], KWARGS, None)
    finally:
        task.pop_request()
    assert list(TaskDelivery.objects.values_list("retries", "deliveries")) == [(0, 2)]


def test_run_eagerly_nothing_is_counted() -> None:
    task = app.tasks[INGEST_TASK]
    task.push_request(id=TASK_ID, is_eager=True)
    try:
        task.before_start(TASK_ID, [RECORDS], KWARGS)
    finally:
        task.pop_request()
    assert not TaskDelivery.objects.exists()


def test_without_a_database_the_task_runs_and_meets_the_outage_itself(delivered: Any) -> None:
    with mock.patch.object(
        TaskDelivery.objects, "get_or_create", side_effect=OperationalError("down")
    ):
        delivered()  # not counted, not set aside: the task's own retry handles the outage
    assert not DeadLetter.objects.exists()
