"""Risk level of one product risk: the PRISM / EU 2019/417 risk matrix (METHODS.md §1).

The level is read from a matrix of injury severity (1–4) × probability band (8 bands), where
the probability is the product of the steps of the injury scenario (hazard present →
exposure → harm). It is then raised by the number of units in use (PRISM scope table).
The assessment is repeated at the low and high ends of every step's range to show whether
the uncertainty could change the level, and then with one step at a time moved to an end of its
range (the others at their point values) to show which steps the level is sensitive to.

Sources: EU Commission Implementing Decision (EU) 2019/417 (RAPEX guidelines), UK OPSS PRISM
(Product Risk Assessment Methodology), GB/T 22760-2020.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from pqrisk.core.levels import Attention, RiskLevel


class InvalidAssessment(ValueError):
    """An assessment input that cannot be assessed; the message is Chinese for the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# Severity of the worst credible injury: EU 2019/417 / PRISM / GB/T 22760-2020 (METHODS §1).
SEVERITY_LABELS: dict[int, str] = {
    1: "可逆伤害，现场急救即可，无持久损害",
    2: "需门诊或急诊处理，功能丧失不超过6个月",
    3: "需住院治疗，功能丧失超过6个月或永久",
    4: "致死或>10%永久残疾",
}
MIN_SEVERITY = 1
MAX_SEVERITY = 4


@dataclass(frozen=True)
class ProbabilityBand:
    """``probability > lower`` (``lower`` 0 for the last band ≤ 1/1,000,000)."""

    index: int
    lower: float
    label: str


# Lower bounds (exclusive) of the probability bands, EU 2019/417 / PRISM (METHODS §1).
PROBABILITY_BANDS: tuple[ProbabilityBand, ...] = (
    ProbabilityBand(0, 1 / 2, ">1/2"),
    ProbabilityBand(1, 1 / 10, ">1/10"),
    ProbabilityBand(2, 1 / 100, ">1/100"),
    ProbabilityBand(3, 1 / 1_000, ">1/1,000"),
    ProbabilityBand(4, 1 / 10_000, ">1/10,000"),
    ProbabilityBand(5, 1 / 100_000, ">1/100,000"),
    ProbabilityBand(6, 1 / 1_000_000, ">1/1,000,000"),
    ProbabilityBand(7, 0.0, "≤1/1,000,000"),
)

# Our choice: a probability within this relative distance of a band boundary counts as on the
# boundary, so that 1/10 × 1/10 (0.010000000000000002 in floating point) is 1/100, i.e. "≤1/100".
BOUNDARY_REL_TOL = 1e-9

_S, _H, _M, _L = RiskLevel.SERIOUS, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW
# Risk matrix, EU 2019/417 / PRISM (METHODS §1): rows severity 1–4, columns the 8 bands.
RISK_MATRIX: dict[int, tuple[RiskLevel, ...]] = {
    1: (_H, _M, _M, _L, _L, _L, _L, _L),
    2: (_S, _S, _S, _H, _M, _L, _L, _L),
    3: (_S, _S, _S, _S, _H, _M, _L, _L),
    4: (_S, _S, _S, _S, _S, _H, _M, _L),
}


@dataclass(frozen=True)
class ScopeBand:
    """Escalation for more than ``above_units`` units in use (PRISM scope table)."""

    above_units: int
    escalation: dict[RiskLevel, RiskLevel]
    label: str


# PRISM scope escalation by units in use / exposed population (METHODS §1), highest first:
# ≤100k none; 100k–500k L→M, M→H; 500k–1M also H→S; >1M L→H, M→S, H→S.
SCOPE_ESCALATION: tuple[ScopeBand, ...] = (
    ScopeBand(1_000_000, {_L: _H, _M: _S, _H: _S}, ">100万件"),
    ScopeBand(500_000, {_L: _M, _M: _H, _H: _S}, ">50万件"),
    ScopeBand(100_000, {_L: _M, _M: _H}, ">10万件"),
)
NO_ESCALATION_UP_TO = 100_000

EVIDENCE_QUALITY_LABELS: dict[str, str] = {
    "high": "充分（检验报告/伤害病例）",
    "medium": "一般（多来源一致）",
    "low": "薄弱（单一来源/未核实）",
}


