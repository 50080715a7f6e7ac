"""Disposal by colour (METHODS §3): who organises, the clocks, and escalation when late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import JIADING, PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.models import DisposalTask
from pqrisk.disposal.services import act_on_task, check_deadlines, submit_feedback
from pqrisk.warnings.services import approve_warning
from pqrisk.web.tests import factories

pytestmark = pytest.mark.django_db


def approved(level: WarningLevel, district_code: str | None, alice) -> DisposalTask | None:
    info = factories.risk_info(district_code)
    warning = factories.warning(info, level=level)
    approve_warning(warning, alice)
    return DisposalTask.objects.filter(warning=warning).first()


def test_yellow_is_disposed_by_the_district_with_a_24_hour_report_clock(alice, charlie) -> None:
    task = approved(WarningLevel.YELLOW, JIADING, alice)
    assert task is not None
    assert (task.organiser, task.district.code) == ("district", JIADING)
    act_on_task(task, "start", charlie)
    task = act_on_task(task, "complete", charlie)
    assert task.completed_at is not None and task.report_due_at is not None
    assert task.report_due_at - task.completed_at == timedelta(hours=24)


def test_red_and_orange_are_organised_by_the_city_bureau_at_once(alice) -> None:
    for level in (WarningLevel.RED, WarningLevel.ORANGE):
        task = approved(level, PUDONG, alice)
        assert task is not None
        assert task.organiser == "city"
        assert task.due_at is not None and task.due_at - task.created_at <= timedelta(hours=72)


def test_green_is_tracked_without_a_task(alice) -> None:
    info = factories.risk_info(PUDONG)
    warning = factories.warning(info, level=WarningLevel.GREEN)
    approve_warning(warning, alice)
    assert not DisposalTask.objects.filter(warning=warning).exists()
    assert AuditEvent.objects.filter(action="track", object_id=str(warning.pk)).exists()


def test_a_late_report_is_escalated_once_per_day_late(alice, charlie) -> None:
    task = approved(WarningLevel.YELLOW, JIADING, alice)
    assert task is not None
    act_on_task(task, "start", charlie)
    act_on_task(task, "complete", charlie)
    DisposalTask.objects.filter(pk=task.pk).update(
        report_due_at=timezone.now() - timedelta(hours=1)
    )
    assert check_deadlines() == 1
    assert check_deadlines() == 0  # not again the same day
    DisposalTask.objects.filter(pk=task.pk).update(
        report_due_at=timezone.now() - timedelta(days=1, hours=1)
    )
    assert check_deadlines() == 1
    task.refresh_from_db()
    assert task.escalations == 2
    submit_feedback(task, charlie, measures="已完成检查")
    task.refresh_from_db()
    assert task.status == "reported"
    late = AuditEvent.objects.filter(action="report", object_id=str(task.pk)).get()
    assert late.detail["late"] is True
    assert check_deadlines() == 0  # reported tasks are no longer chased


def test_feedback_needs_measures(alice, charlie) -> None:
    from pqrisk.disposal.services import DisposalError

    task = approved(WarningLevel.YELLOW, JIADING, alice)
    assert task is not None
    act_on_task(task, "start", charlie)
    act_on_task(task, "complete", charlie)
    with pytest.raises(DisposalError):
        submit_feedback(task, charlie, measures="  ")


def test_a_deployment_can_shorten_the_report_clock(alice, charlie, settings) -> None:
    settings.PQRISK_POLICY = {"warning": {"report_within_hours_after_completion": 12}}
    task = approved(WarningLevel.YELLOW, JIADING, alice)
    assert task is not None
    act_on_task(task, "start", charlie)
    task = act_on_task(task, "complete", charlie)
    assert task.report_due_at - task.completed_at == timedelta(hours=12)


def test_an_unknown_policy_key_is_a_configuration_error(settings) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from pqrisk.warnings.policy import warning_policy

    settings.PQRISK_POLICY = {"warning": {"red_means_blue": True}}
    with pytest.raises(ImproperlyConfigured):
        warning_policy()
