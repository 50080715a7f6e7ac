"""Per-unit harm probability from counts: the Beta-binomial estimate and its scenario step."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta

from pqrisk.core.assessment.bayes import (
    JEFFREYS,
    BetaPrior,
    as_scenario_step,
    estimate_harm_probability,
)
from pqrisk.core.assessment.matrix import AssessmentInput, InvalidAssessment, assess
from pqrisk.core.levels import RiskLevel


def test_known_values_against_scipy() -> None:
    """3 burns among 100,000 heaters, Jeffreys prior: posterior Beta(3.5, 99,997.5)."""
    e = estimate_harm_probability(3, 100_000)
    post = beta(3.5, 99_997.5)
    assert (e.posterior_a, e.posterior_b) == (3.5, 99_997.5)
    assert e.prior == JEFFREYS
    assert e.mean == pytest.approx(post.mean(), rel=1e-12)
    assert e.median == pytest.approx(post.median(), rel=1e-9)
    assert e.low == pytest.approx(post.ppf(0.05), rel=1e-9)
    assert e.high == pytest.approx(post.ppf(0.95), rel=1e-9)
    assert e.credibility == 0.9


def test_other_prior_and_credibility() -> None:
    e = estimate_harm_probability(
        12, 5_000, prior=BetaPrior(1, 1, "均匀先验Beta(1, 1)"), credibility=0.95
    )
    post = beta(13, 4_989)
    assert e.low == pytest.approx(post.ppf(0.025), rel=1e-9)
    assert e.high == pytest.approx(post.ppf(0.975), rel=1e-9)
    assert any("均匀先验Beta(1, 1)" in line for line in e.explanation)


@given(st.integers(min_value=1, max_value=10**7), st.data())
def test_interval_contains_the_mean_and_median(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    e = estimate_harm_probability(k, n)
    assert 0 < e.low <= e.median <= e.high <= 1
    assert e.low <= e.mean <= e.high


def test_more_data_narrows_the_interval() -> None:
    small = estimate_harm_probability(2, 10_000)
    large = estimate_harm_probability(200, 1_000_000)
    assert large.high - large.low < small.high - small.low
    assert large.median == pytest.approx(2e-4, rel=0.01)


def test_zero_events_still_gives_a_positive_upper_bound() -> None:
    e = estimate_harm_probability(0, 1_000_000)
    assert 0 < e.low < e.median < e.mean < e.high
    # Jeffreys, no events: the 95 % quantile of Beta(0.5, n + 0.5), about 1.92 / n.
    assert e.high == pytest.approx(beta.ppf(0.95, 0.5, 1_000_000.5), rel=1e-9)
    assert 1e-6 < e.high < 3e-6
    assert any("未观察到伤害事件不等于没有风险" in line for line in e.explanation)


def test_under_reporting_scales_up_the_estimate() -> None:
    full = estimate_harm_probability(3, 100_000)
    tenth = estimate_harm_probability(3, 100_000, reporting_fraction=0.1)
    assert tenth.expected_true_events == pytest.approx(30)
    # Far below the cap θ ≤ 1 the restriction φ ≤ r is immaterial: everything is 10 times.
    assert tenth.median == pytest.approx(full.median * 10, rel=1e-6)
    assert tenth.low == pytest.approx(full.low * 10, rel=1e-6)
    assert tenth.high == pytest.approx(full.high * 10, rel=1e-6)
    assert tenth.mean == pytest.approx(full.mean * 10, rel=1e-6)
    assert any("只有10%的伤害事件被报告" in line for line in tenth.explanation)


def test_under_reporting_never_gives_a_probability_above_one() -> None:
    e = estimate_harm_probability(5, 10, reporting_fraction=0.5)
    assert 0 < e.low <= e.median <= e.high <= 1
    assert e.mean <= 1


def test_estimate_feeds_the_matrix() -> None:
    """Data say about 1/31,500 per unit (band >1/100,000): a fatal harm at that rate is high."""
    e = estimate_harm_probability(3, 100_000)
    step = as_scenario_step(e, "电暖器过热起火致死")
    assert (step.probability, step.low, step.high) == (e.median, e.low, e.high)
    assert "100,000件中3起伤害" in step.evidence
    r = assess(AssessmentInput(4, (step,)))
    assert r.band == 5 and r.level is RiskLevel.HIGH
    # The 90 % interval 1/92,000–1/14,000 stays inside the band: nothing flips.
    assert not r.uncertainty_changes_level and r.flip_steps == ()


def test_estimate_with_few_units_flips_the_level() -> None:
    """1 event among 2,000: about 1/1,700, but the interval 1/11,000–1/510 spans three bands."""
    step = as_scenario_step(estimate_harm_probability(1, 2_000))
    r = assess(AssessmentInput(3, (step,)))
    assert r.level is RiskLevel.HIGH
    assert [(f.end, f.level) for f in r.flip_steps] == [
        ("low", RiskLevel.MEDIUM),
        ("high", RiskLevel.SERIOUS),
    ]


def test_zero_events_step_is_valid() -> None:
    step = as_scenario_step(estimate_harm_probability(0, 10**9))
    assert 0 < step.probability_low <= step.probability <= step.probability_high


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"events": 5, "units": 4}, "超过使用数量"),
        ({"events": 0, "units": 0}, "应大于0"),
        ({"events": -1, "units": 10}, "不能为负数"),
        ({"events": 1.5, "units": 10}, "应为整数"),
        ({"events": 1, "units": 10.0}, "应为整数"),
        ({"events": True, "units": 10}, "应为整数"),
        ({"events": "3", "units": 10}, "应为整数"),
        ({"events": 1, "units": 10, "reporting_fraction": 0}, "报告比例"),
        ({"events": 1, "units": 10, "reporting_fraction": 1.5}, "报告比例"),
        ({"events": 1, "units": 10, "reporting_fraction": float("nan")}, "报告比例"),
        ({"events": 6, "units": 10, "reporting_fraction": 0.5}, "推算的实际伤害事件数"),
        ({"events": 1, "units": 10, "credibility": 1.0}, "可信水平"),
        ({"events": 1, "units": 10, "credibility": 0}, "可信水平"),
    ],
)
def test_bad_inputs_get_a_chinese_message(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidAssessment) as info:
        estimate_harm_probability(**kwargs)  # type: ignore[arg-type]
    assert fragment in info.value.message_zh


@pytest.mark.parametrize(("a", "b"), [(0, 1), (1, -1), (float("inf"), 1), (float("nan"), 1)])
def test_bad_prior_is_rejected(a: float, b: float) -> None:
    with pytest.raises(InvalidAssessment, match="先验"):
        BetaPrior(a, b, "先验")
