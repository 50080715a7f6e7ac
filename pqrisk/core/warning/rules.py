"""Warning colour, modes, who may issue, deadlines, disposal and routing (METHODS.md §2, §3).

Sources: the Shanghai industrial product quality-safety risk warning guidance and
GB/T 35253-2017 (risk warning grading). Numbers marked "project default" are our own choice
and can be overridden per deployment with a ``WarningPolicy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from pqrisk.core.levels import Attention, DisposalRoute, RiskLevel, Scope, WarningLevel, WarningMode

_ALL_MODES = (
    WarningMode.INTERNAL_NOTICE,
    WarningMode.INDUSTRY_WARNING,
    WarningMode.CONSUMER_ADVISORY,
)


@dataclass(frozen=True)
class WarningPolicy:
    """Deployment settings for warnings; the defaults are the guidance's (or ours, as marked)."""

    # Default mapping risk level → candidate colour (METHODS §2, Shanghai guidance).
    colour_for: Mapping[RiskLevel, WarningLevel] = field(
        default_factory=lambda: MappingProxyType(
            {
                RiskLevel.SERIOUS: WarningLevel.RED,
                RiskLevel.HIGH: WarningLevel.ORANGE,
                RiskLevel.MEDIUM: WarningLevel.YELLOW,
                RiskLevel.LOW: WarningLevel.GREEN,
            }
        )
    )
    # Raise one colour when the scope is city-wide or attention very high (METHODS §2).
    raise_for_scopes: frozenset[Scope] = frozenset({Scope.CITY})
    raise_for_attention: frozenset[Attention] = frozenset({Attention.VERY_HIGH})
    # One raise even when both hold (guidance: "raise one colour").
    raise_steps: int = 1
    # Modes by colour (METHODS §2: modes chosen by who must act). Project default.
    modes_for: Mapping[WarningLevel, tuple[WarningMode, ...]] = field(
        default_factory=lambda: MappingProxyType(
            {
                WarningLevel.RED: _ALL_MODES,
                WarningLevel.ORANGE: _ALL_MODES,
                WarningLevel.YELLOW: (WarningMode.INTERNAL_NOTICE, WarningMode.INDUSTRY_WARNING),
                WarningLevel.GREEN: (WarningMode.INTERNAL_NOTICE,),
            }
        )
    )
    # Hours from approval to publication; defaults are WarningLevel.publish_within_hours
    # (project defaults 2/12/24/72 h). Override per level here.
    publish_within_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: MappingProxyType(
            {level: level.publish_within_hours for level in WarningLevel}
        )
    )
    # Written report within 24 h after completing a yellow disposal (Shanghai guidance, §3).
    report_within_hours_after_completion: int = 24
    # Time allowed to complete a disposal task. Project defaults: 72 h red/orange, 168 h yellow.
    due_within_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: MappingProxyType(
            {WarningLevel.RED: 72, WarningLevel.ORANGE: 72, WarningLevel.YELLOW: 168}
        )
    )


DEFAULT_POLICY = WarningPolicy()


@dataclass(frozen=True)
class WarningProposal:
    level: WarningLevel
    modes: tuple[WarningMode, ...]
    reasons: tuple[str, ...]


def raise_colour(level: WarningLevel, steps: int = 1) -> WarningLevel:
    """``level`` raised by ``steps`` colours, never above red."""
    target = min(level.rank + steps, WarningLevel.RED.rank)
    return next(m for m in WarningLevel if m.rank == target)


def propose_warning(
    risk_level: RiskLevel,
    scope: Scope,
    attention: Attention,
    policy: WarningPolicy = DEFAULT_POLICY,
) -> WarningProposal:
    """The colour and modes the system proposes, with the reasons in Chinese."""
    base = policy.colour_for[risk_level]
    reasons = [f"风险等级为{risk_level.label}，对应{base.label}"]
    why_raise = []
    if scope in policy.raise_for_scopes:
        why_raise.append(f"影响范围为{scope.label}")
    if attention in policy.raise_for_attention:
        why_raise.append(f"社会关注度{attention.label}")
    level = base
    if why_raise:
        level = raise_colour(base, policy.raise_steps)
        cause = "且".join(why_raise)
        if level != base:
            reasons.append(f"{cause}，预警等级由{base.label}上调为{level.label}")
        else:
            reasons.append(f"{cause}，{base.label}已为最高预警等级，不再上调")
    else:
        reasons.append(f"影响范围为{scope.label}，社会关注度{attention.label}，不上调预警等级")
    modes = policy.modes_for[level]
    reasons.append(f"预警方式：{'、'.join(f'{m.label}（{m.audience}）' for m in modes)}")
    if level.issuer == "city":
        reasons.append(f"{level.label}由市局发布")
    return WarningProposal(level=level, modes=modes, reasons=tuple(reasons))


def may_issue(level: WarningLevel, issuer_is_city: bool) -> bool:
    """Whether an issuer may issue a warning of this colour: red/orange only the city bureau."""
    return issuer_is_city or level.issuer == "district"


def publication_deadline(
    level: WarningLevel, approved_at: datetime, policy: WarningPolicy = DEFAULT_POLICY
) -> datetime:
    """When an approved warning must be published at the latest."""
    return approved_at + timedelta(hours=policy.publish_within_hours[level])


Organiser = Literal["city", "district"]


@dataclass(frozen=True)
class DisposalPlan:
    organiser: Organiser
    immediate: bool
    needs_task: bool
    report_within_hours_after_completion: int | None
    due_within_hours: int | None


def disposal_plan(level: WarningLevel, policy: WarningPolicy = DEFAULT_POLICY) -> DisposalPlan:
    """How a warning of this colour is disposed of (METHODS §3)."""
    if level in (WarningLevel.RED, WarningLevel.ORANGE):
        # Immediate emergency disposal under the city bureau's organisation (guidance).
        return DisposalPlan(
            organiser="city",
            immediate=True,
            needs_task=True,
            report_within_hours_after_completion=None,
            due_within_hours=policy.due_within_hours.get(level),
        )
    if level == WarningLevel.YELLOW:
        # The district disposes and reports in writing within 24 h after completion (guidance).
        return DisposalPlan(
            organiser="district",
            immediate=False,
            needs_task=True,
            report_within_hours_after_completion=policy.report_within_hours_after_completion,
            due_within_hours=policy.due_within_hours.get(level),
        )
    # Green: keep monitoring, no disposal task by default (guidance).
    return DisposalPlan(
        organiser="district",
        immediate=False,
        needs_task=False,
        report_within_hours_after_completion=None,
        due_within_hours=None,
    )


def route_for_finding(
    *,
    licensed_producer: bool,
    ccc_product: bool,
    suspected_violation: bool,
    defect_endangers_safety: bool,
    standard_gap: bool,
    cross_region: bool,
) -> tuple[DisposalRoute, ...]:
    """Disposal routes for a finding (METHODS §3 routing); MONITOR when none applies.

    Routes come in the order of ``DisposalRoute``; a finding may take several routes.
    """
    routes = []
    if licensed_producer:
        routes.append(DisposalRoute.INSPECTION)
    if ccc_product:
        routes.append(DisposalRoute.CERTIFICATION)
    if suspected_violation:
        routes.append(DisposalRoute.ENFORCEMENT)
    if defect_endangers_safety:
        routes.append(DisposalRoute.RECALL)
    if standard_gap:
        routes.append(DisposalRoute.STANDARDS)
    if cross_region:
        routes.append(DisposalRoute.YRD_SHARING)
    return tuple(routes) or (DisposalRoute.MONITOR,)
