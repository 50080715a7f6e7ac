"""Expert assessment (专家评估): aggregate one round of ratings, decide whether a second
(Delphi) round is needed, and combine the experts' level with the model's suggestion and the
risk matrix into the case's final level.

Each expert rates the case as the risk matrix asks (METHODS §1): the severity of the worst
credible injury (1–4) and a probability for each step of the injury scenario; the matrix gives
their level, and they may state another level with a reason.

Aggregation (our choices, each explained where it is defined):

- severity: the median; for an even number of ratings the higher of the two middle values;
- each step's probability: the median on a log scale (``log_median``). Probabilities of rare
  harms span orders of magnitude and the matrix reads them in bands of a factor of 10, so the
  middle of 1/10 and 1/1,000 is 1/100, not 0.05 (the arithmetic mean of the two). For an odd
  number of ratings this is the plain median; for an even number, the geometric mean of the
  two middle values. When the experts used different steps (an expert may write their own
  scenario), the scenario probabilities (the product of each expert's steps) are aggregated
  the same way instead;
- the level from the aggregated inputs (median severity × aggregated probability, through the
  matrix) is shown as a check; the experts' level (``Aggregate.level``) is the median of the
  levels they stated (their matrix level where they stated none), the higher of the two middle
  ones for an even number: it is the experts' own judgement, reasons included;
- spread: the number of distinct levels, their span and ordinal IQR (in steps of the level
  scale), the span of severities and the log10 range of each step's probabilities.

A second round (Delphi, 德尔菲法) is called for when the experts are far apart
(``DelphiPolicy``): in it, each expert sees the first round's anonymous summary and rates
again. After the last round a wide spread is left to the consultation meeting (会商研判).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pqrisk.core.assessment.matrix import (
    AssessmentInput,
    AssessmentResult,
    InvalidAssessment,
    ScenarioStep,
    assess,
    format_probability,
)
from pqrisk.core.levels import RiskLevel

LEVEL_BY_RANK = {level.rank: level for level in RiskLevel}
OWN_SCENARIO = "专家情景概率（各专家情景步骤概率之积的对数中位数）"


@dataclass(frozen=True)
class DelphiPolicy:
    """When the experts are too far apart, and how the final level is combined.

    Every number is our choice (no standard gives one); a deployment overrides them in
    ``settings.PQRISK_POLICY["experts"]``.
    """

    # A median of fewer than three opinions is one or two people's view: aggregate at least
    # three ratings, or every active panel member's when the panel is smaller.
    min_ratings: int = 3
    # Stated levels spanning more than one step of the scale (low and high, say) call for a
    # second round: adjacent levels are a normal difference of judgement, two steps are not.
    max_level_span: int = 1
    # The same for the severity: 2 and 4 are different injuries, not a nuance.
    max_severity_span: int = 1
    # One step's probabilities more than a factor of 10 apart (one band of the matrix) call
    # for a second round: the experts read the evidence differently.
    max_step_log10_spread: float = 1.0
    # Whole-scenario probabilities more than a factor of 100 apart: the scenario multiplies
    # the steps' uncertainties, so the tolerance is wider than one step's.
    max_scenario_log10_spread: float = 2.0
    # Round 1 and one Delphi round; a spread still too wide goes to the consultation meeting.
    max_rounds: int = 2
    # The experts' level and the model's or the matrix's this many steps apart (low vs high)
    # call for a consultation meeting before the case is concluded.
    consult_gap: int = 2


DEFAULT_POLICY = DelphiPolicy()


@dataclass(frozen=True)
class Rating:
    """One expert's rating in one round. ``stated_level`` None: the matrix level stands."""

    expert_id: int
    name: str
    severity: int
    steps: tuple[ScenarioStep, ...]
    stated_level: RiskLevel | None = None
    comment: str = ""


def parse_probability(text: object) -> float:
    """A probability as assessors write it: 0.001, 1e-3, 1/1000, 1/1,000 or 0.1%.
    Raises ``InvalidAssessment`` (Chinese) for anything else or outside (0, 1]."""
    if isinstance(text, bool):
        raise InvalidAssessment(f"概率应为数值，实际为{text!r}")
    if isinstance(text, int | float):
        value = float(text)
    else:
        raw = str(text).strip().replace(",", "").replace("，", "").replace(" ", "")
        if not raw:
            raise InvalidAssessment("请填写概率")
        try:
            if raw.endswith("%"):
                value = float(raw[:-1]) / 100
            elif "/" in raw:
                top, bottom = raw.split("/", 1)
                value = float(top) / float(bottom)
            else:
                value = float(raw)
        except (ValueError, ZeroDivisionError):
            raise InvalidAssessment(
                f"无法识别的概率“{text}”，请填写如0.001、1/1000或0.1%的数值"
            ) from None
    if math.isnan(value) or not 0 < value <= 1:
        raise InvalidAssessment(f"概率应大于0且不超过1，实际为{text}")
    return value


