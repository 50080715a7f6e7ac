"""Per-unit harm probability from counts: a Beta-binomial estimate for one scenario step.

Where the number of harm events is known — ``events`` complaints or injuries of the assessed
severity among ``units`` units in use (or exposures) — the probability that one unit causes
such a harm is estimated from the data instead of the assessor's judgement, with its
uncertainty as a credible interval; :func:`as_scenario_step` turns the estimate into a
:class:`~pqrisk.core.assessment.matrix.ScenarioStep` for :func:`assess` (METHODS §1).

Model: events ~ Binomial(units, r·θ), θ the per-unit harm probability and r the reporting
fraction (the share of harm events that reach us). The prior is on the reported-event rate
φ = r·θ; the posterior of φ is Beta(a + events, b + units − events), restricted to φ ≤ r
(θ ≤ 1), and θ = φ / r. With r = 1 this is the textbook conjugate update.

Default prior: Jeffreys Beta(0.5, 0.5). Our choice, because
- the estimate is meant as a check on the assessor's judgement, so it should come from the
  data alone; a prior centred on the matrix's point value would pull the check toward the
  value it checks;
- it is invariant to reparametrisation and its equal-tailed interval has close to nominal
  frequentist coverage for a binomial proportion, also for zero events and rare harms
  (Brown, Cai & DasGupta 2001, "Interval estimation for a binomial proportion");
- with no events it still gives a positive estimate and a finite upper bound, so it can feed
  a matrix that needs a probability > 0.
A deployment with prior knowledge can pass another :class:`BetaPrior`.
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import dataclass

from scipy.stats import beta

from pqrisk.core.assessment.matrix import InvalidAssessment, ScenarioStep, format_probability


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(a, b) prior of the (reported) harm rate."""

    a: float
    b: float
    label: str

    def __post_init__(self) -> None:
        for name, value in (("a", self.a), ("b", self.b)):
            if not _is_number(value) or not math.isfinite(value) or value <= 0:
                raise InvalidAssessment(f"先验Beta分布的参数{name}应为正数，实际为{value!r}")


# Jeffreys prior for a binomial proportion; see the module docstring for why it is the default.
JEFFREYS = BetaPrior(0.5, 0.5, "Jeffreys无信息先验Beta(0.5, 0.5)")
# Our choice: a 90 % interval, the range an assessor reads as "low" and "high" of one step.
DEFAULT_CREDIBILITY = 0.9


@dataclass(frozen=True)
class HarmRateEstimate:
    """Posterior of the per-unit harm probability θ (already divided by the reporting
    fraction): mean, median and an equal-tailed credible interval [low, high]."""

    events: int
    units: int
    reporting_fraction: float
    prior: BetaPrior
    credibility: float
    posterior_a: float  # Beta posterior of the reported-event rate r·θ (before φ ≤ r)
    posterior_b: float
    mean: float
    median: float
    low: float
    high: float
    explanation: tuple[str, ...]

    @property
    def expected_true_events(self) -> float:
        """``events / reporting_fraction``: the harm events there would be with full reporting."""
        return self.events / self.reporting_fraction


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidAssessment(f"{what}应为整数，实际为{value!r}")
    if value < 0:
        raise InvalidAssessment(f"{what}不能为负数，实际为{value}")
    return int(value)


def _check_fraction(value: float, what: str, *, include_one: bool) -> float:
    upper = "不超过1" if include_one else "小于1"
    ok = _is_number(value) and (0 < value <= 1 if include_one else 0 < value < 1)
    if not ok:  # NaN fails both comparisons
        raise InvalidAssessment(f"{what}应大于0且{upper}，实际为{value!r}")
    return float(value)


def _percent(x: float) -> str:
    return f"{x * 100:.4g}%"


