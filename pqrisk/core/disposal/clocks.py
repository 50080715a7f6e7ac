"""Every clock of disposal in one table (METHODS §3): when a task and each routed action are
due, when the written report is due, when reminders go out and how escalation (督办) climbs.

Sources: red/orange are disposed of at once under the city bureau and yellow by the district
with a written report **within 24 hours after completion** (Shanghai guidance). The task
clocks by colour default to ``pqrisk.core.levels.WARNING_TERMS`` (72 h red/orange, 168 h
yellow, project defaults). Hours by route, reminder leads and the escalation interval are
project defaults, named below with their reasons. A deployment overrides any of them in plain
values (``timing_with_overrides``; Django reads ``settings.PQRISK_POLICY["disposal"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Literal

from pqrisk.core.levels import WARNING_TERMS, DisposalRoute, WarningLevel


class TimingError(ValueError):
    """A disposal timing override that cannot be used; the message says which and why."""


def _levels(red: int, orange: int, yellow: int) -> Mapping[WarningLevel, int]:
    return MappingProxyType(
        {WarningLevel.RED: red, WarningLevel.ORANGE: orange, WarningLevel.YELLOW: yellow}
    )


# Hours to finish each routed action, from the task's dispatch, by colour (project defaults):
# - inspection (监督检查): on site within a day for red; the task's own clock for yellow;
# - certification (通报认证机构): the notice goes out within 1–3 days;
# - enforcement (执法查处): handed to the enforcement unit quickly; a case must be decided
#   (立案) within 15 working days of discovery (市场监管行政处罚程序规定), the outer bound;
# - recall (缺陷召回监管): the producer is told to investigate and recall (SAMR Order No. 19;
#   GB/T 40993 measures effectiveness afterwards);
# - standards (标准反馈): a written gap report to the standards department within a month;
# - Yangtze River Delta sharing (长三角共享): shared within 1–3 days.
DEFAULT_ROUTE_HOURS: Mapping[DisposalRoute, Mapping[WarningLevel, int]] = MappingProxyType(
    {
        DisposalRoute.INSPECTION: _levels(24, 48, 168),
        DisposalRoute.CERTIFICATION: _levels(24, 48, 72),
        DisposalRoute.ENFORCEMENT: _levels(72, 120, 360),
        DisposalRoute.RECALL: _levels(72, 120, 240),
        DisposalRoute.STANDARDS: _levels(720, 720, 720),
        DisposalRoute.YRD_SHARING: _levels(24, 48, 72),
        DisposalRoute.MONITOR: _levels(168, 168, 168),
    }
)


@dataclass(frozen=True)
class DisposalTiming:
    """All disposal clocks. Hours are whole hours; every mapping is keyed by colour."""

    # Time to complete a task, by colour (WARNING_TERMS: 72 h red/orange, 168 h yellow).
    due_within_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: MappingProxyType(
            {
                lv: t.due_within_hours
                for lv, t in WARNING_TERMS.items()
                if t.due_within_hours is not None
            }
        )
    )
    # The written report after completion: 24 h for yellow (guidance). Red and orange are
    # reported by their disposal deadline (project default: same clock as the task).
    report_within_hours_after_completion: int = 24
    # Per routed action, by colour (DEFAULT_ROUTE_HOURS above).
    route_hours: Mapping[DisposalRoute, Mapping[WarningLevel, int]] = field(
        default_factory=lambda: DEFAULT_ROUTE_HOURS
    )
    # Follow-up check of a certification body's measures (跟踪检查), after it is notified:
    # 30 days (project default; a body normally decides suspension within that time).
    follow_up_after_hours: int = 720
    # Remind before a deadline (once per deadline): the lead by colour, never more than half
    # the clock's window (project defaults: 6 h red, 12 h orange, 24 h yellow).
    remind_before_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: _levels(6, 12, 24)
    )
    # The written report's reminder lead (project default: 6 h of the 24).
    remind_report_before_hours: int = 6
    # A task still late this long after its last escalation is escalated again (project
    # default: daily, the rhythm of the bureau's 督办 list).
    escalate_every_hours: int = 24
    # Green tracking: the next follow-up check of continued monitoring (project default 30 d).
    tracking_check_every_days: int = 30

    def route_within_hours(self, route: DisposalRoute, level: WarningLevel) -> int | None:
        by_level = self.route_hours.get(route)
        if by_level is None:
            return None
        return by_level.get(level)


DEFAULT_TIMING = DisposalTiming()

_HOURS_BY_LEVEL = ("due_within_hours", "remind_before_hours")


def _by_level(value: Any, base: Mapping[WarningLevel, int]) -> Mapping[WarningLevel, int]:
    merged = dict(base)
    merged.update({WarningLevel(k): int(v) for k, v in dict(value).items()})
    if any(h <= 0 for h in merged.values()):
        raise TimingError("hours must be positive")
    return MappingProxyType(merged)


def timing_with_overrides(
    overrides: Mapping[str, Any], base: DisposalTiming = DEFAULT_TIMING
) -> DisposalTiming:
    """``base`` with plain-valued overrides, as a deployment writes them in settings::

    {"due_within_hours": {"yellow": 120}, "route_hours": {"recall": {"red": 48}},
     "remind_before_hours": {"red": 4}, "escalate_every_hours": 12}
    """
    known = {f.name for f in fields(DisposalTiming)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known:
            raise TimingError(f"unknown disposal timing setting {key!r}")
        try:
            if key in _HOURS_BY_LEVEL:
                changes[key] = _by_level(value, getattr(base, key))
            elif key == "route_hours":
                routes = dict(base.route_hours)
                for route, hours in dict(value).items():
                    r = DisposalRoute(route)
                    routes[r] = _by_level(hours, routes.get(r, MappingProxyType({})))
                changes[key] = MappingProxyType(routes)
            else:
                number = int(value)
                if number <= 0:
                    raise TimingError("must be positive")
                changes[key] = number
        except (TypeError, ValueError, AttributeError) as exc:
            raise TimingError(f"disposal timing setting {key!r}: {exc}") from exc
    return replace(base, **changes) if changes else base


def task_due(level: WarningLevel, dispatched: datetime, timing: DisposalTiming) -> datetime | None:
    hours = timing.due_within_hours.get(level)
    return dispatched + timedelta(hours=hours) if hours else None


def report_due(
    level: WarningLevel,
    completed: datetime,
    task_due_at: datetime | None,
    timing: DisposalTiming,
) -> datetime:
    """When the written report is due: 24 h after completion for yellow (the guidance's
    clock); red and orange by the later of the task's deadline and the same 24 h."""
    after = completed + timedelta(hours=timing.report_within_hours_after_completion)
    if WARNING_TERMS[level].report_within_hours_after_completion is not None:
        return after
    return max(after, task_due_at) if task_due_at is not None else after