def _probability_error(p: float, what: str) -> InvalidAssessment:
    return InvalidAssessment(f"{what}应大于0且不超过1，实际为{p!r}")


def _check_probability(p: float, what: str) -> None:
    if not isinstance(p, int | float) or isinstance(p, bool) or math.isnan(p):
        raise _probability_error(p, what)
    if not 0 < p <= 1:
        raise _probability_error(p, what)


@dataclass(frozen=True)
class ScenarioStep:
    """One step of the injury scenario with its probability, range and evidence."""

    description: str
    probability: float
    low: float | None = None
    high: float | None = None
    evidence: str = ""

    def __post_init__(self) -> None:
        _check_probability(self.probability, f"情景步骤“{self.description}”的概率")
        if self.low is not None:
            _check_probability(self.low, f"情景步骤“{self.description}”的概率下限")
            if self.low > self.probability:
                raise InvalidAssessment(
                    f"情景步骤“{self.description}”的概率下限{self.low}大于估计值{self.probability}"
                )
        if self.high is not None:
            _check_probability(self.high, f"情景步骤“{self.description}”的概率上限")
            if self.high < self.probability:
                raise InvalidAssessment(
                    f"情景步骤“{self.description}”的概率上限{self.high}小于估计值{self.probability}"
                )

    @property
    def probability_low(self) -> float:
        return self.probability if self.low is None else self.low

    @property
    def probability_high(self) -> float:
        return self.probability if self.high is None else self.high


def probability_band(p: float) -> int:
    """Index of the band of ``p``: 0 = ">1/2" … 7 = "≤1/1,000,000". ``p`` must be in (0, 1]."""
    _check_probability(p, "发生概率")
    for band in PROBABILITY_BANDS[:-1]:
        if p > band.lower * (1 + BOUNDARY_REL_TOL):
            return band.index
    return PROBABILITY_BANDS[-1].index


def _check_severity(severity: int) -> None:
    if isinstance(severity, bool) or not isinstance(severity, int):
        raise InvalidAssessment(f"伤害严重程度应为1至4级的整数，实际为{severity!r}")
    if not MIN_SEVERITY <= severity <= MAX_SEVERITY:
        raise InvalidAssessment(f"伤害严重程度应为1至4级，实际为{severity}")


def matrix_level(severity: int, probability: float) -> RiskLevel:
    """Risk level from the matrix (before scope escalation)."""
    _check_severity(severity)
    return RISK_MATRIX[severity][probability_band(probability)]


def _scope_band(exposed_units: int | None) -> ScopeBand | None:
    if exposed_units is None or exposed_units <= NO_ESCALATION_UP_TO:
        return None
    return next(b for b in SCOPE_ESCALATION if exposed_units > b.above_units)


def escalate_for_scope(level: RiskLevel, exposed_units: int | None) -> RiskLevel:
    """The level raised for the number of units in use (never lowered). None: no escalation."""
    if exposed_units is not None and exposed_units < 0:
        raise InvalidAssessment(f"使用数量不能为负数，实际为{exposed_units}")
    band = _scope_band(exposed_units)
    if band is None:
        return level
    return band.escalation.get(level, level)


@dataclass(frozen=True)
class AssessmentInput:
    """What the assessor enters. ``vulnerable_users``, ``evidence_quality`` and ``attention``
    are recorded and explained; they do not change the matrix level (vulnerability belongs in
    the severity and the step probabilities, attention in the warning colour)."""

    severity: int
    steps: tuple[ScenarioStep, ...]
    exposed_units: int | None = None
    vulnerable_users: bool = False
    evidence_quality: str = "medium"
    attention: Attention = Attention.NORMAL

    def __post_init__(self) -> None:
        _check_severity(self.severity)
        if not self.steps:
            raise InvalidAssessment("伤害情景至少需要一个步骤")
        if self.exposed_units is not None and self.exposed_units < 0:
            raise InvalidAssessment(f"使用数量不能为负数，实际为{self.exposed_units}")
        if self.evidence_quality not in EVIDENCE_QUALITY_LABELS:
            raise InvalidAssessment(
                f"证据质量应为high、medium或low之一，实际为{self.evidence_quality!r}"
            )


STEP_ENDS: dict[str, str] = {"low": "下限", "high": "上限"}


