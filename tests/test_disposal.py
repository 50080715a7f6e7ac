"""Disposal by colour (METHODS §3): who organises, the clocks on a frozen clock, escalation
when late, feedback that closes the loop, reassignment and the district restriction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import JIADING, PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.core.disposal.clocks import EscalationLevel
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.choices import ATTACHMENT_MAX_BYTES
from pqrisk.disposal.models import (
    DisposalTask,
    EnterpriseOutcome,
    TaskReassignment,
    TaskReminder,
    TrackingItem,
)
from pqrisk.disposal.services import (
    DisposalError,
    OutcomeIn,
    act_on_task,
    disposal_timing,
    reassign_task,
    record_tracking_check,
    run_clocks,
    submit_feedback,
)
from pqrisk.reference.models import District
from pqrisk.screening.models import Event
from pqrisk.warnings.models import Warning
from pqrisk.warnings.services import act_on_warning, approve_warning
from pqrisk.web.tests import factories

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def approved(level: WarningLevel, district_code: str, alice: Any, **info: Any) -> Warning:
    warning = factories.warning(factories.risk_info(district_code, **info), level=level)
    return approve_warning(warning, alice)


def the_task(warning: Warning) -> DisposalTask:
    return DisposalTask.objects.get(warning=warning)


def actions(obj: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


# ---------------------------------------------------------------- the colours


def test_red_and_orange_are_organised_by_the_city_bureau_at_once(alice) -> None:
    for level in (WarningLevel.RED, WarningLevel.ORANGE):
        with time_machine.travel(MONDAY, tick=False):
            task = the_task(approved(level, PUDONG, alice))
        assert task.organiser == "city"
        assert task.due_at == MONDAY + timedelta(hours=72)
        assert task.participants[0] == "市市场监管局（组织）"
        assert "浦东新区市场监管局" in task.participants
        assert task.route_items.exists()


def test_yellow_is_disposed_by_the_district_with_a_24_hour_report_clock(alice, charlie) -> None:
    with time_machine.travel(MONDAY, tick=False):
        task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
        assert (task.organiser, task.district.code) == ("district", JIADING)
        assert task.due_at == MONDAY + timedelta(hours=168)
        act_on_task(task, "start", charlie)
    done = MONDAY + timedelta(days=2)
    with time_machine.travel(done, tick=False):
        task = act_on_task(task, "complete", charlie)
    assert task.report_due_at == done + timedelta(hours=24)


def test_green_is_tracked_without_a_task(alice, bob) -> None:
    with time_machine.travel(MONDAY, tick=False):
        warning = approved(WarningLevel.GREEN, PUDONG, alice)
    assert not DisposalTask.objects.filter(warning=warning).exists()
    item = TrackingItem.objects.get(warning=warning)
    assert item.status == "tracking" and item.district.code == PUDONG
    assert item.next_check_at == MONDAY + timedelta(days=30)
    assert "track" in actions(warning)
    # the follow-up check falls due after 30 days: one reminder, not two
    with time_machine.travel(MONDAY + timedelta(days=30, minutes=1), tick=False):
        assert run_clocks()["tracking_due"] == 1
        assert run_clocks()["tracking_due"] == 0
        record_tracking_check(
            item, bob, finding="抽查3家经营者，未见新增投诉", conclusion="continue"
        )
    item.refresh_from_db()
    assert item.next_check_at == MONDAY + timedelta(days=60, minutes=1)
    record_tracking_check(item, bob, finding="连续两个月无新信号", conclusion="end")
    item.refresh_from_db()
    assert item.status == "ended" and item.next_check_at is None
    with pytest.raises(DisposalError, match="已结束跟踪"):
        record_tracking_check(item, bob, finding="再查", conclusion="continue")


def test_a_district_officer_cannot_check_another_districts_tracking(alice, charlie) -> None:
    item = TrackingItem.objects.get(warning=approved(WarningLevel.GREEN, PUDONG, alice))
    with pytest.raises(DisposalError, match="本区"):
        record_tracking_check(item, charlie, finding="越权检查")


# ---------------------------------------------------------------- clocks and escalation


def test_the_late_yellow_report_is_escalated_to_the_city_bureau(alice, charlie) -> None:
    with time_machine.travel(MONDAY, tick=False):
        task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
        act_on_task(task, "start", charlie)
        act_on_task(task, "complete", charlie)
    report_due = MONDAY + timedelta(hours=24)
    # 6 h before the report is due: one reminder, once
    with time_machine.travel(report_due - timedelta(hours=5), tick=False):
        assert run_clocks()["reminded"] == 1
        assert run_clocks()["reminded"] == 0
    assert TaskReminder.objects.filter(task=task, kind="report_due_soon").count() == 1
    # past the 24 h: escalated from the district to the city bureau, once
    with time_machine.travel(report_due + timedelta(minutes=5), tick=False):
        assert run_clocks()["escalated"] == 1
        assert run_clocks()["escalated"] == 0
    task.refresh_from_db()
    assert (task.escalations, task.escalation_level) == (1, EscalationLevel.CITY)
    # still late a day later: the bureau's leadership
    with time_machine.travel(report_due + timedelta(hours=24, minutes=5), tick=False):
        assert run_clocks()["escalated"] == 1
    task.refresh_from_db()
    assert (task.escalations, task.escalation_level) == (2, EscalationLevel.LEADERSHIP)
    escalation = AuditEvent.objects.filter(action="escalate", object_id=str(task.pk)).last()
    assert escalation is not None and "书面报告超过时限" in escalation.message
    assert escalation.detail["clock"] == "report"
    with time_machine.travel(report_due + timedelta(hours=30), tick=False):
        fb = submit_feedback(task, charlie, measures="已完成检查")
        assert fb.late
        assert run_clocks() == {
            "reminded": 0,
            "escalated": 0,
            "routes_overdue": 0,
            "tracking_due": 0,
        }
    task.refresh_from_db()
    assert task.status == "reported"
    late = AuditEvent.objects.filter(action="report", object_id=str(task.pk)).get()
    assert late.detail["late"] is True and "超时" in late.message


def test_a_report_on_time_is_not_late_and_nothing_is_escalated(alice, charlie) -> None:
    with time_machine.travel(MONDAY, tick=False):
        task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
        act_on_task(task, "start", charlie)
        act_on_task(task, "complete", charlie)
    with time_machine.travel(MONDAY + timedelta(hours=20), tick=False):
        fb = submit_feedback(task, charlie, measures="对2家企业开展监督检查")
    assert not fb.late
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        assert run_clocks()["escalated"] == 0


def test_an_overdue_red_task_goes_to_the_bureaus_leadership(alice) -> None:
    with time_machine.travel(MONDAY, tick=False):
        task = the_task(approved(WarningLevel.RED, PUDONG, alice))
    with time_machine.travel(MONDAY + timedelta(hours=67), tick=False):
        run = run_clocks()
        assert run["reminded"] >= 1  # 6 h before the task's 72 h
    assert TaskReminder.objects.filter(task=task, kind="due_soon").count() == 1
    with time_machine.travel(MONDAY + timedelta(hours=73), tick=False):
        assert run_clocks()["escalated"] == 1
    task.refresh_from_db()
    assert task.escalation_level == EscalationLevel.LEADERSHIP


def test_a_deployment_can_shorten_the_report_clock(alice, charlie, settings) -> None:
    settings.PQRISK_POLICY = {"warning": {"report_within_hours_after_completion": 12}}
    task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    act_on_task(task, "start", charlie)
    task = act_on_task(task, "complete", charlie)
    assert task.report_due_at - task.completed_at == timedelta(hours=12)


def test_disposal_timing_comes_from_settings(settings) -> None:
    settings.PQRISK_POLICY = {
        "disposal": {"escalate_every_hours": 12, "due_within_hours": {"yellow": 96}}
    }
    timing = disposal_timing()
    assert timing.escalate_every_hours == 12
    assert timing.due_within_hours[WarningLevel.YELLOW] == 96
    settings.PQRISK_POLICY = {"disposal": {"red_means_blue": True}}
    with pytest.raises(ImproperlyConfigured, match="disposal"):
        disposal_timing()


def test_an_unknown_policy_key_is_a_configuration_error(settings) -> None:
    from pqrisk.warnings.policy import warning_policy

    settings.PQRISK_POLICY = {"warning": {"red_means_blue": True}}
    with pytest.raises(ImproperlyConfigured):
        warning_policy()


# ---------------------------------------------------------------- feedback


def test_feedback_needs_measures(alice, charlie) -> None:
    task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    act_on_task(task, "start", charlie)
    act_on_task(task, "complete", charlie)
    with pytest.raises(DisposalError, match="处置措施"):
        submit_feedback(task, charlie, measures="  ")


def test_structured_feedback_updates_enterprise_event_and_warning(alice, charlie) -> None:
    firm = factories.enterprise(JIADING, "嘉定示例电器有限公司")
    info = factories.risk_info(JIADING, enterprise=firm)
    event = Event.objects.create(
        group="x|y",
        key="k",
        product_category=info.product_category,
        hazard=info.hazard,
        enterprise=firm,
        district=info.district,
        first_seen=info.occurred_at,
        last_seen=info.occurred_at,
        item_count=1,
    )
    info.event = event
    info.save()
    warning = approve_warning(factories.warning(info, level=WarningLevel.YELLOW), alice)
    task = the_task(warning)
    act_on_task(task, "start", charlie)
    scan = SimpleUploadedFile("检查笔录.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    fb = submit_feedback(
        task,
        charlie,
        measures="责令停止销售，抽样送检",
        enterprises_checked=1,
        products_removed=120,
        products_recalled=100,
        penalties=1,
        penalty_amount="50000",
        outcomes=[OutcomeIn(firm.pk, "penalised", penalty_amount=Decimal(50000))],
        attachments=[scan],
        warning_advice="raise",
        warning_note="复检仍不合格，建议提高为橙色",
    )
    task.refresh_from_db()
    # filed while in progress: completes the disposal with it
    assert task.status == "reported" and task.completed_at is not None
    assert fb.attachments.get().name == "检查笔录.pdf"
    outcome = EnterpriseOutcome.objects.get(enterprise=firm)
    assert (outcome.outcome, outcome.task, outcome.warning) == ("penalised", task, warning)
    assert "disposal_feedback" in actions(event)
    assert {"disposal_feedback", "raise_requested"} <= set(actions(warning))
    warning.refresh_from_db()
    assert warning.level == "yellow"  # raising is for the warnings' reviewers


def test_feedback_refuses_bad_attachments_and_other_enterprises(alice, charlie) -> None:
    task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    act_on_task(task, "start", charlie)
    big = SimpleUploadedFile("big.pdf", b"0" * (ATTACHMENT_MAX_BYTES + 1))
    with pytest.raises(DisposalError, match="过大"):
        submit_feedback(task, charlie, measures="检查", attachments=[big])
    exe = SimpleUploadedFile("run.exe", b"MZ")
    with pytest.raises(DisposalError, match="类型不支持"):
        submit_feedback(task, charlie, measures="检查", attachments=[exe])
    stranger = factories.enterprise(PUDONG)
    with pytest.raises(DisposalError, match="涉及企业"):
        submit_feedback(
            task, charlie, measures="检查", outcomes=[OutcomeIn(stranger.pk, "removed")]
        )
    task.refresh_from_db()
    assert task.status == "in_progress"  # nothing was kept


def test_a_city_user_lifts_the_published_warning_with_the_report(alice, bob) -> None:
    warning = approved(WarningLevel.ORANGE, PUDONG, alice)
    act_on_warning(warning, "publish", alice)
    task = the_task(warning)
    act_on_task(task, "start", bob)
    # a district may only propose lifting
    submit_feedback(
        task, bob, measures="问题批次已全部下架", warning_advice="lift", warning_note="风险已消除"
    )
    warning.refresh_from_db()
    assert warning.status == "published"
    act_on_task(task, "reopen", alice)
    submit_feedback(
        task, alice, measures="复核确认", warning_advice="lift", warning_note="召回完成，风险已消除"
    )
    warning.refresh_from_db()
    assert warning.status == "lifted" and "召回完成" in warning.lift_reason
    task = act_on_task(task, "close", alice)
    assert task.status == "closed"


# ---------------------------------------------------------------- reassignment and districts


def test_a_task_reassigned_across_districts_keeps_its_history(alice, bob, charlie) -> None:
    task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    act_on_task(task, "start", charlie)
    with pytest.raises(DisposalError, match="市局"):
        reassign_task(task, District.objects.get(code=PUDONG), charlie, "不属本区")
    with pytest.raises(DisposalError, match="理由"):
        reassign_task(task, District.objects.get(code=PUDONG), alice, " ")
    task = reassign_task(task, District.objects.get(code=PUDONG), alice, "企业实际生产地在浦东")
    assert task.district.code == PUDONG and task.status == "in_progress"
    moved = TaskReassignment.objects.get(task=task)
    assert (moved.from_district.code, moved.to_district.code) == (JIADING, PUDONG)
    assert moved.from_status == "in_progress"
    # the trail is the task's: dispatch and start by Jiading, then the move
    assert actions(task)[:3] == ["dispatch", "start", "reassign"]
    districts = set(
        AuditEvent.objects.filter(action="reassign", object_id=str(task.pk)).values_list(
            "district__code", flat=True
        )
    )
    assert districts == {JIADING, PUDONG}
    assert all("浦东" in i.unit for i in task.route_items.filter(route="inspection"))
    # now Pudong acts and Jiading may not
    with pytest.raises(DisposalError, match="本区"):
        act_on_task(task, "complete", charlie)
    act_on_task(task, "complete", bob)


def test_a_district_officer_only_acts_on_its_own_tasks(alice, bob, charlie) -> None:
    task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    with pytest.raises(DisposalError, match="本区"):
        act_on_task(task, "start", bob)
    act_on_task(task, "start", charlie)
    with pytest.raises(DisposalError, match="本区"):
        submit_feedback(task, bob, measures="越权反馈")
    with pytest.raises(DisposalError):
        act_on_task(task, "close", charlie)  # closing is the city bureau's


# ---------------------------------------------------------------- notifications


def test_people_are_told_when_a_task_is_created_due_escalated_and_moved(
    alice, charlie, monkeypatch
) -> None:
    told: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("pqrisk.disposal.services.notify", lambda key, **kw: told.append((key, kw)))
    with time_machine.travel(MONDAY, tick=False):
        task = the_task(approved(WarningLevel.YELLOW, JIADING, alice))
    assert told[0][0] == f"disposal:{task.pk}:created"
    assert [d.code for d in told[0][1]["districts"]] == [JIADING]
    assert told[0][1]["link"] == f"/tasks/{task.pk}/"
    with time_machine.travel(MONDAY + timedelta(hours=150), tick=False):
        run_clocks()
        run_clocks()
    due_soon = [k for k, _ in told if ":due_soon:" in k]
    assert due_soon == [
        f"disposal:{task.pk}:due_soon:{(MONDAY + timedelta(hours=168)).isoformat()}"
    ]
    with time_machine.travel(MONDAY + timedelta(hours=169), tick=False):
        run_clocks()
    escalated = [kw for k, kw in told if ":escalated:" in k]
    assert len(escalated) == 1 and "市局督办" in escalated[0]["subject"]
    assert escalated[0]["roles"]  # the city bureau is told
    reassign_task(task, District.objects.get(code=PUDONG), alice, "属地调整")
    moved = told[-1]
    assert ":reassigned:" in moved[0]
    assert {d.code for d in moved[1]["districts"]} == {JIADING, PUDONG}


def test_the_beat_task_runs_the_clocks() -> None:
    from pqrisk.disposal.tasks import check_deadlines

    assert check_deadlines.apply().get() == {
        "reminded": 0,
        "escalated": 0,
        "routes_overdue": 0,
        "tracking_due": 0,
    }


def test_a_red_task_reaches_the_district_officers_and_the_city_bureau_inbox(
    alice, bob, charlie
) -> None:
    from pqrisk.notifications.models import InboxEntry

    task = the_task(approved(WarningLevel.RED, PUDONG, alice))
    told = set(
        InboxEntry.objects.filter(notification__key=f"disposal:{task.pk}:created").values_list(
            "user__username", flat=True
        )
    )
    assert {"alice", "bob"} <= told and "charlie" not in told
