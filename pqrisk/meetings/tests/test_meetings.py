"""Consultation meetings (会商研判): a case goes on the agenda, the meeting decides, closing
concludes the case and drafts the warning; nothing is saved half-way.

alice is the city supervisor, dana the assessment centre analyst, bob a Pudong officer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pqrisk.assessment.cases import open_case
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.models import AuditEvent
from pqrisk.meetings.models import AgendaItem, Decision, Meeting
from pqrisk.meetings.services import (
    MeetingError,
    add_agenda_case,
    add_agenda_signal,
    add_participant,
    cancel_meeting,
    close_meeting,
    convene_meeting,
    hold_meeting,
    record_decision,
    record_minutes,
    set_attendance,
)
from pqrisk.screening.models import RiskInfo
from pqrisk.warnings.models import Warning
from pqrisk.warnings.services import act_on_warning, approve_warning

from .helpers import SHOCK, actions, assessing_case, soon

pytestmark = pytest.mark.django_db

NEXT_WEEK = timezone.localdate() + timedelta(days=7)


def thematic(user: Any, **kwargs: Any) -> Meeting:
    return convene_meeting(
        user,
        kind="thematic",
        title="取暖器起火风险专题会商",
        scheduled_at=soon(),
        place="市局三楼会议室",
        **kwargs,
    )


def quorum(meeting: Meeting, user: Any) -> None:
    """The chair, the analyst and an expert from outside the platform, all present."""
    set_attendance(meeting.participants.get(role="chair"), user, "present")
    add_participant(meeting, user, participant_user=_dana(), role="attendee", attendance="present")
    add_participant(
        meeting,
        user,
        name="王建国",
        organisation="上海市质量监督检验技术研究院",
        role="expert",
        attendance="present",
    )


def _dana() -> Any:
    from pqrisk.accounts.models import User

    return User.objects.get(username="dana")


def orange(item: AgendaItem, user: Any, **overrides: Any) -> Decision:
    values: dict[str, Any] = {
        "level": "high",
        "conclusion": "外壳温升超标，起火风险高，涉及面较广",
        "warning_level": "orange",
        "measures": "对生产企业开展监督检查，督促召回已售产品",
        "owners": "浦东新区市场监管局；市局产品质量安全监管处",
        "deadline": NEXT_WEEK,
    }
    values.update(overrides)
    return record_decision(item, user, **values)


def test_a_meeting_concludes_its_case_and_drafts_the_warning(alice: Any, dana: Any) -> None:
    case = assessing_case(dana)
    infos = list(case.risk_infos.all())
    meeting = thematic(alice)
    assert meeting.code.startswith("HS-") and meeting.status == "planned"
    assert meeting.participants.get().user == alice  # the chair is the first participant

    item = add_agenda_case(meeting, case, dana, presenter="评估中心 dana")
    case.refresh_from_db()
    assert case.status == "consultation"
    add_agenda_signal(meeting, dana, signal={"description": "近两周取暖器起火投诉上升"})
    quorum(meeting, alice)
    hold_meeting(meeting, alice)
    record_minutes(meeting, dana, minutes="与会专家一致认为该取暖器存在较高起火风险。")
    decision = orange(item, alice, dissent="一名专家认为应定为严重风险")

    meeting = close_meeting(meeting, alice)

    assert meeting.status == "closed" and meeting.closed_at is not None
    assert not AgendaItem.objects.filter(meeting=meeting, is_open=True).exists()
    case.refresh_from_db()
    assert (case.status, case.final_level) == ("concluded", "high")
    assert case.conclusion_rule == f"会商研判决定（会议编号 {meeting.code}）"
    assert "不同意见：一名专家认为应定为严重风险" in case.conclusion
    decision.refresh_from_db()
    warning = decision.warning
    assert warning is not None
    assert (warning.status, warning.level, warning.proposed_level) == ("draft", "orange", "orange")
    assert warning.modes == ["internal_notice", "industry_warning", "consumer_advisory"]
    assert set(warning.risk_infos.all()) == set(infos)
    assert warning.assessment.risk_info in infos
    assert warning.created_by == alice
    assert any(meeting.code in r for r in warning.reasons)
    assert any("完成时限" in r and NEXT_WEEK.isoformat() in r for r in warning.reasons)
    assert all(i.status == "warned" for i in RiskInfo.objects.filter(pk__in=[i.pk for i in infos]))

    # The audit trail tells the story, and the warning step picks the draft up.
    assert actions(meeting) == [
        "convene",
        "add_agenda",
        "add_agenda",
        "set_attendance",
        "add_participant",
        "add_participant",
        "hold",
        "record_minutes",
        "record_decision",
        "close",
    ]
    assert actions(case) == ["open", "start", "to_meeting", "conclude"]
    assert actions(warning) == ["propose"]
    conclude = AuditEvent.objects.get(object_type="assessment.assessmentcase", action="conclude")
    assert conclude.actor == alice and conclude.detail["rule"] == case.conclusion_rule
    act_on_warning(warning, "submit", dana)
    warning = approve_warning(warning, alice)
    assert (warning.status, warning.level) == ("approved", "orange")


def test_an_urgent_meeting_decides_at_once_with_fewer_people(alice: Any, dana: Any) -> None:
    case = assessing_case(dana)
    with pytest.raises(MeetingError, match="紧急会商须写明事由"):
        convene_meeting(dana, kind="urgent", title="紧急会商", online=True)
    meeting = convene_meeting(
        dana,
        kind="urgent",
        title="取暖器批量起火紧急会商",
        online=True,
        chair=alice,
        urgent_reason="多地居民家中起火，已有媒体报道，可能造成人员伤亡",
    )
    assert meeting.scheduled_at <= timezone.now()  # convened at once
    assert meeting.participants.get().attendance == "present"  # with its chair
    item = add_agenda_case(meeting, case, dana)
    hold_meeting(meeting, dana)
    record_minutes(meeting, dana, minutes="紧急会商：建议立即发布红色预警。")
    orange(item, dana, level="serious", warning_level="red", modes=["internal_notice"])
    with pytest.raises(MeetingError, match="至少须有一名专家或评估中心人员出席"):
        close_meeting(meeting, dana)

    # The chair and one person of the assessment centre are enough for an urgent meeting.
    add_participant(meeting, dana, participant_user=dana, role="attendee", attendance="present")
    close_meeting(meeting, dana)

    case.refresh_from_db()
    assert case.final_level == "serious"
    assert case.conclusion_rule == f"紧急会商研判决定（会议编号 {meeting.code}）"
    assert case.conclusion.startswith("【紧急会商】")
    warning = Warning.objects.get()
    # Red is drafted here; only the city bureau issues it, in the warning workflow.
    assert (warning.level, warning.status, warning.modes) == ("red", "draft", ["internal_notice"])
    assert "红色预警由市局发布" in warning.reasons


def test_a_meeting_cannot_close_without_minutes_or_a_decision_per_case(
    alice: Any, dana: Any
) -> None:
    first = assessing_case(dana)
    second = assessing_case(dana, SHOCK)
    meeting = thematic(alice)
    item = add_agenda_case(meeting, first, dana)
    add_agenda_case(meeting, second, dana)
    quorum(meeting, alice)
    with pytest.raises(MeetingError, match="会议尚未召开"):
        close_meeting(meeting, alice)
    hold_meeting(meeting, alice)
    orange(item, alice)
    with pytest.raises(MeetingError, match="会议纪要尚未记录"):
        close_meeting(meeting, alice)
    record_minutes(meeting, alice, minutes="讨论了两项任务。")
    with pytest.raises(MeetingError, match=f"尚无会商决定，不能结束会议：{second.code}"):
        close_meeting(meeting, alice)

    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert set(AssessmentCase.objects.values_list("status", flat=True)) == {"consultation"}
    assert not Warning.objects.exists()
    assert "close" not in actions(meeting)


def test_an_error_on_one_case_saves_nothing_for_the_others(alice: Any, dana: Any) -> None:
    assessed = assessing_case(dana)
    # A case from a signal alone has no assessment a warning could rest on.
    from_signal = open_case(dana, signal={"description": "取暖器起火投诉周环比上升"})
    from pqrisk.assessment.cases import act_on_case

    act_on_case(from_signal, "start", dana)
    meeting = thematic(alice)
    first = add_agenda_case(meeting, assessed, dana)
    second = add_agenda_case(meeting, from_signal, dana)
    quorum(meeting, alice)
    hold_meeting(meeting, alice)
    record_minutes(meeting, alice, minutes="两项任务均决定发布橙色预警。")
    orange(first, alice)
    orange(second, alice)

    with pytest.raises(MeetingError, match=f"{from_signal.code} 没有可作为预警依据的风险评估"):
        close_meeting(meeting, alice)

    assessed.refresh_from_db()
    assert assessed.status == "consultation" and assessed.final_level == ""  # rolled back
    assert not Warning.objects.exists()
    assert Meeting.objects.get().status == "held"
    assert not AuditEvent.objects.filter(action__in=["conclude", "propose", "close"]).exists()


def test_decisions_say_what_is_missing(alice: Any, dana: Any) -> None:
    meeting = thematic(alice)
    item = add_agenda_case(meeting, assessing_case(dana), dana)
    with pytest.raises(MeetingError, match="会议尚未召开，不能记录会商决定"):
        orange(item, alice)
    hold_meeting(meeting, alice)
    with pytest.raises(MeetingError, match="须写明：处置措施、责任部门/单位、完成时限"):
        orange(item, alice, measures="", owners=" ", deadline=None)
    with pytest.raises(MeetingError, match="未决定预警等级时不能选择预警方式"):
        orange(item, alice, warning_level="", modes=["consumer_advisory"])
    with pytest.raises(MeetingError, match="未知的风险等级"):
        orange(item, alice, level="purple")
    with pytest.raises(MeetingError, match="完成时限不能早于今天"):
        orange(item, alice, deadline=timezone.localdate() - timedelta(days=1))
    decision = orange(item, alice, warning_level="", measures="", owners="", deadline=None)
    assert decision.warning_level == "" and decision.modes == []
    assert orange(item, alice).pk == decision.pk  # corrected, not duplicated


def test_a_thematic_meeting_needs_its_quorum(alice: Any, dana: Any) -> None:
    meeting = thematic(alice)
    item = add_agenda_case(meeting, assessing_case(dana), dana)
    set_attendance(meeting.participants.get(role="chair"), alice, "present")
    add_participant(meeting, alice, participant_user=dana, role="attendee", attendance="present")
    hold_meeting(meeting, alice)
    record_minutes(meeting, alice, minutes="纪要")
    orange(item, alice)
    with pytest.raises(MeetingError, match="出席人数不足 3 人"):
        close_meeting(meeting, alice)
    add_participant(meeting, alice, name="李四", organisation="消保委", role="attendee")
    p = meeting.participants.get(name="李四")
    set_attendance(p, alice, "present")
    with pytest.raises(MeetingError, match="至少须有一名专家出席"):
        close_meeting(meeting, alice)
    add_participant(meeting, alice, name="王专家", role="expert", attendance="present")
    assert close_meeting(meeting, alice).status == "closed"


def test_a_case_sits_on_one_open_meeting_only(alice: Any, dana: Any) -> None:
    case = assessing_case(dana)
    first = thematic(alice)
    second = thematic(dana)
    add_agenda_case(first, case, dana)
    with pytest.raises(MeetingError, match=f"已列入会议 {first.code}"):
        add_agenda_case(second, case, dana)
    with pytest.raises(MeetingError, match="取消会议须填写原因"):
        cancel_meeting(first, alice, reason=" ")
    cancel_meeting(first, alice, reason="改为综合会商统一研判")
    item = add_agenda_case(second, case, dana)  # still in consultation, now free
    assert item.case == case
    with pytest.raises(MeetingError, match="会议已取消，不能调整议程"):
        add_agenda_case(first, case, dana)


def test_only_open_cases_go_on_the_agenda(alice: Any, dana: Any) -> None:
    opened = open_case(dana, signal={"description": "尚未开始评估"})
    meeting = thematic(alice)
    with pytest.raises(MeetingError, match="只有评估中、专家评估或会商研判中的任务"):
        add_agenda_case(meeting, opened, dana)
    assert not meeting.agenda.exists()


def test_a_district_officer_cannot_convene_or_decide(alice: Any, dana: Any, bob: Any) -> None:
    with pytest.raises(PermissionDenied):
        thematic(bob)
    meeting = thematic(alice)
    item = add_agenda_case(meeting, assessing_case(dana), dana)
    hold_meeting(meeting, alice)
    with pytest.raises(PermissionDenied):
        orange(item, bob)
    with pytest.raises(PermissionDenied):
        add_agenda_case(meeting, item.case, bob)  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        close_meeting(meeting, bob)
    with pytest.raises(MeetingError, match="主持人须为市局或评估中心的在岗人员"):
        thematic(alice, chair=bob)


def test_a_comprehensive_meeting_may_only_discuss_signals(alice: Any, dana: Any) -> None:
    meeting = convene_meeting(
        alice, kind="comprehensive", title="三月综合会商", scheduled_at=soon(), online=True
    )
    quorum(meeting, alice)
    hold_meeting(meeting, alice)
    record_minutes(meeting, alice, minutes="本月风险形势总体平稳。")
    with pytest.raises(MeetingError, match="议程为空"):
        close_meeting(meeting, alice)
    item = add_agenda_signal(
        meeting, dana, signal={"description": "电动自行车电池起火舆情上升", "basis": "EARS C2"}
    )
    with pytest.raises(MeetingError, match="风险信号议程不形成决定"):
        orange(item, alice)
    assert close_meeting(meeting, alice).status == "closed"
    assert not Warning.objects.exists()


def test_a_case_concluded_elsewhere_stops_the_close(alice: Any, dana: Any) -> None:
    from pqrisk.assessment.cases import conclude_case

    case = assessing_case(dana)
    meeting = thematic(alice)
    item = add_agenda_case(meeting, case, dana)
    quorum(meeting, alice)
    hold_meeting(meeting, alice)
    record_minutes(meeting, alice, minutes="纪要")
    orange(item, alice)
    conclude_case(case, dana, level="medium", conclusion="会前已定", rule="评估中心")
    with pytest.raises(MeetingError, match=f"评估任务 {case.code}：当前状态为“已结论”"):
        close_meeting(meeting, alice)
    assert Meeting.objects.get().status == "held" and not Warning.objects.exists()