def route_due(
    route: DisposalRoute, level: WarningLevel, dispatched: datetime, timing: DisposalTiming
) -> datetime | None:
    hours = timing.route_within_hours(route, level)
    return dispatched + timedelta(hours=hours) if hours else None


def follow_up_due(notified: datetime, timing: DisposalTiming) -> datetime:
    return notified + timedelta(hours=timing.follow_up_after_hours)


ClockName = Literal["due", "report", "route", "follow_up"]


def remind_at(
    deadline: datetime,
    started: datetime,
    level: WarningLevel,
    timing: DisposalTiming,
    clock: ClockName = "due",
) -> datetime:
    """When the one reminder before ``deadline`` goes out: the colour's lead (the report's
    own lead for the report clock), at most half of the window."""
    lead_hours = (
        timing.remind_report_before_hours
        if clock == "report"
        else timing.remind_before_hours.get(level, 24)
    )
    lead = min(timedelta(hours=lead_hours), (deadline - started) / 2)
    return deadline - max(lead, timedelta(0))


def escalations_owed(deadline: datetime, now: datetime, timing: DisposalTiming) -> int:
    """How many escalations a clock late since ``deadline`` has earned by ``now``: one at the
    deadline, one more every ``escalate_every_hours`` after it."""
    if now <= deadline:
        return 0
    return 1 + int((now - deadline) // timedelta(hours=timing.escalate_every_hours))


class EscalationLevel(IntEnum):
    """The level a late task is escalated to (督办层级): from the district bureau to the city
    bureau, then to the city bureau's leadership."""

    NONE = 0
    CITY = 1
    LEADERSHIP = 2

    @property
    def label(self) -> str:
        return _ESCALATION_LABELS[self.value]

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        return [(m.value, m.label) for m in cls]


_ESCALATION_LABELS = {0: "未督办", 1: "市局督办", 2: "市局领导挂牌督办"}


def escalation_level(organiser: str, escalations: int) -> EscalationLevel:
    """The level after ``escalations`` escalations of a task organised by ``organiser``:
    a district's task goes to the city bureau first; a task the city bureau organises
    already sits there, so its first escalation goes to the bureau's leadership."""
    if escalations <= 0:
        return EscalationLevel.NONE
    start = 0 if organiser == "district" else 1
    return EscalationLevel(min(start + escalations, EscalationLevel.LEADERSHIP.value))


def recall_effectiveness(units_recovered: int, units_in_use: int) -> float | None:
    """Recall effectiveness (召回率, GB/T 40993 style): units recovered (returned, repaired or
    replaced) over units in the hands of users when the recall began; None when unknown."""
    if units_in_use <= 0:
        return None
    return min(max(units_recovered, 0) / units_in_use, 1.0)
