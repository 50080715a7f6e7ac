"""Assessment cases: opened from items or an event, moved by role, concluded, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from pqrisk.assessment.cases import CaseError, act_on_case, add_evidence, conclude_case, open_case
from pqrisk.audit.models import AuditEvent
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.screening.tests.records import complaint, screened

pytestmark = pytest.mark.django_db

FIRE = "浦东新区居民投诉：晶澜牌取暖器使用中外壳过热起火，烧毁窗帘，请求调查处理。"


def _screened(*texts: str) -> list[RiskInfo]:
    return screened(
        *(
            complaint(f"C-{n}", text, occurred_at=f"2026-03-0{n + 1}")
            for n, text in enumerate(texts)
        )
    )


def _actions(case: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="assessment.assessmentcase", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_case_opened_from_an_event_holds_its_items_as_evidence(dana: Any) -> None:
    infos = _screened(FIRE, FIRE.replace("烧毁窗帘", "烧毁沙发"))
    event = Event.objects.get()
    case = open_case(dana, event=event)
    assert case.code.startswith("PG-") and case.code.endswith("-0001")
    assert case.origin == "event" and case.status == "opened"
    assert set(case.risk_infos.all()) == set(infos)
    assert case.evidence.filter(kind="item").count() == 2
    assert case.product_category == event.product_category and case.hazard == event.hazard
    assert open_case(dana, risk_infos=infos[:1]).code.endswith("-0002")
    assert _actions(case) == ["open"]


def test_only_the_assessment_centre_opens_cases(bob: Any) -> None:
    infos = _screened(FIRE)
    with pytest.raises(PermissionDenied):
        open_case(bob, risk_infos=infos)


def test_a_case_needs_something_to_assess(dana: Any) -> None:
    with pytest.raises(CaseError, match="至少选择一项"):
        open_case(dana)


def test_the_workflow_moves_a_case_to_its_conclusion(dana: Any, alice: Any) -> None:
    case = open_case(dana, risk_infos=_screened(FIRE))
    act_on_case(case, "start", dana)
    act_on_case(case, "to_experts", dana)
    with pytest.raises(CaseError, match="结论等级"):
        act_on_case(case, "conclude", dana)
    with pytest.raises(CaseError, match="未知的风险等级"):
        conclude_case(case, dana, level="purple", conclusion="x", rule="y")
    case.refresh_from_db()
    assert case.status == "expert_review"  # nothing saved half-way
    conclude_case(case, dana, level="high", conclusion="专家一致认为高风险", rule="专家中位数")
    assert (case.status, case.final_level) == ("concluded", "high")
    with pytest.raises(CaseError, match="不能再添加证据"):
        add_evidence(case, dana, kind="document", title="补充材料")
    with pytest.raises(CaseError, match="无权"):
        act_on_case(case, "reopen", dana)  # only the city bureau reopens
    act_on_case(case, "reopen", alice)
    assert case.status == "assessing" and case.concluded_at is None
    assert _actions(case) == ["open", "start", "to_experts", "conclude", "reopen"]


def test_a_wrong_step_says_why_in_chinese(dana: Any) -> None:
    case = open_case(dana, risk_infos=_screened(FIRE))
    with pytest.raises(CaseError, match="当前状态为“已立项”"):
        act_on_case(case, "to_experts", dana)


def test_the_report_is_a_chinese_word_document(dana: Any) -> None:
    import io

    from docx import Document

    from pqrisk.assessment.report import case_report

    case = open_case(dana, risk_infos=_screened(FIRE))
    act_on_case(case, "start", dana)
    conclude_case(case, dana, level="medium", conclusion="证据有限，暂定中风险", rule="矩阵等级")
    doc = Document(io.BytesIO(case_report(case)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "产品质量安全风险评估报告" in text
    assert case.code in text
    assert "风险等级：中风险" in text and "定级规则：矩阵等级" in text
    assert "立项" in cells and "开始评估" in cells and "形成结论" in cells
