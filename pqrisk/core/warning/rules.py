"""Warning colour, modes, who may issue, deadlines, disposal and routing (METHODS.md §2, §3).

Sources: the Shanghai industrial product quality-safety risk warning guidance and
GB/T 35253-2017 (risk warning grading). Numbers marked "project default" are our own choice
and can be overridden per deployment with a ``WarningPolicy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pqrisk.core.levels import (
    WARNING_TERMS,
    Attention,
    DisposalRoute,
    RiskLevel,
    Scope,
    Urgency,
    WarningLevel,
    WarningMode,
)


class PolicyError(ValueError):
    """A warning policy (or an override of it) that cannot be used; the message says why."""


@dataclass(frozen=True)
class WarningPolicy:
    """Deployment settings for warnings; the defaults are the guidance's (or ours, as marked).

    The colour rules are fields (METHODS §2): ``colour_for`` (严重→红, 高→橙, 中→黄, 低→绿;
    guidance), ``raise_for_scopes`` (全市; guidance), ``raise_for_attention`` (很高; guidance),
    ``raise_for_urgency`` (紧急; our choice), ``raise_steps`` (1 colour per raising rule) and
    ``max_raise_steps`` (None: ``raise_steps`` in all, the guidance's "raise one colour").

    Hours, modes and disposal default to ``pqrisk.core.levels.WARNING_TERMS``.
    """

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
    # Our choice: injuries already happening raise one colour too — the guidance names urgency
    # as an input to the colour but gives no rule for it.
    raise_for_urgency: frozenset[Urgency] = frozenset({Urgency.URGENT})
    # Colours each raising rule adds.
    raise_steps: int = 1
    # Colours all raising rules together may add; None means ``raise_steps``, i.e. one raise
    # even when several rules hold (guidance: "raise one colour").
    max_raise_steps: int | None = None
    # Modes by colour (METHODS §2: modes chosen by who must act). Project default.
    modes_for: Mapping[WarningLevel, tuple[WarningMode, ...]] = field(
        default_factory=lambda: MappingProxyType({lv: t.modes for lv, t in WARNING_TERMS.items()})
    )
    # Hours from approval to publication (project defaults 2/12/24/72 h, WARNING_TERMS).
    publish_within_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: MappingProxyType(
            {lv: t.publish_within_hours for lv, t in WARNING_TERMS.items()}
        )
    )
    # Written report within 24 h after completing a yellow disposal (Shanghai guidance, §3).
    report_within_hours_after_completion: int = 24
    # Time allowed to complete a disposal task. Project defaults: 72 h red/orange, 168 h yellow.
    due_within_hours: Mapping[WarningLevel, int] = field(
        default_factory=lambda: MappingProxyType(
            {
                lv: t.due_within_hours
                for lv, t in WARNING_TERMS.items()
                if t.due_within_hours is not None
            }
        )
    )

    def __post_init__(self) -> None:
        # A policy must keep the colour monotone: more risk, a wider scope, more attention or
        # more urgency never gives a lower colour.
        if set(self.colour_for) != set(RiskLevel):
            raise PolicyError("colour_for must give a colour for every risk level")
        by_rank = sorted(RiskLevel, key=lambda r: r.rank)
        for lower, higher in pairwise(by_rank):
            if self.colour_for[lower].rank > self.colour_for[higher].rank:
                raise PolicyError(
                    f"colour_for must not give {higher.value!r} a lower colour than {lower.value!r}"
                )
        for name in ("raise_for_scopes", "raise_for_attention", "raise_for_urgency"):
            chosen = getattr(self, name)
            floor = min((m.rank for m in chosen), default=None)
            if floor is not None and any(m.rank >= floor and m not in chosen for m in _ENUMS[name]):
                raise PolicyError(f"{name} must include every value above the lowest one it has")
        if self.raise_steps < 0 or (self.max_raise_steps is not None and self.max_raise_steps < 0):
            raise PolicyError("raise_steps and max_raise_steps must not be negative")

    @property
    def raise_cap(self) -> int:
        """Colours all raising rules together may add."""
        return self.raise_steps if self.max_raise_steps is None else self.max_raise_steps


_ENUMS: dict[str, Any] = {
    "colour_for": RiskLevel,
    "raise_for_scopes": Scope,
    "raise_for_attention": Attention,
    "raise_for_urgency": Urgency,
}

DEFAULT_POLICY = WarningPolicy()

_E = TypeVar("_E", Scope, Attention, Urgency)


def _raise_set(enum: type[_E], value: Any) -> frozenset[_E]:
    """A value means "this one and above"; a list names each one; [] or None raises never."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        floor = enum(value)
        return frozenset(m for m in enum if m.rank >= floor.rank)
    return frozenset(enum(v) for v in value)


def policy_with_overrides(
    overrides: Mapping[str, Any], base: WarningPolicy = DEFAULT_POLICY
) -> WarningPolicy:
    """``base`` with plain-valued overrides, as a deployment writes them in settings::

        {"colour_for": {"high": "red"}, "raise_for_scopes": "multi_district",
         "raise_for_urgency": [], "max_raise_steps": 2, "publish_within_hours": {"red": 1},
         "modes_for": {"green": ["internal_notice"]}}

    Raises ``PolicyError`` naming the first setting that cannot be used.
    """
    known = {f.name for f in fields(WarningPolicy)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known:
            raise PolicyError(f"unknown warning policy setting {key!r}")
        try:
            if key == "colour_for":
                merged = dict(base.colour_for)
                merged.update({RiskLevel(k): WarningLevel(v) for k, v in dict(value).items()})
                changes[key] = MappingProxyType(merged)
            elif key in ("raise_for_scopes", "raise_for_attention", "raise_for_urgency"):
                changes[key] = _raise_set(_ENUMS[key], value)
            elif key == "modes_for":
                modes = dict(base.modes_for)
                modes.update(
                    {WarningLevel(k): tuple(WarningMode(m) for m in v) for k, v in value.items()}
                )
                changes[key] = MappingProxyType(modes)
            elif key in ("publish_within_hours", "due_within_hours"):
                hours = dict(getattr(base, key))
                hours.update({WarningLevel(k): int(v) for k, v in dict(value).items()})
                changes[key] = MappingProxyType(hours)
            elif key == "max_raise_steps" and value is None:
                changes[key] = None
            else:
                changes[key] = int(value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise PolicyError(f"warning policy setting {key!r}: {exc}") from exc
    return replace(base, **changes) if changes else base


def urgency_of(*, injury_occurred: bool, signals_rising: bool) -> Urgency:
    """Urgency from what the evidence shows: injuries already happening are 紧急, a rising
    trend of signals (more reports in the recent window than in the one before) is 较急."""
    if injury_occurred:
        return Urgency.URGENT
    if signals_rising:
        return Urgency.PRESSING
    return Urgency.ROUTINE


RuleName = Literal["base", "scope", "attention", "urgency", "max_raise", "red_cap"]


@dataclass(frozen=True)
class ColourInput:
    """One input to the colour, with its Chinese line for "依据：……"."""

    name: Literal["risk_level", "urgency", "scope", "attention"]
    value: str
    explanation: str


@dataclass(frozen=True)
class FiredRule:
    """One colour rule that fired; ``steps`` is how many colours it raised by (before caps)."""

    rule: RuleName
    steps: int
    explanation: str
    # For a raising rule, what held ("影响范围为全市"); empty otherwise.
    condition: str = ""


@dataclass(frozen=True)
class ColourDecision:
    """The proposed colour, the candidate colour it was raised from, the inputs and the rules
    that fired (in the order they were applied)."""

    level: WarningLevel
    base: WarningLevel
    inputs: tuple[ColourInput, ...]
    fired: tuple[FiredRule, ...]

    @property
    def basis(self) -> str:
        """One line for a page: "依据：……"."""
        lines = [i.explanation for i in self.inputs] + [r.explanation for r in self.fired]
        return "依据：" + "；".join(lines) + "。"


def _inputs(
    risk: RiskLevel, urgency: Urgency, scope: Scope, attention: Attention
) -> tuple[ColourInput, ...]:
    return (
        ColourInput("risk_level", risk.value, f"风险等级：{risk.label}（{risk.meaning}）"),
        ColourInput("urgency", urgency.value, f"紧急程度：{urgency.label}（{urgency.meaning}）"),
        ColourInput("scope", scope.value, f"影响范围：{scope.label}（{scope.meaning}）"),
        ColourInput(
            "attention", attention.value, f"社会关注度：{attention.label}（{attention.meaning}）"
        ),
    )


def decide_colour(
    risk_level: RiskLevel,
    scope: Scope,
    attention: Attention,
    urgency: Urgency = Urgency.ROUTINE,
    policy: WarningPolicy = DEFAULT_POLICY,
) -> ColourDecision:
    """The colour from hazard, urgency, scope and attention (METHODS §2), with every rule that
    fired: the candidate colour of the risk level, raised by ``raise_steps`` for each of
    scope, attention and urgency that reaches its threshold, at most ``raise_cap`` colours in
    all, never above red."""
    base = policy.colour_for[risk_level]
    fired = [FiredRule("base", 0, f"风险等级为{risk_level.label}，对应{base.label}")]
    raising: list[tuple[RuleName, str]] = []
    if scope in policy.raise_for_scopes:
        raising.append(("scope", f"影响范围为{scope.label}"))
    if attention in policy.raise_for_attention:
        raising.append(("attention", f"社会关注度{attention.label}"))
    if urgency in policy.raise_for_urgency:
        raising.append(("urgency", f"紧急程度为{urgency.label}"))
    for rule, cause in raising:
        fired.append(
            FiredRule(rule, policy.raise_steps, f"{cause}，上调{policy.raise_steps}级", cause)
        )
    wanted = policy.raise_steps * len(raising)
    steps = min(wanted, policy.raise_cap)
    if steps < wanted:
        fired.append(
            FiredRule("max_raise", 0, f"上调合计不超过{policy.raise_cap}级，按{steps}级上调")
        )
    level = raise_colour(base, steps)
    if level.rank < base.rank + steps:
        fired.append(FiredRule("red_cap", 0, f"{level.label}已为最高预警等级，不再上调"))
    return ColourDecision(
        level=level,
        base=base,
        inputs=_inputs(risk_level, urgency, scope, attention),
        fired=tuple(fired),
    )


@dataclass(frozen=True)
class WarningProposal:
    level: WarningLevel
    modes: tuple[WarningMode, ...]
    reasons: tuple[str, ...]
    # The inputs and every colour rule that fired, for "依据：……" (see ``ColourDecision``).
    inputs: tuple[ColourInput, ...] = ()
    fired: tuple[FiredRule, ...] = ()


def raise_colour(level: WarningLevel, steps: int = 1) -> WarningLevel:
    """``level`` raised by ``steps`` colours, never above red."""
    target = min(level.rank + steps, WarningLevel.RED.rank)
    return next(m for m in WarningLevel if m.rank == target)


def propose_warning(
    risk_level: RiskLevel,
    scope: Scope,
    attention: Attention,
    policy: WarningPolicy = DEFAULT_POLICY,
    *,
    urgency: Urgency = Urgency.ROUTINE,
) -> WarningProposal:
    """The colour and modes the system proposes, with the reasons in Chinese."""
    decision = decide_colour(risk_level, scope, attention, urgency, policy)
    base, level = decision.base, decision.level
    reasons = [decision.fired[0].explanation]
    causes = [r.condition for r in decision.fired if r.condition]
    if causes:
        cause = "且".join(causes)
        if level != base:
            reasons.append(f"{cause}，预警等级由{base.label}上调为{level.label}")
        else:
            reasons.append(f"{cause}，{base.label}已为最高预警等级，不再上调")
    else:
        reasons.append(
            f"影响范围为{scope.label}，社会关注度{attention.label}，"
            f"紧急程度{urgency.label}，不上调预警等级"
        )
    modes = policy.modes_for[level]
    reasons.append(f"预警方式：{'、'.join(f'{m.label}（{m.audience}）' for m in modes)}")
    if level.issuer == "city":
        reasons.append(f"{level.label}由市局发布")
    return WarningProposal(
        level=level,
        modes=modes,
        reasons=tuple(reasons),
        inputs=decision.inputs,
        fired=decision.fired,
    )


class IssuerNotAllowed(PermissionError):
    """A district bureau tried to issue a colour only the city bureau may issue."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def check_issuer(level: WarningLevel, issuer_is_city: bool) -> None:
    """Raise ``IssuerNotAllowed`` with a Chinese message when the issuer may not issue it."""
    if not may_issue(level, issuer_is_city):
        raise IssuerNotAllowed(f"{level.label}只能由市局发布，区局不能发布{level.label}")


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
    """How a warning of this colour is disposed of (METHODS §3; ``WARNING_TERMS``): red and
    orange immediately under the city bureau, yellow by the district with a written report
    after completion, green monitored without a task."""
    terms = WARNING_TERMS[level]
    return DisposalPlan(
        organiser=terms.disposal_organiser,
        immediate=terms.immediate,
        needs_task=terms.needs_task,
        report_within_hours_after_completion=(
            policy.report_within_hours_after_completion
            if terms.report_within_hours_after_completion is not None
            else None
        ),
        due_within_hours=policy.due_within_hours.get(level) if terms.needs_task else None,
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


def rules_tables(policy: WarningPolicy = DEFAULT_POLICY) -> str:
    """The candidate colours and the terms of each colour as Markdown tables (for
    docs/warnings.md; regenerate with ``python -m pqrisk.core.warning.rules``)."""
    lines = ["| 风险等级 | 候选预警等级 |", "| --- | --- |"]
    lines += [f"| {r.label} | {policy.colour_for[r].label} |" for r in RiskLevel]
    lines += [
        "",
        "| 预警等级 | 发布主体 | 发布时限（批准后） | 发布程序 | 默认预警方式 | 处置要求 "
        "| 处置完成时限 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level, terms in WARNING_TERMS.items():
        due = policy.due_within_hours.get(level) if terms.needs_task else None
        modes = "、".join(f"{m.label}（{m.audience}）" for m in policy.modes_for[level])
        lines.append(
            f"| {level.label} | {terms.issuer_label} | {policy.publish_within_hours[level]} 小时 "
            f"| {terms.procedure_label} | {modes} | {terms.disposal} "
            f"| {f'{due} 小时' if due is not None else '—'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_tables(), end="")
