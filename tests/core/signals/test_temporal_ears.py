"""EARS C1/C2/C3 with negative-binomial thresholds: hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pqrisk.core.signals.temporal import (
    ALARM,
    INSUFFICIENT_BASELINE,
    NO_ALARM,
    SeriesInputError,
    c3_threshold,
    count_quantile,
    ears,
)

# Seven baseline weeks with mean 3 and variance 8/6 < 3: not over-dispersed, so Poisson(3).
# P(Y <= 9) = 0.99890 < 0.999 <= P(Y <= 10) = 0.99971, so the threshold is 10.
QUIET = [2, 3, 2, 4, 3, 2, 5]


def test_c1_uses_the_poisson_quantile_when_the_baseline_is_not_over_dispersed() -> None:
    det = ears([[*QUIET, 10], [*QUIET, 11]], "C1")
    assert det.threshold[:, 7].tolist() == [10.0, 10.0]
    assert det.expected[0, 7] == pytest.approx(3.0)
    assert det.alarm[:, 7].tolist() == [False, True]
    assert det.status[:, 7].tolist() == [NO_ALARM, ALARM]


def test_c1_uses_the_negative_binomial_when_the_baseline_is_over_dispersed() -> None:
    # Mean 5, variance 25: NB with size 5² / (25 - 5) = 1.25 and p = 5 / 25 = 0.2.
    det = ears([[0, 10, 0, 10, 0, 10, 5, 0]], "C1")
    want = stats.nbinom.ppf(0.999, 1.25, 0.2)
    assert want == 33.0
    assert det.threshold[0, 7] == want


def test_the_first_seven_periods_have_insufficient_baseline_and_never_alarm() -> None:
    det = ears([[0, 0, 0, 0, 0, 0, 0, 100]], "C1")
    assert det.status[0].tolist() == [INSUFFICIENT_BASELINE] * 7 + [ALARM]
    assert not det.alarm[0, :7].any()
    assert np.isnan(det.threshold[0, :7]).all()


def test_c2_skips_the_two_periods_before_the_one_judged() -> None:
    # Baseline of period 9 is periods 0..6; periods 7 and 8 (the guard band) are ignored.
    det = ears([[*QUIET, 50, 50, 10]], "C2")
    assert det.status[0].tolist() == [INSUFFICIENT_BASELINE] * 9 + [NO_ALARM]
    assert det.threshold[0, 9] == 10.0


def test_seven_zeros_do_not_make_a_single_case_an_alarm() -> None:
    # The expected count is floored at half a case over the baseline (0.5 / 7).
    det = ears([[0] * 7 + [1], [0] * 7 + [3]], "C1")
    assert det.threshold[:, 7].tolist() == [2.0, 2.0]
    assert det.alarm[:, 7].tolist() == [False, True]


def test_c3_sums_the_last_three_calibrated_c2_exceedances() -> None:
    counts = np.array([[*QUIET, 3, 3, 3, 7, 8, 9]], dtype=float)
    det = ears(counts, "C3")
    assert det.status[0, :11].tolist() == [INSUFFICIENT_BASELINE] * 11
    # By hand for period 12: z_i = Φ⁻¹(F_i(y_i - 1)) for i = 10, 11, 12 with each C2 baseline.
    z = []
    for i in (10, 11, 12):
        base = counts[0, i - 9 : i - 2]
        mean, var = base.mean(), base.var(ddof=1)
        assert var <= mean  # Poisson in this example
        z.append(stats.norm.ppf(stats.poisson.cdf(counts[0, i] - 1, mean)))
    want = sum(max(0.0, v - 1.0) for v in z)
    assert det.statistic[0, 12] == pytest.approx(want, rel=1e-9)
    assert det.threshold[0, 12] == c3_threshold(0.001)
    assert det.alarm[0, 12] == (want > c3_threshold(0.001))
    assert det.statistic[0, 12] > 0


def test_c3_threshold_matches_a_monte_carlo_estimate() -> None:
    rng = np.random.default_rng(7)
    sums = np.maximum(rng.standard_normal((2_000_000, 3)) - 1.0, 0.0).sum(axis=1)
    h = c3_threshold(0.01)
    assert (sums > h).mean() == pytest.approx(0.01, rel=0.05)


def test_count_quantile_agrees_with_scipy() -> None:
    rng = np.random.default_rng(3)
    mean = rng.gamma(1.0, 8.0, 2000)
    size = np.where(rng.random(2000) < 0.3, np.inf, rng.gamma(2.0, 2.0, 2000))
    finite = np.where(np.isfinite(size), size, 1.0)
    prob = np.where(np.isfinite(size), finite / (finite + mean), 1.0)
    for q in (0.95, 0.999):
        got = count_quantile(q, mean, size, prob)
        want = np.where(
            np.isfinite(size), stats.nbinom.ppf(q, finite, prob), stats.poisson.ppf(q, mean)
        )
        assert np.array_equal(got, want)


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ([[1, 2, -1, 3]], "负数"),
        ([[1, 2, np.nan, 3]], "缺失"),
        ([["1", "x"]], "不是数值"),
    ],
)
def test_bad_counts_are_refused_with_the_period_named(counts: object, words: str) -> None:
    with pytest.raises(SeriesInputError, match=words):
        ears(counts, "C1")


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(SeriesInputError, match="C4"):
        ears([[1, 2, 3]], "C4")


def test_blocks_of_series_give_the_same_verdicts_as_one_block() -> None:
    from pqrisk.core.signals.temporal import _by_series_chunks, _ears_block

    y = np.random.default_rng(9).poisson(4.0, (10, 40)).astype(float)
    whole = _ears_block(y, "C3", 0.001, 7, 5)
    parts = _by_series_chunks(y, 5, lambda part: _ears_block(part, "C3", 0.001, 7, 5), chunk=3)
    assert np.array_equal(whole.status, parts.status)
    assert np.allclose(whole.statistic, parts.statistic, equal_nan=True)
