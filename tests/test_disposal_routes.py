"""Routing by finding (联动处置, METHODS §3): one warning, several routed actions, each with
its handling unit, clock and result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from conftest import JIADING, PUDONG
from pqrisk.core.levels import Scope, WarningLevel
from pqrisk.disposal.models import DisposalTask, TaskRoute
from pqrisk.disposal.services import (
    DisposalError,
    add_route,
    overdue_routes,
    record_follow_up,
    record_recall_progress,
    record_route_result,
    run_clocks,
)
from pqrisk.reference.models import District, ProductCategory
from pqrisk.warnings.services import approve_warning
from pqrisk.web.tests import factories

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def every_finding(alice: Any) -> Any:
    """A CCC product by a licensed producer in Jiading failed a spot check (suspected
    violation), orange, city-wide: Jiading and Pudong must dispose."""
    firm = factories.enterprise(JIADING)
    ccc = ProductCategory.objects.filter(ccc=True).order_by("code").first()
    assert ccc is not None
    info = factories.risk_info(JIADING, enterprise=firm)
    info.product_category = ccc
    info.save()
    warning = factories.warning(info, level=WarningLevel.ORANGE)
    warning.product_category = ccc
    warning.scope = Scope.CITY.value
    warning.district = None
    warning.save()
    warning.target_districts.set(District.objects.filter(code__in=[JIADING, PUDONG]))
    with time_machine.travel(MONDAY, tick=False):
        return approve_warning(warning, alice)


def route(task: DisposalTask, name: str) -> TaskRoute:
    return task.route_items.get(route=name)


def test_one_warning_creates_several_routed_actions(alice) -> None:
    warning = every_finding(alice)
    jiading = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    pudong = DisposalTask.objects.get(warning=warning, district__code=PUDONG)
    # the lead task (where the evidence is) carries the product-wide routes
    assert jiading.lead and not pudong.lead
    assert jiading.routes == [
        "inspection",
        "certification",
        "enforcement",
        "recall",
        "yrd_sharing",
    ]
    assert pudong.routes == ["inspection", "enforcement"]
    assert set(jiading.route_items.values_list("route", flat=True)) == set(jiading.routes)
    units = dict(jiading.route_items.values_list("route", "unit"))
    assert units["inspection"] == "嘉定区市场监管局"
    assert units["enforcement"].startswith("市市场监管局执法总队")  # orange: city organises
    assert "认证" in units["certification"] and "召回" in units["recall"]
    assert route(jiading, "inspection").due_at == MONDAY + timedelta(hours=48)
    assert route(jiading, "enforcement").due_at == MONDAY + timedelta(hours=120)


def test_inspection_by_the_district(alice, charlie, bob) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    item = route(task, "inspection")
    with pytest.raises(DisposalError, match="本区"):
        record_route_result(item, bob, result="越权")
    with pytest.raises(DisposalError, match="办理结果"):
        record_route_result(item, charlie, result=" ")
    item = record_route_result(item, charlie, result="现场检查2条生产线，封存库存300件")
    assert item.status == "done" and item.follow_up_due_at is None


def test_certification_body_is_notified_by_the_city_and_followed_up(alice, charlie) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    item = route(task, "certification")
    with pytest.raises(DisposalError, match="市局"):
        record_route_result(item, charlie, result="区局通报")
    done_at = MONDAY + timedelta(hours=10)
    with time_machine.travel(done_at, tick=False):
        item = record_route_result(
            item,
            alice,
            result="函告发证机构暂停证书",
            reference="沪市监认函〔2026〕12号",
            counterpart="中国质量认证中心",
        )
    assert item.follow_up_due_at == done_at + timedelta(days=30)
    with time_machine.travel(done_at + timedelta(days=30, hours=1), tick=False):
        assert item in overdue_routes()
        assert run_clocks()["routes_overdue"] >= 1
    record_follow_up(item, alice, result="证书已暂停，企业整改中")
    item.refresh_from_db()
    assert item.follow_up_done_at is not None
    with pytest.raises(DisposalError, match="已完成"):
        record_follow_up(item, alice, result="again")


def test_enforcement_case_is_handed_to_the_enforcement_unit(alice) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=PUDONG)
    item = route(task, "enforcement")
    assert item.unit == "市市场监管局执法总队（会同浦东新区市场监管局）"
    item = record_route_result(
        item, alice, result="已移交立案", reference="沪市监总队案〔2026〕8号"
    )
    assert item.reference.endswith("8号")


def test_recall_supervision_records_progress_and_effectiveness(alice, charlie) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    item = route(task, "recall")
    with pytest.raises(DisposalError, match="市局"):
        record_recall_progress(item, charlie, units_in_use=1000, units_recovered=10)
    with pytest.raises(DisposalError, match="之间"):
        record_recall_progress(item, alice, units_in_use=1000, units_recovered=1001)
    with pytest.raises(DisposalError, match="大于0"):
        record_recall_progress(item, alice, units_in_use=0, units_recovered=0)
    record_recall_progress(item, alice, units_in_use=1000, units_recovered=250)
    latest = record_recall_progress(item, alice, units_in_use=1000, units_recovered=640)
    assert latest.effectiveness == pytest.approx(0.64)
    assert item.recall_progress.count() == 2
    with pytest.raises(DisposalError, match="召回进度"):
        record_recall_progress(route(task, "inspection"), alice, units_in_use=1, units_recovered=1)


def test_standards_feedback_is_added_by_the_city_and_sent(alice, charlie) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    with pytest.raises(DisposalError, match="市局"):
        add_route(task, "standards", charlie)
    item = add_route(task, "standards", alice)
    with pytest.raises(DisposalError, match="已有"):
        add_route(task, "standards", alice)
    task.refresh_from_db()
    assert "standards" in task.routes and "市局标准化处" in task.participants
    assert item.due_at is not None
    item = record_route_result(item, alice, result="函告标准化处：现行标准缺少过充电保护试验")
    assert item.status == "done"


def test_yrd_sharing_is_a_task_of_its_own(alice) -> None:
    warning = every_finding(alice)
    task = DisposalTask.objects.get(warning=warning, district__code=JIADING)
    item = route(task, "yrd_sharing")
    assert item.status == "open" and item.unit == "市局长三角区域协作联络组"
    assert item.due_at == MONDAY + timedelta(hours=48)


def test_a_route_overdue_is_reminded_then_reported_once(alice) -> None:
    warning = every_finding(alice)
    with time_machine.travel(MONDAY + timedelta(hours=37), tick=False):
        # orange inspection (48 h) reminded 12 h before
        first = run_clocks()
        assert first["reminded"] >= 2  # both districts' inspections
        assert run_clocks()["reminded"] == 0
    with time_machine.travel(MONDAY + timedelta(hours=49), tick=False):
        assert run_clocks()["routes_overdue"] == 4  # 2 inspections, certification, YRD
        assert run_clocks()["routes_overdue"] == 0
    assert DisposalTask.objects.filter(warning=warning).count() == 2