def estimate_harm_probability(
    events: int,
    units: int,
    *,
    reporting_fraction: float = 1.0,
    credibility: float = DEFAULT_CREDIBILITY,
    prior: BetaPrior = JEFFREYS,
) -> HarmRateEstimate:
    """Estimate θ from ``events`` harm events among ``units`` units in use (or exposures).

    ``reporting_fraction`` r in (0, 1] discounts under-reporting: it is an assumption of the
    assessor (each harm event is reported with the same probability r, independently), not
    something the data show; events / r is then the expected number of true events, which may
    not exceed ``units``."""
    k = _check_count(events, "伤害事件数")
    n = _check_count(units, "使用数量（暴露数）")
    if n == 0:
        raise InvalidAssessment("使用数量（暴露数）应大于0")
    if k > n:
        raise InvalidAssessment(f"伤害事件数{k}超过使用数量{n}")
    r = _check_fraction(reporting_fraction, "报告比例", include_one=True)
    level = _check_fraction(credibility, "可信水平", include_one=False)
    if k / r > n:
        raise InvalidAssessment(
            f"按报告比例{_percent(r)}推算的实际伤害事件数{k / r:.4g}超过使用数量{n}，请核对报告比例"
        )

    a, b = prior.a + k, prior.b + n - k
    # The posterior of φ = r·θ restricted to φ ≤ r: quantile q of the restricted distribution
    # is the unrestricted quantile q·F(r). With r = 1, F(r) = 1 and nothing changes.
    mass = 1.0 if r == 1 else float(beta.cdf(r, a, b))

    def quantile(q: float) -> float:
        theta = float(beta.ppf(q * mass, a, b)) / r
        # A quantile can round to 0 for huge ``units``; θ itself is positive.
        return min(max(theta, sys.float_info.min), 1.0)

    tail = (1 - level) / 2
    low, median, high = quantile(tail), quantile(0.5), quantile(1 - tail)
    # E[φ | φ ≤ r] = a/(a+b) · F(r; a+1, b) / F(r; a, b)
    mean_phi = a / (a + b) * (1.0 if r == 1 else float(beta.cdf(r, a + 1, b)) / mass)
    mean = min(mean_phi / r, 1.0)

    lines = [f"数据：{n:,}件在用产品（或暴露人次）中发生{k}起该严重程度的伤害"]
    if r < 1:
        lines.append(
            f"假设：只有{_percent(r)}的伤害事件被报告（各事件被报告的概率相同且相互独立），"
            f"推算实际伤害事件约{k / r:.4g}起；报告比例是评估人员的假设，不由数据得出"
        )
    if r < 1:
        lines.append(
            f"先验：{prior.label}（报告伤害率），按二项分布更新为后验Beta({a:g}, {b:g})，"
            f"除以报告比例得到每件的伤害概率"
        )
    else:
        lines.append(f"先验：{prior.label}，按二项分布更新为后验Beta({a:g}, {b:g})")
    lines.append(
        f"估计：每件发生伤害的概率中位数{format_probability(median)}，"
        f"均值{format_probability(mean)}，"
        f"{_percent(level)}可信区间{format_probability(low)}～{format_probability(high)}"
    )
    if k == 0:
        lines.append(
            f"未观察到伤害事件不等于没有风险：概率仍可能高达{format_probability(high)}"
            f"（{_percent(level)}可信区间上限）"
        )
    return HarmRateEstimate(
        events=k,
        units=n,
        reporting_fraction=r,
        prior=prior,
        credibility=level,
        posterior_a=a,
        posterior_b=b,
        mean=mean,
        median=median,
        low=low,
        high=high,
        explanation=tuple(lines),
    )


def as_scenario_step(
    estimate: HarmRateEstimate, description: str = "产品在使用中导致该程度伤害"
) -> ScenarioStep:
    """The estimate as one scenario step: point = posterior median, range = credible interval.

    The median, not the mean: the matrix reads the probability on a log scale (bands of
    factors of 10), where the median is the value the true probability is as likely to be
    above as below, and it always lies inside the equal-tailed interval. With few events the
    posterior is right-skewed and the mean sits well above it (about twice the median for no
    events), which would overstate the typical case; the high end of the range covers the
    tail and is reported by the uncertainty analysis."""
    evidence = f"{estimate.units:,}件中{estimate.events}起伤害"
    if estimate.reporting_fraction < 1:
        evidence += f"，报告比例假设为{_percent(estimate.reporting_fraction)}"
    evidence += f"；{estimate.prior.label}，{_percent(estimate.credibility)}可信区间"
    return ScenarioStep(description, estimate.median, estimate.low, estimate.high, evidence)