def rate(
    severity: int, steps: Sequence[ScenarioStep], exposed_units: int | None = None
) -> AssessmentResult:
    """The matrix's result for one expert's severity and steps (the level shown to them)."""
    return assess(
        AssessmentInput(severity=severity, steps=tuple(steps), exposed_units=exposed_units)
    )


def log_median(values: Sequence[float]) -> float:
    """The median on a log scale (see the module docstring): the middle value for an odd
    count, the geometric mean of the two middle values for an even one. The middle value is
    returned as given, so that unanimous experts aggregate to exactly their value."""
    if not values:
        raise InvalidAssessment("没有可汇总的概率")
    for p in values:
        if not 0 < p <= 1:
            raise InvalidAssessment(f"概率应大于0且不超过1，实际为{p!r}")
    ordered = sorted(values)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    a, b = ordered[n // 2 - 1], ordered[n // 2]
    # sqrt of each, not of the product: the product of two tiny probabilities can underflow.
    return a if a == b else min(1.0, math.sqrt(a) * math.sqrt(b))


def upper_median(values: Sequence[int]) -> int:
    """The median of integers; for an even count the higher of the two middle values
    (when the experts split evenly, the safer side)."""
    if not values:
        raise InvalidAssessment("没有可汇总的数值")
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def ordinal_iqr(values: Sequence[int]) -> int:
    """Interquartile range of ordinal values by the nearest-rank quartiles."""
    ordered = sorted(values)
    n = len(ordered)
    q1 = ordered[math.ceil(0.25 * n) - 1]
    q3 = ordered[math.ceil(0.75 * n) - 1]
    return q3 - q1


def log10_spread(values: Sequence[float]) -> float:
    """How many factors of 10 lie between the smallest and largest probability."""
    return math.log10(max(values)) - math.log10(min(values))


def median_level(levels: Sequence[RiskLevel]) -> RiskLevel:
    return LEVEL_BY_RANK[upper_median([lv.rank for lv in levels])]


@dataclass(frozen=True)
class StepSummary:
    description: str
    probability: float  # the log-scale median
    low: float
    high: float
    log10_spread: float


@dataclass(frozen=True)
class Spread:
    level_counts: tuple[tuple[RiskLevel, int], ...]  # highest level first
    distinct_levels: int
    level_span: int
    level_iqr: int
    severity_span: int
    step_log10: tuple[float, ...]  # per step when the steps are shared; else empty
    scenario_log10: float


@dataclass(frozen=True)
class Dissent:
    """An expert whose stated level differs from the experts' level; ``gap`` > 0: higher."""

    expert_id: int
    name: str
    level: RiskLevel
    gap: int
    comment: str


@dataclass(frozen=True)
class Aggregate:
    n: int
    severity: int
    steps: tuple[StepSummary, ...]
    steps_shared: bool
    probability: float
    input_level: RiskLevel  # the matrix level of the aggregated inputs
    level: RiskLevel  # the experts' level: the median of the stated levels
    spread: Spread
    delphi: bool
    delphi_reasons: tuple[str, ...]
    dissent: tuple[Dissent, ...]
    explanation: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy for the round's record."""
        return {
            "n": self.n,
            "severity": self.severity,
            "steps": [
                {
                    "description": s.description,
                    "probability": s.probability,
                    "low": s.low,
                    "high": s.high,
                    "log10_spread": s.log10_spread,
                }
                for s in self.steps
            ],
            "steps_shared": self.steps_shared,
            "probability": self.probability,
            "input_level": self.input_level.value,
            "level": self.level.value,
            "spread": {
                "level_counts": [[lv.value, n] for lv, n in self.spread.level_counts],
                "distinct_levels": self.spread.distinct_levels,
                "level_span": self.spread.level_span,
                "level_iqr": self.spread.level_iqr,
                "severity_span": self.spread.severity_span,
                "step_log10": list(self.spread.step_log10),
                "scenario_log10": self.spread.scenario_log10,
            },
            "delphi": self.delphi,
            "delphi_reasons": list(self.delphi_reasons),
            "dissent": [
                {
                    "expert_id": d.expert_id,
                    "name": d.name,
                    "level": d.level.value,
                    "gap": d.gap,
                    "comment": d.comment,
                }
                for d in self.dissent
            ],
            "explanation": list(self.explanation),
        }


def _step_key(r: Rating) -> tuple[str, ...]:
    return tuple(s.description.strip() for s in r.steps)


def _times(spread: float) -> str:
    return f"{10**spread:,.0f}倍"


def aggregate(
    ratings: Sequence[Rating],
    *,
    exposed_units: int | None = None,
    policy: DelphiPolicy = DEFAULT_POLICY,
) -> Aggregate:
    """Aggregate one round of ratings and say whether a second round is called for."""
    if not ratings:
        raise InvalidAssessment("没有可汇总的专家评分")
    if len({r.expert_id for r in ratings}) != len(ratings):
        raise InvalidAssessment("同一专家在一轮中只能有一份评分")
    results = [rate(r.severity, r.steps, exposed_units) for r in ratings]
    stated = [r.stated_level or res.level for r, res in zip(ratings, results, strict=True)]
    severity = upper_median([r.severity for r in ratings])
    scenario = [res.probability for res in results]

    shared = len({_step_key(r) for r in ratings}) == 1
    if shared:
        summaries = []
        for i, description in enumerate(_step_key(ratings[0])):
            values = [r.steps[i].probability for r in ratings]
            summaries.append(
                StepSummary(
                    description or f"步骤{i + 1}",
                    log_median(values),
                    min(values),
                    max(values),
                    log10_spread(values),
                )
            )
        steps = tuple(summaries)
    else:
        steps = (
            StepSummary(
                OWN_SCENARIO,
                log_median(scenario),
                min(scenario),
                max(scenario),
                log10_spread(scenario),
            ),
        )
    input_result = rate(
        severity, [ScenarioStep(s.description, s.probability) for s in steps], exposed_units
    )
    level = median_level(stated)

    counts = Counter(stated)
    ranks = [lv.rank for lv in stated]
    spread = Spread(
        level_counts=tuple(
            (lv, counts[lv]) for lv in sorted(counts, key=lambda lv: lv.rank, reverse=True)
        ),
        distinct_levels=len(counts),
        level_span=max(ranks) - min(ranks),
        level_iqr=ordinal_iqr(ranks),
        severity_span=max(r.severity for r in ratings) - min(r.severity for r in ratings),
        step_log10=tuple(s.log10_spread for s in steps) if shared else (),
        scenario_log10=log10_spread(scenario),
    )

    reasons: list[str] = []
    if spread.level_span > policy.max_level_span:
        low, high = LEVEL_BY_RANK[min(ranks)], LEVEL_BY_RANK[max(ranks)]
        reasons.append(
            f"专家给出的风险等级从{low.label}到{high.label}，相差{spread.level_span}级"
            f"（超过{policy.max_level_span}级）"
        )
    if spread.severity_span > policy.max_severity_span:
        sev = [r.severity for r in ratings]
        reasons.append(
            f"伤害严重程度从{min(sev)}级到{max(sev)}级，相差{spread.severity_span}级"
            f"（超过{policy.max_severity_span}级）"
        )
    if shared:
        for i, s in enumerate(steps, start=1):
            if s.log10_spread > policy.max_step_log10_spread:
                reasons.append(
                    f"情景步骤{i}（{s.description}）的概率从{format_probability(s.low)}"
                    f"到{format_probability(s.high)}，相差{_times(s.log10_spread)}"
                    f"（超过{_times(policy.max_step_log10_spread)}）"
                )
    if spread.scenario_log10 > policy.max_scenario_log10_spread:
        reasons.append(
            f"各专家的情景概率从{format_probability(min(scenario))}"
            f"到{format_probability(max(scenario))}，相差{_times(spread.scenario_log10)}"
            f"（超过{_times(policy.max_scenario_log10_spread)}）"
        )

    dissent = tuple(
        Dissent(r.expert_id, r.name, lv, lv.rank - level.rank, r.comment)
        for r, lv in zip(ratings, stated, strict=True)
        if lv is not level
    )

    lines = [f"参与汇总的专家评分：{len(ratings)}份"]
    lines.append(f"伤害严重程度中位数：{severity}级")
    if shared:
        for i, s in enumerate(steps, start=1):
            lines.append(
                f"情景步骤{i}（{s.description}）概率的对数中位数：{format_probability(s.probability)}"
                f"（专家取值{format_probability(s.low)}～{format_probability(s.high)}）"
            )
    else:
        lines.append(
            "专家使用了不同的情景步骤，按各专家情景概率汇总："
            f"对数中位数{format_probability(steps[0].probability)}"
        )
    lines.append(
        f"按汇总输入计算的矩阵等级：{input_result.level.label}"
        f"（严重程度{severity}级 × 概率{format_probability(input_result.probability)}）"
    )
    dist = "、".join(f"{lv.label}{n}人" for lv, n in spread.level_counts)
    lines.append(f"专家给出的风险等级：{dist}；中位数：{level.label}")
    if input_result.level is not level:
        lines.append(
            f"注意：按汇总输入计算的等级（{input_result.level.label}）与专家给出等级的中位数"
            f"（{level.label}）不同，专家评估等级以后者为准"
        )
    lines.append(
        f"分歧程度：{spread.distinct_levels}种等级，跨度{spread.level_span}级，"
        f"四分位距{spread.level_iqr}级；情景概率相差{_times(spread.scenario_log10)}"
    )
    if reasons:
        lines.append("分歧较大：" + "；".join(reasons))
    return Aggregate(
        n=len(ratings),
        severity=severity,
        steps=steps,
        steps_shared=shared,
        probability=input_result.probability,
        input_level=input_result.level,
        level=level,
        spread=spread,
        delphi=bool(reasons),
        delphi_reasons=tuple(reasons),
        dissent=dissent,
        explanation=tuple(lines),
    )


def ratings_required(active_members: int, policy: DelphiPolicy = DEFAULT_POLICY) -> int:
    """Ratings needed before a round can be aggregated."""
    return max(1, min(policy.min_ratings, active_members))


def needs_next_round(
    delphi: bool, round_number: int, policy: DelphiPolicy = DEFAULT_POLICY
) -> bool:
    """Whether a wide spread in ``round_number`` calls for another round (not after the last)."""
    return delphi and round_number < policy.max_rounds


# ---------------------------------------------------------------- the final level


def final_rule_text(policy: DelphiPolicy = DEFAULT_POLICY) -> str:
    """The rule that combines model, matrix and experts, as the conclusion records it."""
    return (
        "定级规则：以专家评估等级为准；专家评估等级与模型研判建议或风险矩阵评估等级"
        f"相差{policy.consult_gap}级及以上，或专家意见经{policy.max_rounds}轮评估仍分歧较大时，"
        "须提交会商研判，以会商结论为准。无专家评估时以风险矩阵评估为准"
        "（无矩阵评估时以模型研判建议为准）。"
    )


@dataclass(frozen=True)
class FinalDecision:
    level: RiskLevel
    rule: str  # the rule and how it applied to this case, in Chinese
    consultation_required: bool
    reasons: tuple[str, ...]  # why a consultation is required (empty when not)
    basis: str  # "experts", "matrix" or "model"


def level_gap(a: RiskLevel, b: RiskLevel) -> int:
    return abs(a.rank - b.rank)


def final_level(
    *,
    experts: RiskLevel | None,
    model: RiskLevel | None = None,
    matrix: RiskLevel | None = None,
    experts_divided: bool = False,
    policy: DelphiPolicy = DEFAULT_POLICY,
) -> FinalDecision:
    """Combine the experts' level, the model's suggestion and the matrix level.

    Why this rule: the experts saw the evidence, the model's suggestion and the matrix
    assessment, and they answer for the judgement, so their level stands. The model learns
    from past conclusions and the system's matrix assessment starts from default
    probabilities; a difference of one level is ordinary judgement, a difference of two
    (low against high) means one side has missed or weighed evidence very differently and
    must be discussed before the bureau acts on it. An expert panel that is still divided
    after the Delphi round is not a basis for a conclusion either.
    """
    inputs = []
    for name, lv in (("专家评估", experts), ("模型研判建议", model), ("风险矩阵评估", matrix)):
        inputs.append(f"{name}{lv.label if lv else '无'}")
    reasons: list[str] = []
    if experts is not None:
        level, basis = experts, "experts"
        for name, other in (("模型研判建议", model), ("风险矩阵评估", matrix)):
            if other is not None and level_gap(experts, other) >= policy.consult_gap:
                reasons.append(
                    f"专家评估{experts.label}与{name}{other.label}相差{level_gap(experts, other)}级"
                )
        if experts_divided:
            reasons.append(f"专家意见经{policy.max_rounds}轮评估仍分歧较大")
    elif matrix is not None:
        level, basis = matrix, "matrix"
        if model is not None and level_gap(matrix, model) >= policy.consult_gap:
            reasons.append(
                f"风险矩阵评估{matrix.label}与模型研判建议{model.label}相差"
                f"{level_gap(matrix, model)}级，且无专家评估"
            )
    elif model is not None:
        level, basis = model, "model"
    else:
        raise InvalidAssessment("没有专家评估、风险矩阵评估或模型研判建议，无法确定结论等级")
    applied = f"本任务：{'，'.join(inputs)}。"
    if reasons:
        applied += "须会商：" + "；".join(reasons) + "。"
    else:
        applied += f"结论等级：{level.label}。"
    return FinalDecision(
        level=level,
        rule=final_rule_text(policy) + applied,
        consultation_required=bool(reasons),
        reasons=tuple(reasons),
        basis=basis,
    )
