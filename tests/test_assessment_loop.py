"""A full assessment case (issue 6): event → case → model suggestion → expert draw with a
conflict avoided → three expert ratings → aggregation → consultation decision → concluded
level, every step audited, and the assessment report generated in Chinese."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from docx import Document

from conftest import make_user
from pqrisk.accounts.choices import Role
from pqrisk.assessment.cases import act_on_case, assess_case, open_case
from pqrisk.assessment.judgement import suggest
from pqrisk.assessment.report import case_report
from pqrisk.audit.models import AuditEvent
from pqrisk.core.assessment.matrix import AssessmentInput, ScenarioStep
from pqrisk.core.uscc import complete_uscc
from pqrisk.enterprises.models import Enterprise
from pqrisk.experts.models import DrawnExpert
from pqrisk.experts.services import aggregate_round, draw_experts, register_expert, submit_rating
from pqrisk.meetings.services import (
    add_agenda_case,
    add_participant,
    close_meeting,
    convene_meeting,
    hold_meeting,
    record_decision,
    record_minutes,
)
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.models import Event
from pqrisk.screening.tests.records import complaint, screened
from pqrisk.warnings.models import Warning

pytestmark = pytest.mark.django_db

MAKER = "上海晶澜电器有限公司"
REPORTS = (
    f"浦东新区居民投诉：{MAKER}生产的晶澜牌取暖器（型号JL-2000）使用中外壳过热起火，烧毁窗帘。",
    f"网友爆料：家里的晶澜取暖器JL-2000突然起火冒烟，孩子手部烧伤送医，{MAKER}拒绝赔偿。",
    f"浦东新区又一起晶澜牌取暖器起火，老人被烫伤住院，消费者要求{MAKER}召回。",
)


def _steps(defect: float, hazard: float, harm: float) -> list[dict[str, Any]]:
    return [
        {"description": "产品存在缺陷", "probability": defect},
        {"description": "缺陷在使用中导致起火", "probability": hazard},
        {"description": "起火导致烧烫伤住院", "probability": harm},
    ]


def test_an_event_is_assessed_from_end_to_end(dana: Any, alice: Any) -> None:
    maker = Enterprise.objects.create(
        uscc=complete_uscc("91310115MA1K00009"),
        name=MAKER,
        district=District.objects.get(code="310115"),
    )
    infos = screened(
        *(
            complaint(f"E-{n}", text, occurred_at=f"2026-03-0{n + 2}")
            for n, text in enumerate(REPORTS)
        )
    )
    event = Event.objects.get()
    assert {i.event_id for i in infos} == {event.pk} and event.enterprise == maker

    # The case and the model's suggestion.
    case = open_case(dana, event=event)
    act_on_case(case, "start", dana)
    judgement = suggest(case, dana)
    matrix = assess_case(
        case,
        dana,
        AssessmentInput(
            severity=3,
            steps=tuple(
                ScenarioStep(s["description"], s["probability"]) for s in _steps(0.5, 0.1, 0.02)
            ),
            exposed_units=30_000,
        ),
    )
    case.refresh_from_db()
    assert case.matrix_assessment == matrix
    assert case.model_suggestion["level"] == judgement.level.value
    assert case.model_suggestion["contributions"]

    # The draw: the expert working for the maker is avoided.
    family = ProductCategory.objects.get(code="01")
    fire = HazardType.objects.get(code="fire")
    conflicted = register_expert(
        dana,
        name="利益冲突专家",
        organisation="上海市某检测中心",
        employer=MAKER,
        product_families=[family],
        hazards=[fire],
        account=make_user("mallory", Role.EXPERT),
    )
    experts = [
        register_expert(
            dana,
            name=name,
            organisation=org,
            product_families=[family],
            hazards=[fire],
            account=make_user(login, Role.EXPERT),
        )
        for name, org, login in (
            ("王工", "上海市质量监督检验技术研究院", "erin"),
            ("李教授", "同济大学", "frank"),
            ("张主任", "上海市消防研究所", "grace"),
        )
    ]
    draw = draw_experts(case, dana, size=3, seed=7)
    case.refresh_from_db()
    assert case.status == "expert_review"
    excluded = {row["expert_id"]: row["reasons"] for row in draw.excluded}
    assert conflicted.pk in excluded
    assert any(MAKER in reason["text"] for reason in excluded[conflicted.pk])
    members = list(DrawnExpert.objects.filter(draw=draw).select_related("expert__user"))
    assert {m.expert_id for m in members} == {e.pk for e in experts}

    # Three ratings, then the aggregate.
    for member, (severity, harm) in zip(members, ((3, 0.05), (3, 0.02), (4, 0.01)), strict=True):
        submit_rating(
            case,
            member.expert.user,
            severity=severity,
            steps=_steps(0.5, 0.1, harm),
            suggestions="责令企业召回，开展专项抽检",
        )
    aggregate_round(case, dana)
    case.refresh_from_db()
    assert case.expert_level in ("serious", "high")

    # The consultation meeting decides; the case is concluded with its level.
    meeting = convene_meeting(
        dana,
        kind="thematic",
        title="晶澜取暖器起火风险专题会商",
        scheduled_at=timezone.now() + timedelta(hours=1),
        place="市局第三会议室",
        chair=alice,
    )
    add_agenda_case(meeting, case, dana, presenter="评估中心")
    add_participant(meeting, dana, role="attendee", participant_user=dana, attendance="present")
    add_participant(
        meeting, dana, role="expert", name="王工", organisation="上海市质量监督检验技术研究院",
        attendance="present",
    )  # fmt: skip
    for participant in meeting.participants.filter(role="chair"):
        participant.attendance = "present"
        participant.save(update_fields=["attendance"])
    hold_meeting(meeting, dana)
    record_minutes(
        meeting, dana, minutes="与会专家一致认为该批次取暖器存在起火风险，建议橙色预警并督促召回。"
    )
    item = meeting.agenda.get()
    record_decision(
        item,
        dana,
        level=case.expert_level,
        conclusion="取暖器过热起火，已致多人烧烫伤，风险较高",
        warning_level="orange",
        measures="督促企业召回，开展专项抽检",
        owners="市局产品质量安全监管处、浦东新区市场监管局",
        deadline=timezone.localdate() + timedelta(days=7),
    )
    close_meeting(meeting, dana)
    case.refresh_from_db()
    assert case.status == "concluded" and case.final_level == case.expert_level
    assert meeting.code in case.conclusion_rule
    assert Warning.objects.filter(level="orange", status="draft").exists()

    # Every step is on the case's trail, and the report says it in Chinese.
    actions = list(
        AuditEvent.objects.filter(object_type="assessment.assessmentcase", object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    for action in ("open", "start", "suggest", "matrix", "to_experts", "expert_aggregate"):
        assert action in actions, (action, actions)
    assert actions.index("open") < actions.index("suggest") < actions.index("expert_aggregate")
    draw_trail = AuditEvent.objects.filter(object_type="experts.expertdraw", object_id=str(draw.pk))
    assert draw_trail.filter(action="expert_draw").exists()
    rating_trail = AuditEvent.objects.filter(object_type="experts.expertrating", action="rate")
    assert rating_trail.count() == 3
    assert actions[-1] == "conclude"
    doc = Document(io.BytesIO(case_report(case)))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "产品质量安全风险评估报告" in text and case.code in text
    assert "模型研判建议" in text and "评估结论" in text and meeting.code in text
    assert "抽取专家" in cells and "形成结论" in cells
    headings = [p.text for p in doc.paragraphs if "、" in p.text[:3]]
    assert any("专家评估" in h for h in headings) and any("会商研判" in h for h in headings)
    assert "王工" in cells and "研判风险等级" in cells and "橙色预警" in cells
