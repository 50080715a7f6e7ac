"""Farrington flexible and Noufaily: the batch GLM against statsmodels, and planted spikes."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from pqrisk.core.signals.simulate import SimulationConfig, simulate
from pqrisk.core.signals.temporal import (
    INSUFFICIENT_BASELINE,
    _BlockTrendGLM,
    _farrington,
    farrington,
    farrington_design,
)


@pytest.fixture(scope="module")
def sim_counts() -> np.ndarray:
    cfg = SimulationConfig(n_series=6, n_periods=416, eval_periods=52, seed=11)
    return simulate(cfg).counts


def test_designs_have_the_surveillance_package_shapes() -> None:
    original = farrington_design(52, 5, 3, 1, 3)
    assert original.offsets.size == 5 * 7  # b (2w + 1) reference weeks
    assert set(original.block.tolist()) == {0}
    assert original.history == 263
    improved = farrington_design(52, 5, 3, 10, 26)
    # Every week from 5 years and 3 weeks back up to 27 weeks back.
    assert improved.offsets.tolist() == list(range(-263, -26))
    # The 45 weeks between windows split into 9 blocks of 5 weeks each.
    first_gap = improved.block[(improved.offsets > -52 * 5 + 3) & (improved.offsets < -52 * 4 - 3)]
    assert first_gap.tolist() == [j for j in range(1, 10) for _ in range(5)]


@pytest.mark.parametrize("trend", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_batch_irls_matches_statsmodels_glm(
    sim_counts: np.ndarray, trend: bool, weighted: bool
) -> None:
    design = farrington_design(52, 5, 3, 10, 26)
    time = design.offsets / 52
    glm = _BlockTrendGLM(design.block, design.n_blocks, time)
    y = sim_counts[:, 400 + design.offsets]
    weights = np.random.default_rng(0).uniform(0.2, 1.5, y.shape) if weighted else None
    fit = glm.fit(y, weights, trend)
    x = np.hstack([glm.g, time[:, None]]) if trend else glm.g
    hat = glm.hat(fit, weights)
    for i in range(y.shape[0]):
        kw = {} if weights is None else {"var_weights": weights[i]}
        ref = sm.GLM(y[i], x, family=sm.families.Poisson(), **kw).fit(scale="X2", tol=1e-12)
        ours = np.r_[fit.alpha[i], fit.beta[i]] if trend else fit.alpha[i]
        assert ours == pytest.approx(ref.params, abs=1e-9)
        assert fit.dispersion[i] == pytest.approx(ref.scale, rel=1e-9)
        assert hat[i] == pytest.approx(ref.get_influence().hat_matrix_diag, abs=1e-9)
        if trend:
            assert np.sqrt(fit.dispersion[i] / fit.d[i]) == pytest.approx(ref.bse[-1], rel=1e-9)


def _reference(y: np.ndarray, t0: int, variant: str, alpha: float = 0.05) -> tuple[float, float]:
    """surveillance::farringtonFlexible for one period, written with statsmodels."""
    design = (
        farrington_design(52, 5, 3, 1, 3)
        if variant == "farrington"
        else farrington_design(52, 5, 3, 10, 26)
    )
    yb = y[t0 + design.offsets]
    blocks = np.zeros((yb.size, design.n_blocks))
    blocks[np.arange(yb.size), design.block] = 1.0
    x_trend = np.hstack([blocks, (design.offsets / 52)[:, None]])

    def fit(x: np.ndarray) -> sm.regression.linear_model.RegressionResults:
        first = sm.GLM(yb, x, family=sm.families.Poisson()).fit(scale="X2")
        phi = max(first.scale, 1.0)
        mu = first.fittedvalues
        h = first.get_influence().hat_matrix_diag
        s = 1.5 * (yb ** (2 / 3) * mu ** (-1 / 6) - mu**0.5) / np.sqrt(phi * (1 - h))
        raw = np.where(s > 2.58, s**-2.0, 1.0)
        w = raw * yb.size / raw.sum()
        return sm.GLM(yb, x, family=sm.families.Poisson(), var_weights=w).fit(
            scale="X2", use_t=True
        )

    model = fit(x_trend)
    mu0 = float(np.exp(model.params[0]))
    if not (model.pvalues[-1] < 0.05 and mu0 <= yb.max()):
        model = fit(blocks)
    mu0 = float(np.exp(model.params[0]))
    var_eta = float(model.cov_params()[0, 0])
    phi = max(float(model.scale), 1.0)
    if variant == "farrington":
        z = stats.norm.ppf(1 - alpha)
        se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * (phi + mu0 * var_eta))
        return mu0, float((mu0 ** (2 / 3) + z * se) ** 1.5)
    if phi > 1:
        return mu0, float(stats.nbinom.ppf(1 - alpha, mu0 / (phi - 1), 1 / phi))
    return mu0, float(stats.poisson.ppf(1 - alpha, mu0))


@pytest.mark.parametrize("variant", ["farrington", "noufaily"])
def test_expected_and_threshold_match_a_statsmodels_reimplementation(
    sim_counts: np.ndarray, variant: str
) -> None:
    det = farrington(sim_counts, variant=variant, first=380)
    for s in range(sim_counts.shape[0]):
        for t0 in (380, 397, 415):
            mu0, upper = _reference(sim_counts[s], t0, variant)
            assert det.expected[s, t0 - 380] == pytest.approx(mu0, rel=1e-7)
            assert det.threshold[s, t0 - 380] == pytest.approx(upper, rel=1e-7)


@pytest.mark.parametrize("variant", ["farrington", "noufaily"])
def test_a_planted_spike_alarms_there_and_nowhere_else(variant: str) -> None:
    weeks = np.arange(416)
    y = np.round(20 + 8 * np.sin(2 * np.pi * weeks / 52)).astype(float)
    y[380] = 60
    det = farrington(y[None, :], variant=variant)
    alarms = np.flatnonzero(det.alarm[0])
    assert alarms.tolist() == [380]
    assert (det.status[0, :263] == INSUFFICIENT_BASELINE).all()
    assert not (det.status[0, 263:] == INSUFFICIENT_BASELINE).any()


def test_fewer_than_five_cases_in_four_weeks_never_alarm() -> None:
    y = np.zeros(300)
    y[290] = 4  # far above an all-zero baseline, but only 4 cases in the last 4 weeks
    y[299] = 5
    det = farrington(y[None, :], variant="noufaily", first=263)
    assert np.flatnonzero(det.alarm[0]).tolist() == [299 - 263]


def _awkward_counts(seed: int) -> np.ndarray:
    """Seasonal over-dispersed series plus the cases that stress the fits: outbreaks, trends,
    empty seasonal blocks, all-zero and near-zero series, large and fractional counts."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(416)
    level = rng.uniform(0.2, 40.0, (12, 1))
    trend = rng.normal(0.0, 0.002, (12, 1))
    season = 1.0 + 0.5 * np.sin(2 * np.pi * weeks / 52 + rng.uniform(0, 6, (12, 1)))
    mean = level * season * np.exp(trend * (weeks - 300))
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mean)).astype(float)
    y[0, rng.integers(0, 416, 20)] += rng.integers(10, 60, 20)  # past outbreaks
    y[1] = 0.0
    y[2] = 0.0
    y[2, [30, 200, 390]] = 1.0  # almost empty
    y[3, (weeks % 52) > 10] = 0.0  # whole seasonal blocks without cases
    y[4] *= 1000.0
    y[5] = np.round(y[5] * rng.uniform(0.5, 1.5, 416), 2)  # weighted estimates
    y[6] = np.where(weeks < 200, 0.0, y[6] * 3)  # a series that starts late
    return y


@pytest.mark.parametrize("variant", ["farrington", "noufaily"])
@pytest.mark.parametrize("trend", [True, False])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summed_fits_equal_the_point_by_point_reference(
    variant: str, trend: bool, seed: int
) -> None:
    y = _awkward_counts(seed)
    args = (52, variant, 5, 3, 0.05, 2.58, trend, 0.05, (5, 4), 263)
    fast = farrington(y, variant=variant, trend=trend, first=263)
    ref = _farrington(y, *args, 60_000, reference=True)
    for chunk in (60_000, 3_000):  # one block of series, and one series at a time
        det = _farrington(y, *args, chunk, reference=False)
        for name in ("statistic", "threshold", "expected"):
            got, want = getattr(det, name), getattr(ref, name)
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12, err_msg=name)
        np.testing.assert_array_equal(det.alarm, ref.alarm)
        np.testing.assert_array_equal(det.status, ref.status)
    np.testing.assert_array_equal(fast.alarm, ref.alarm)
    np.testing.assert_allclose(fast.expected, ref.expected, rtol=1e-8, atol=1e-12)