@dataclass(frozen=True)
class StepFlip:
    """Moving step ``step`` (1-based) alone to the ``end`` ("low"/"high") of its range, the
    other steps at their point values, changes the final level (after scope escalation) to
    ``level``; ``probability`` is the scenario probability in that case."""

    step: int
    description: str
    end: str
    probability: float
    level: RiskLevel


@dataclass(frozen=True)
class AssessmentResult:
    probability: float
    band: int
    base_level: RiskLevel
    level: RiskLevel
    probability_low: float
    probability_high: float
    level_low: RiskLevel
    level_high: RiskLevel
    uncertainty_changes_level: bool
    explanation: tuple[str, ...]
    # Steps whose range alone changes the level (colour-flip sensitivity); empty when none.
    flip_steps: tuple[StepFlip, ...] = ()


def _product(values: list[float]) -> float:
    p = math.prod(values)
    # Many tiny steps can underflow to 0.0; the true product is positive, so keep it positive.
    return max(p, sys.float_info.min)


def format_probability(p: float) -> str:
    """A probability as "1/N" the way assessors read it: 1/250, 1/1,200, 1/3.3."""
    if p < 1e-12:  # beyond any band: plain scientific notation (and no overflow of 1/p)
        return f"{p:.2e}"
    n = 1 / p
    if n >= 100 or abs(n - round(n)) < 1e-6 * n:
        return f"1/{round(n):,}"
    return f"1/{n:.3g}"


def format_units(units: int) -> str:
    """Units in use in Chinese counting: 120万, 8,000."""
    if units >= 10_000:
        wan = f"{units / 10_000:.2f}".rstrip("0").rstrip(".")
        return f"{wan}万"
    return f"{units:,}"


def _level_for(severity: int, p: float, exposed_units: int | None) -> RiskLevel:
    return escalate_for_scope(matrix_level(severity, p), exposed_units)


def step_flips(inp: AssessmentInput, level: RiskLevel) -> tuple[StepFlip, ...]:
    """The steps that change ``level`` when moved alone to one end of their range.

    Each step is moved to its low end, then to its high end, with every other step at its
    point value; a move that gives another final level (after scope escalation) is a flip.
    Because the matrix is monotone, a flip lies between the levels at the joint low and high
    ends, so no flip is possible when the uncertainty does not change the level."""
    points = [s.probability for s in inp.steps]
    flips: list[StepFlip] = []
    for i, s in enumerate(inp.steps):
        for end, value in (("low", s.probability_low), ("high", s.probability_high)):
            if value == s.probability:
                continue
            p = _product([*points[:i], value, *points[i + 1 :]])
            flipped = _level_for(inp.severity, p, inp.exposed_units)
            if flipped != level:
                flips.append(StepFlip(i + 1, s.description, end, p, flipped))
    return tuple(flips)


def _step_name(flip: StepFlip) -> str:
    name = f"步骤{flip.step}"
    if flip.description and flip.description != name:
        name += f"（{flip.description}）"
    return name


def flip_explanation(flips: tuple[StepFlip, ...], changes: bool) -> str | None:
    """One Chinese line naming the steps that alone change the level, or None if the level
    does not depend on the uncertainty at all."""
    if flips:
        parts = [f"{_step_name(f)}取{STEP_ENDS[f.end]}时风险等级变为{f.level.label}" for f in flips]
        return "敏感步骤：" + "；".join(parts)
    if changes:
        return "敏感步骤：单独改变任一步骤都不改变风险等级，多个步骤同时取范围端点时才会改变"
    return None


