"""The closed loop end to end: raw item → risk info → assessment → warning approved →
disposal task in the right district → feedback → closed, audited at every step."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import JIADING
from pqrisk.audit.models import AuditEvent
from pqrisk.disposal.models import DisposalTask
from pqrisk.disposal.services import DisposalError, act_on_task, submit_feedback
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import ingest_objects
from pqrisk.pipeline import run_pipeline
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.models import RiskInfo
from pqrisk.warnings.models import Warning
from pqrisk.warnings.services import approve_warning

pytestmark = pytest.mark.django_db

BATTERY_FIRE = {
    "source": "spot_check",
    "external_id": "CC-2026-000777",
    "occurred_at": "2026-06-12",
    "title": "电动自行车用锂离子蓄电池监督抽查不合格",
    "text": "市监督抽查发现嘉定区某企业生产的电动自行车用锂离子蓄电池过充电保护项目不合格，"
    "存在起火燃烧风险。",
    "enterprise_uscc": "91310114MA1GT3KX0Y",
    "enterprise_name": "上海示例电源科技有限公司",
    "district": "嘉定区",
    "product_name": "电动自行车用锂离子蓄电池",
    "brand": "示例",
    "details": {"conclusion": "不合格", "failed_items": ["过充电保护"], "lab": "上海市质检院"},
}


def _valid_uscc(record: dict[str, Any]) -> dict[str, Any]:
    from pqrisk.core.uscc import complete_uscc

    return {**record, "enterprise_uscc": complete_uscc(record["enterprise_uscc"][:17])}


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


SECOND_BATCH = {
    **BATTERY_FIRE,
    "external_id": "CC-2026-000778",
    "occurred_at": "2026-06-20",
    "text": "复检同一企业另一批次电动自行车用锂离子蓄电池，过充电保护仍不合格，存在起火风险。",
}


def test_two_failed_spot_checks_walk_the_whole_loop(alice, bob, charlie) -> None:
    result = ingest_objects([_valid_uscc(BATTERY_FIRE)], source_label="测试")
    assert (result.accepted, result.quarantined) == (1, 0)
    raw = RawItem.objects.get(external_id="CC-2026-000777")

    report = run_pipeline()
    assert report.screened["pending_assessment"] == 1
    # One failed test of a fatal hazard is a high risk: kept assessed, not yet a warning.
    assert RiskInfo.objects.get(raw_item=raw).status == "assessed"
    assert not Warning.objects.exists()

    ingest_objects([_valid_uscc(SECOND_BATCH)], source_label="测试")
    run_pipeline()

    info = RiskInfo.objects.get(raw_item=raw)
    assert info.district is not None and info.district.code == JIADING
    assert info.product_category is not None
    assert "蓄电池" in info.product_category.name or "电池" in info.product_category.name
    assert info.hazard == HazardType.objects.get(code="fire")
    assert info.status == "warned"
    assessment = info.assessments.get()
    assert assessment.level == "high"
    assert audit_actions(info) == ["screen", "assess", "warn"]
    assert audit_actions(assessment) == ["assess"]

    warning = Warning.objects.get(risk_infos=info)
    assert warning.status == "in_review"
    assert warning.level == "orange"
    assert warning.risk_infos.count() == 2
    # The draft text is fit for the public: plain advice, no enterprise named.
    assert "12315" in warning.body and "上海示例电源科技有限公司" not in warning.body
    assert warning.district is not None and warning.district.code == JIADING

    warning = approve_warning(warning, alice)
    assert warning.status == "approved"
    assert warning.publish_deadline is not None
    task = DisposalTask.objects.get(warning=warning)
    assert task.district.code == JIADING
    assert audit_actions(warning) == ["propose", "approve"]

    # Bob, of Pudong, can neither act on nor see Jiading's task.
    with pytest.raises(DisposalError):
        act_on_task(task, "start", bob)
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(f"/api/tasks/{task.pk}").status_code == 404
    assert task.pk not in [t["id"] for t in bob_client.get("/api/tasks").json()]

    act_on_task(task, "start", charlie)
    task = act_on_task(task, "complete", charlie)
    assert task.report_due_at is not None
    submit_feedback(task, charlie, measures="责令企业停止销售并召回问题批次", products_removed=300)
    task.refresh_from_db()
    assert task.status == "reported"
    task = act_on_task(task, "close", alice)
    assert task.status == "closed"
    assert audit_actions(task) == ["dispatch", "start", "complete", "report", "close"]


def test_running_the_pipeline_twice_changes_nothing(alice) -> None:
    ingest_objects([_valid_uscc(BATTERY_FIRE), _valid_uscc(SECOND_BATCH)], source_label="测试")
    run_pipeline()
    counts = (RiskInfo.objects.count(), Warning.objects.count(), AuditEvent.objects.count())
    second = run_pipeline()
    assert sum(second.screened.values()) == 0
    assert (RiskInfo.objects.count(), Warning.objects.count(), AuditEvent.objects.count()) == counts


def test_reposted_text_is_screened_as_a_duplicate() -> None:
    base = {**BATTERY_FIRE, "source": "media", "enterprise_uscc": None, "details": {}}
    repost = {
        **base,
        "external_id": "M-2",
        "text": "<p>" + base["text"].replace("，", ",") + "</p>",
    }
    ingest_objects([{**base, "external_id": "M-1"}, repost], source_label="测试")
    run_pipeline()
    first = RiskInfo.objects.get(raw_item__external_id="M-1")
    second = RiskInfo.objects.get(raw_item__external_id="M-2")
    assert second.status == "duplicate"
    assert second.duplicate_of == first


def test_district_officer_cannot_approve_a_warning(alice, charlie) -> None:
    from pqrisk.warnings.services import WarningError

    ingest_objects([_valid_uscc(BATTERY_FIRE), _valid_uscc(SECOND_BATCH)], source_label="测试")
    run_pipeline()
    warning = Warning.objects.get()
    with pytest.raises((WarningError, Exception)):
        approve_warning(warning, charlie)
    warning.refresh_from_db()
    assert warning.status == "in_review"


def test_catalogue_is_loaded_by_migration() -> None:
    assert ProductCategory.objects.filter(level=1).count() >= 20
    assert HazardType.objects.filter(code="electric_shock").exists()


def test_screening_registers_the_enterprise_product_once() -> None:
    from pqrisk.enterprises.models import Enterprise, Product

    first = _valid_uscc(BATTERY_FIRE)
    Enterprise.objects.create(
        uscc=first["enterprise_uscc"],
        name=first["enterprise_name"],
        district=District.objects.get(code=JIADING),
    )
    ingest_objects([first, _valid_uscc(SECOND_BATCH)], source_label="测试")
    run_pipeline()
    product = Product.objects.get()
    assert (product.name, product.brand) == ("电动自行车用锂离子蓄电池", "示例")
    assert product.risk_infos.count() == 2
    assert product.category is not None
