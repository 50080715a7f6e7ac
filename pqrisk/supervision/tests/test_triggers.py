"""Trigger-based supervision: exactly one inspection task per trigger event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pqrisk.audit.models import AuditEvent
from pqrisk.core.levels import WarningLevel
from pqrisk.reference.models import ProductCategory
from pqrisk.supervision import services, tasks
from pqrisk.supervision.models import InspectionTask, SupervisionTrigger
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db

PUDONG, JIADING = "310115", "310114"


def _category() -> ProductCategory:
    cat = ProductCategory.objects.order_by("-level", "code").first()
    assert cat is not None
    return cat


def _complaint(firm: Any, days: int) -> Any:
    return f.risk_info(
        PUDONG,
        title="投诉：水壶漏电",
        enterprise=firm,
        source_kind="complaint",
        occurred_at=timezone.now() - timedelta(days=days),
    )


def test_a_trigger_creates_exactly_one_inspection_task_per_event() -> None:
    cat = _category()
    quiet = f.enterprise(PUDONG, "上海安静电器有限公司")
    quiet.products.add(cat)
    failing = f.enterprise(JIADING, "上海问题电器有限公司")
    services.regrade_enterprises([quiet.pk, failing.pk])
    failed = f.risk_info(JIADING, enterprise=failing, product_category=cat)  # failed spot check
    for days in (3, 5, 8):
        _complaint(quiet, days)

    first = services.run_triggers()
    assert first.created == 2
    rules = set(SupervisionTrigger.objects.values_list("rule", flat=True))
    assert rules == {"complaint_cluster", "failed_elsewhere"}
    task = InspectionTask.objects.get(trigger__rule="failed_elsewhere")
    assert task.enterprise == quiet and task.district.code == PUDONG
    assert f"riskinfo:{failed.pk}" in task.trigger.event_key
    assert task.status == "open" and task.due_date > timezone.localdate()

    again = services.run_triggers()
    assert again.found == first.found and again.created == 0
    assert tasks.run_triggers() == {"found": first.found, "created": 0}
    assert InspectionTask.objects.count() == 2
    assert SupervisionTrigger.objects.count() == 2
    assert AuditEvent.objects.filter(object_type="supervision.inspectiontask").count() == 2


def test_a_published_warning_in_its_category_triggers_a_quiet_firm_only() -> None:
    cat = _category()
    quiet = f.enterprise(PUDONG)
    quiet.products.add(cat)
    risky = f.enterprise(PUDONG)
    risky.products.add(cat)
    services.regrade_enterprises([quiet.pk, risky.pk])
    for _ in range(3):
        f.risk_info(PUDONG, enterprise=risky, source_kind="penalty")
    services.regrade(risky)
    info = f.risk_info(PUDONG, product_category=cat, source_kind="media")
    f.warning(info, WarningLevel.YELLOW, status="published")

    services.run_triggers()
    assert set(InspectionTask.objects.values_list("enterprise", "trigger__rule")) == {
        (quiet.pk, "category_warning")
    }
