"""The disposal clocks and routing rules of the core, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pqrisk.core.disposal.clocks import (
    DEFAULT_TIMING,
    EscalationLevel,
    TimingError,
    escalation_level,
    escalations_owed,
    recall_effectiveness,
    remind_at,
    report_due,
    route_due,
    task_due,
    timing_with_overrides,
)
from pqrisk.core.disposal.routing import ROUTE_TERMS, task_routes
from pqrisk.core.levels import DisposalRoute, WarningLevel

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_task_clocks_by_colour() -> None:
    assert task_due(WarningLevel.RED, T0, DEFAULT_TIMING) == T0 + timedelta(hours=72)
    assert task_due(WarningLevel.YELLOW, T0, DEFAULT_TIMING) == T0 + timedelta(hours=168)
    assert task_due(WarningLevel.GREEN, T0, DEFAULT_TIMING) is None


def test_yellow_report_is_due_24_hours_after_completion() -> None:
    due = report_due(WarningLevel.YELLOW, T0, T0 + timedelta(days=7), DEFAULT_TIMING)
    assert due == T0 + timedelta(hours=24)
    # red/orange: by the task's own deadline when that is later
    later = T0 + timedelta(hours=60)
    assert report_due(WarningLevel.RED, T0, later, DEFAULT_TIMING) == later


def test_every_route_has_a_clock_for_every_disposed_colour() -> None:
    for route in DisposalRoute:
        for level in (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW):
            assert route_due(route, level, T0, DEFAULT_TIMING) is not None
    assert route_due(DisposalRoute.INSPECTION, WarningLevel.RED, T0, DEFAULT_TIMING) == T0 + (
        timedelta(hours=24)
    )


def test_reminder_is_the_colour_lead_but_at_most_half_the_window() -> None:
    deadline = T0 + timedelta(hours=72)
    assert remind_at(deadline, T0, WarningLevel.RED, DEFAULT_TIMING) == deadline - timedelta(
        hours=6
    )
    short = T0 + timedelta(hours=4)
    assert remind_at(short, T0, WarningLevel.YELLOW, DEFAULT_TIMING) == T0 + timedelta(hours=2)
    report = T0 + timedelta(hours=24)
    assert remind_at(report, T0, WarningLevel.YELLOW, DEFAULT_TIMING, "report") == (
        report - timedelta(hours=6)
    )


def test_escalations_are_owed_at_the_deadline_and_every_day_after() -> None:
    assert escalations_owed(T0, T0, DEFAULT_TIMING) == 0
    assert escalations_owed(T0, T0 + timedelta(minutes=1), DEFAULT_TIMING) == 1
    assert escalations_owed(T0, T0 + timedelta(hours=23), DEFAULT_TIMING) == 1
    assert escalations_owed(T0, T0 + timedelta(hours=24, minutes=1), DEFAULT_TIMING) == 2


def test_escalation_climbs_from_the_district_to_the_city_bureau() -> None:
    assert escalation_level("district", 0) == EscalationLevel.NONE
    assert escalation_level("district", 1) == EscalationLevel.CITY
    assert escalation_level("district", 2) == EscalationLevel.LEADERSHIP
    assert escalation_level("district", 9) == EscalationLevel.LEADERSHIP
    assert escalation_level("city", 1) == EscalationLevel.LEADERSHIP
    assert EscalationLevel.CITY.label == "市局督办"


def test_overrides_are_plain_values_and_checked() -> None:
    t = timing_with_overrides(
        {"due_within_hours": {"yellow": 120}, "route_hours": {"recall": {"red": 48}}}
    )
    assert t.due_within_hours[WarningLevel.YELLOW] == 120
    assert t.due_within_hours[WarningLevel.RED] == 72
    assert t.route_within_hours(DisposalRoute.RECALL, WarningLevel.RED) == 48
    assert t.route_within_hours(DisposalRoute.RECALL, WarningLevel.ORANGE) == 120
    with pytest.raises(TimingError, match="unknown"):
        timing_with_overrides({"red_means_blue": 1})
    with pytest.raises(TimingError):
        timing_with_overrides({"escalate_every_hours": 0})
    with pytest.raises(TimingError):
        timing_with_overrides({"route_hours": {"teleport": {"red": 1}}})


def test_recall_effectiveness() -> None:
    assert recall_effectiveness(300, 1000) == pytest.approx(0.3)
    assert recall_effectiveness(5, 0) is None
    assert recall_effectiveness(1200, 1000) == 1.0


def test_each_task_has_district_work_and_the_lead_carries_product_wide_routes() -> None:
    found = (DisposalRoute.ENFORCEMENT, DisposalRoute.RECALL, DisposalRoute.YRD_SHARING)
    assert task_routes(found, lead=True) == found
    assert task_routes(found, lead=False) == (DisposalRoute.ENFORCEMENT,)
    assert task_routes((DisposalRoute.RECALL,), lead=False) == (DisposalRoute.INSPECTION,)
    assert task_routes((DisposalRoute.MONITOR,), lead=True) == (DisposalRoute.INSPECTION,)
    assert ROUTE_TERMS[DisposalRoute.CERTIFICATION].follow_up
    assert (
        ROUTE_TERMS[DisposalRoute.ENFORCEMENT]
        .unit_for("嘉定区", "city")
        .startswith("市市场监管局执法总队")
    )
