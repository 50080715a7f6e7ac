"""Two workers processing foreign alerts at once, on PostgreSQL (SQLite has no row locks):
each raw item gets exactly one alert and one tagging audit event, whoever takes it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from pqrisk.audit.models import AuditEvent
from pqrisk.foreign import services
from pqrisk.foreign.models import ForeignAlert
from pqrisk.intake.models import RawItem

from .conftest import SG_CSV, SG_JSON

pytestmark = [
    # Committed rows for two connections; serialized_rollback restores the reference data
    # (and keeps the flush from re-creating content types under new ids).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_workers_tag_each_item_once() -> None:
    services.ingest_foreign_file(SG_CSV)
    services.ingest_foreign_file(SG_JSON)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(services.process_pending(chunk=2))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    items = RawItem.objects.filter(source_kind="foreign_recall").count()
    assert ForeignAlert.objects.count() == items == 12
    assert AuditEvent.objects.filter(action="foreign_tagged").count() == 12
    assert sum(r.get("tagged", 0) for r in results) == 12