def assess(inp: AssessmentInput) -> AssessmentResult:
    """Assess one product risk and explain every step of the reasoning in Chinese."""
    p = _product([s.probability for s in inp.steps])
    p_low = _product([s.probability_low for s in inp.steps])
    p_high = _product([s.probability_high for s in inp.steps])
    band = probability_band(p)
    base = RISK_MATRIX[inp.severity][band]
    level = escalate_for_scope(base, inp.exposed_units)
    level_low = _level_for(inp.severity, p_low, inp.exposed_units)
    level_high = _level_for(inp.severity, p_high, inp.exposed_units)
    changes = level_low != level or level_high != level

    lines = [f"伤害严重程度：{inp.severity}级（{SEVERITY_LABELS[inp.severity]}）"]
    for i, s in enumerate(inp.steps, start=1):
        line = f"情景步骤{i}：{s.description}，概率{format_probability(s.probability)}"
        if s.probability_low != s.probability or s.probability_high != s.probability:
            line += (
                f"（范围{format_probability(s.probability_low)}"
                f"～{format_probability(s.probability_high)}）"
            )
        if s.evidence:
            line += f"；依据：{s.evidence}"
        lines.append(line)
    lines.append(f"发生概率：{format_probability(p)}（{PROBABILITY_BANDS[band].label}）")
    lines.append(
        f"风险矩阵：严重程度{inp.severity}级 × 概率{PROBABILITY_BANDS[band].label} → {base.label}"
    )
    scope_band = _scope_band(inp.exposed_units)
    if inp.exposed_units is None:
        lines.append("使用数量未知，未按影响范围调整风险等级")
    elif level != base:
        lines.append(
            f"使用数量{format_units(inp.exposed_units)}件，"
            f"风险等级由{base.label}上调为{level.label}"
        )
    elif scope_band is not None:
        lines.append(
            f"使用数量{format_units(inp.exposed_units)}件（{scope_band.label}），"
            f"{base.label}在此范围内不上调"
        )
    else:
        lines.append(
            f"使用数量{format_units(inp.exposed_units)}件，未超过"
            f"{format_units(NO_ESCALATION_UP_TO)}件，不上调风险等级"
        )
    uncertainty = (
        f"不确定性：概率范围{format_probability(p_low)}～{format_probability(p_high)}，"
        f"对应风险等级{level_low.label}～{level_high.label}，"
    )
    uncertainty += "不确定性可能改变风险等级" if changes else "不确定性不改变风险等级"
    lines.append(uncertainty)
    flips = step_flips(inp, level)
    flip_line = flip_explanation(flips, changes)
    if flip_line:
        lines.append(flip_line)
    if inp.vulnerable_users:
        lines.append("使用者包括儿童、老年人等易受伤害群体，已在伤害情景中考虑")
    lines.append(f"证据质量：{EVIDENCE_QUALITY_LABELS[inp.evidence_quality]}")
    lines.append(f"社会关注度：{inp.attention.label}（用于确定预警等级，不改变风险等级）")
    lines.append(f"风险等级：{level.label}")
    return AssessmentResult(
        probability=p,
        band=band,
        base_level=base,
        level=level,
        probability_low=p_low,
        probability_high=p_high,
        level_low=level_low,
        level_high=level_high,
        uncertainty_changes_level=changes,
        explanation=tuple(lines),
        flip_steps=flips,
    )


def parse_probability(text: str, what: str) -> float:
    """A probability as an assessor types it: 0.004, 4e-3, 1/250 or 0.4%（not yet checked
    against (0, 1]: ``ScenarioStep`` does that with its own message)."""
    raw = text.strip().replace("％", "%")
    if not raw:
        raise InvalidAssessment(f"{what}为空")
    try:
        if raw.endswith("%"):
            return float(raw[:-1]) / 100
        if "/" in raw:
            numerator, denominator = raw.split("/", 1)
            return float(numerator) / float(denominator)
        return float(raw)
    except (ValueError, ZeroDivisionError):
        raise InvalidAssessment(f"{what}应为数字（如 0.004 或 1/250），实际为“{text}”") from None


def parse_steps(text: str) -> tuple[ScenarioStep, ...]:
    """Scenario steps typed one per line as ``描述 | 概率 | 下限 | 上限 | 依据`` (the range and
    the evidence may be left out; ``｜`` counts as ``|``)."""
    steps: list[ScenarioStep] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) < 2:
            raise InvalidAssessment(f"第{n}行应为“描述 | 概率 | 下限 | 上限 | 依据”：{line}")
        parts += [""] * (5 - len(parts))
        description, point, low_text, high_text, evidence = parts[:5]
        point_value = parse_probability(point, f"第{n}行的概率")
        low = parse_probability(low_text, f"第{n}行的下限") if low_text else None
        high = parse_probability(high_text, f"第{n}行的上限") if high_text else None
        steps.append(ScenarioStep(description or f"步骤{n}", point_value, low, high, evidence))
    if not steps:
        raise InvalidAssessment("伤害情景至少需要一个步骤")
    return tuple(steps)
