"""Two workers at once, on PostgreSQL (SQLite has no row locks; eager tests run one at a
time): the same delivery run by two workers goes out once, because the first holds the
row lock while it sends and the second then finds it sent."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection

from pqrisk.notifications import services
from pqrisk.notifications.choices import DeliveryStatus
from pqrisk.notifications.models import Delivery
from pqrisk.notifications.tests.helpers import ScriptedEndpoint

pytestmark = [
    # Committed rows for two connections; serialized_rollback restores the reference data
    # (and keeps the flush from re-creating content types under new ids).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("mail_settings"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


class SlowEndpoint(ScriptedEndpoint):
    """Takes half a second to answer 200: long enough for a second worker to arrive."""

    @property
    def status(self) -> int:
        time.sleep(0.5)
        return 200

    @status.setter
    def status(self, value: int) -> None:
        """The constructor's status is not used."""


def test_two_workers_on_one_delivery_send_it_once() -> None:
    slow = SlowEndpoint()
    try:
        with mock.patch.object(services, "enqueue"):
            n = services.notify("both", subject="s", body="", webhooks=[slow.url])
        assert n is not None
        delivery = n.deliveries.get()
        outcomes: list[str] = []

        def worker() -> None:
            try:
                outcomes.append(services.deliver_once(delivery.pk).outcome)
            finally:
                connection.close()

        first, second = threading.Thread(target=worker), threading.Thread(target=worker)
        first.start()
        time.sleep(0.1)
        second.start()
        first.join(10)
        second.join(10)
    finally:
        slow.close()
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(slow.requests) == 1
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT
