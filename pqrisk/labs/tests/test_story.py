"""The whole story of a mystery-shopping sample: dana (评估中心) plans a task for a case, buys
the toy online as a consumer, seals it, sends it to the lab, imports the lab's results; the
failed lead item raises a violation lead, confirms the rapid test and becomes evidence of the
case. bob (浦东区局) closes the lead once enforcement has dealt with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import PUDONG
from pqrisk.accounts.models import User
from pqrisk.assessment.models import CaseEvidence
from pqrisk.audit.models import AuditEvent
from pqrisk.labs import services
from pqrisk.labs.models import RapidTest, SamplingTask, TestItem, ViolationLead

from .builders import (
    LAB,
    at,
    bought_task,
    case_in,
    csv_upload,
    enterprise_in,
    planned_task,
    sealed_sample,
    to_lab,
    today,
)

pytestmark = pytest.mark.django_db


def actions(obj: object) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower,  # type: ignore[attr-defined]
            object_id=str(obj.pk),  # type: ignore[attr-defined]
        )
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def test_from_purchase_to_lead_and_case_evidence(dana: User, bob: User) -> None:
    case = case_in(PUDONG)
    maker = enterprise_in(PUDONG)
    task = planned_task(dana, case=case, enterprise=maker)
    assert task.code.startswith("CY") and task.status == "planned"

    task = bought_task(dana, case=case, enterprise=maker)
    assert task.status == "purchased"
    assert task.order_number == "TB20260301-88" and task.buyer == dana
    assert task.purchase_record.name.endswith(".png")

    sample = sealed_sample(task, dana)
    assert sample.code == f"{task.code}-01"

    # A rapid test at receipt screens lead (铅) above the threshold: a follow-up, not a verdict.
    rapid = services.add_rapid_test(
        task,
        dana,
        sample=sample,
        item="铅",
        method="X射线荧光光谱法（XRF）筛查",
        instrument="手持式XRF",
        limit="≤90",
        unit="mg/kg",
        result="150",
        uncertainty=Decimal("15"),
        coverage_factor=Decimal("2"),
        tested_at=at(2.8),
    )
    assert rapid.screening == "positive" and rapid.needs_lab_test

    to_lab(sample, dana)
    task.refresh_from_db()
    assert task.status == "sent_to_lab"
    assert [e.kind for e in sample.custody.all()] == ["received", "shipped", "lab_received"]

    batch = services.import_results(
        task,
        csv_upload(
            f"{sample.code},铅,GB 6675.4-2014 5.2,可迁移元素铅,≤90,mg/kg,150,不合格",
            f"{sample.code},警示标识,GB 6675.1-2014 5,应有中文警示说明,,,有中文警示说明,合格",
            f"{sample.code},电池仓螺钉紧固,GB 6675.2-2014 4.7,须用工具才能打开,—,,紧固,合格",
            f"{sample.code},绝缘电阻,GB 19865-2005 14,≥2 MΩ,≥2,MΩ,50,",
        ),
        dana,
        lab=LAB,
        tested_on=today(),
        report_number="WT2026-001",
    )
    task.refresh_from_db()
    assert task.status == "tested"
    items = {i.name: i for i in TestItem.objects.filter(batch=batch)}
    assert {n: i.verdict for n, i in items.items()} == {
        "铅": "fail",
        "警示标识": "pass",
        "电池仓螺钉紧固": "pass",
        "绝缘电阻": "pass",
    }
    assert items["铅"].limit_text == "≤90" and items["铅"].measured_value == 150.0
    assert batch.file_name == "结果.csv" and batch.file

    # The lab confirmed the rapid test, and the failed item raised a lead.
    rapid.refresh_from_db()
    assert rapid.confirmed_by == items["铅"] and not rapid.needs_lab_test
    lead = ViolationLead.objects.get()
    assert lead.code.startswith("XS") and lead.status == "new"
    assert list(lead.failed_items.all()) == [items["铅"]]
    assert list(lead.rapid_tests.all()) == [rapid]
    assert lead.enterprise == maker and lead.district.code == PUDONG
    assert "淘宝" in lead.summary and "TB20260301-88" in lead.summary
    assert "实测 150mg/kg" in lead.summary and "产品质量法" in lead.legal_basis
    assert "电子商务法" in lead.legal_basis  # bought online

    # The results are evidence of the case, with the file.
    evidence = CaseEvidence.objects.get(case=case)
    assert evidence.kind == "lab_result" and evidence.added_by == dana
    assert "不合格1项" in evidence.title and "铅" in evidence.note
    assert evidence.file.name == batch.file.name
    assert "lab_result" in actions(case)

    # Enforcement: dana refers, bob (Pudong) closes with the outcome.
    services.act_on_lead(lead, "refer", dana, referred_to="浦东新区市场监管局执法大队")
    with pytest.raises(services.LabError, match="办理结果"):
        services.act_on_lead(lead, "close", bob)
    lead = services.act_on_lead(lead, "close", bob, note="已立案调查")
    assert lead.status == "closed" and lead.outcome == "已立案调查"
    assert actions(lead) == ["flag_lead", "refer", "close"]

    task = services.act_on_task(task, "close", dana, "抽样任务完成")
    assert task.status == "closed" and task.closed_at is not None
    assert actions(task) == [
        "create_task",
        "purchase",
        "add_sample",
        "rapid_test",
        "custody",
        "custody",
        "send",
        "custody",
        "test",
        "results",
        "close",
    ]


def test_a_positive_rapid_test_alone_keeps_the_task_open(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    services.add_rapid_test(
        task,
        dana,
        location="某某玩具店柜台",
        item="邻苯二甲酸酯",
        method="试纸",
        result="可疑",
        tested_at=at(2.9),
    )
    to_lab(sample, dana)
    services.enter_result(
        sample,
        dana,
        name="铅",
        standard="GB 6675.4-2014",
        limit="≤90",
        unit="mg/kg",
        measured="12",
        lab=LAB,
        tested_on=today(),
    )
    task.refresh_from_db()
    assert not ViolationLead.objects.exists()  # nothing failed
    with pytest.raises(services.LabError, match="快检阳性或可疑结果未经实验室检验确认"):
        services.act_on_task(task, "close", dana)
    # The lab tests the same item on the sample: the on-site rapid test is confirmed.
    item = services.enter_result(
        sample,
        dana,
        name="邻苯二甲酸酯",
        standard="GB 6675.1-2014 4.3",
        limit="≤0.1",
        unit="%",
        measured="0.02",
        lab=LAB,
        tested_on=today(),
    )
    assert RapidTest.objects.get().confirmed_by == item
    assert services.act_on_task(task, "close", dana).status == "closed"


def test_further_failures_complete_the_open_lead(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana)
    for name, measured in (("铅", "150"), ("镉", "120")):
        services.enter_result(
            sample,
            dana,
            name=name,
            standard="GB 6675.4-2014",
            limit="≤75",
            unit="mg/kg",
            measured=measured,
            lab=LAB,
            tested_on=today(),
        )
    lead = ViolationLead.objects.get()
    assert sorted(lead.failed_items.values_list("name", flat=True)) == ["铅", "镉"]
    assert "镉" in lead.summary
    assert actions(lead) == ["flag_lead", "add_items"]


def test_a_task_without_a_case_keeps_its_results_to_itself(dana: User) -> None:
    task = bought_task(dana)
    sample = sealed_sample(task, dana)
    to_lab(sample, dana)
    services.enter_result(
        sample,
        dana,
        name="铅",
        standard="GB 6675.4-2014",
        limit="≤90",
        unit="mg/kg",
        measured="150",
        lab=LAB,
        tested_on=today(),
    )
    assert not CaseEvidence.objects.exists()
    assert SamplingTask.objects.get().result_batches.get().evidence is None
