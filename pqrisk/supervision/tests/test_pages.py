"""The supervision pages: who sees what, and the forms that record measures and results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pqrisk.supervision import services
from pqrisk.supervision.models import InspectionTask, SpotCheckPlan, SupervisionMeasure
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db

PUDONG, JIADING = "310115", "310114"


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_alice_reads_grades_and_the_explained_page(alice: Any) -> None:
    firm = f.enterprise(PUDONG, "上海晶澜电器有限公司")
    f.risk_info(PUDONG, enterprise=firm)
    services.regrade(firm)
    c = _client(alice)
    page = c.get(reverse("web:supervision_grade_list"), {"grade": "B"})
    assert page.status_code == 200 and "上海晶澜电器有限公司" in page.content.decode()
    detail = c.get(reverse("web:supervision_grade_detail", args=[firm.pk])).content.decode()
    assert "监督抽查不合格" in detail and "25.00" in detail and "分级历史" in detail
    assert c.post(reverse("web:supervision_grade_recompute", args=[firm.pk])).status_code == 302


def test_bob_sees_only_his_district_and_records_a_measure(bob: Any) -> None:
    mine = f.enterprise(PUDONG, "浦东企业有限公司")
    theirs = f.enterprise(JIADING, "嘉定企业有限公司")
    services.regrade_enterprises([mine.pk, theirs.pk])
    c = _client(bob)
    listing = c.get(reverse("web:supervision_grade_list")).content.decode()
    assert "浦东企业有限公司" in listing and "嘉定企业有限公司" not in listing
    assert c.get(reverse("web:supervision_grade_detail", args=[theirs.pk])).status_code == 404

    url = reverse("web:supervision_measure_create", args=[mine.pk])
    today = timezone.localdate().isoformat()
    c.post(url, {"kind": "interview", "decided_on": today, "note": "约谈法定代表人"})
    m = SupervisionMeasure.objects.get()
    assert m.decided_by == bob and m.kind == "interview" and "产品质量法" in m.legal_basis
    assert m.grade == "A"
    bad = c.post(url, {"kind": "nonsense", "decided_on": today}, follow=True)
    assert "提交内容有误" in bad.content.decode()
    assert SupervisionMeasure.objects.count() == 1
    assert "约谈" in c.get(reverse("web:supervision_measure_list")).content.decode()


def test_plans_are_made_by_the_city_and_exported(alice: Any, bob: Any) -> None:
    for _ in range(4):
        f.enterprise(PUDONG)
    c = _client(alice)
    assert "制定抽查计划" in c.get(reverse("web:supervision_plan_list")).content.decode()
    made = c.post(
        reverse("web:supervision_plan_create"),
        {
            "title": "测试计划",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "budget": "0",
            "seed": "7",
        },
    )
    plan = SpotCheckPlan.objects.get()
    assert made.status_code == 302 and made["Location"].endswith(f"/{plan.pk}/")
    assert c.get(reverse("web:supervision_plan_detail", args=[plan.pk])).status_code == 200
    xlsx = c.get(reverse("web:supervision_plan_export", args=[plan.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    refused = c.post(
        reverse("web:supervision_plan_create"),
        {"title": "太多", "period_start": "2026-01-01", "period_end": "2026-12-31", "budget": "99"},
        follow=True,
    )
    assert "可行范围" in refused.content.decode()
    assert _client(bob).post(reverse("web:supervision_plan_create"), {}).status_code == 403
    assert (
        "制定抽查计划"
        not in _client(bob).get(reverse("web:supervision_plan_list")).content.decode()
    )


def test_inspection_tasks_listed_and_closed(bob: Any, charlie: Any) -> None:
    firm = f.enterprise(PUDONG, "上海多投诉电器有限公司")
    for days in (1, 2, 3):
        f.risk_info(
            PUDONG,
            enterprise=firm,
            source_kind="complaint",
            occurred_at=timezone.now() - timedelta(days=days),
        )
    services.run_triggers()
    task = InspectionTask.objects.get()
    assert task.enterprise == firm
    tasks = reverse("web:supervision_task_list")
    assert firm.name in _client(bob).get(tasks).content.decode()
    assert firm.name not in _client(charlie).get(tasks).content.decode()
    url = reverse("web:supervision_task_close", args=[task.pk])
    assert _client(charlie).post(url, {"result": "x"}).status_code == 404
    _client(bob).post(url, {"result": "现场检查未发现问题"})
    task.refresh_from_db()
    assert task.status == "done" and task.closed_at is not None
