"""The outbreak simulator: reproducible, outbreaks inside the evaluation window, NB counts."""

from __future__ import annotations

import numpy as np
import pytest

from pqrisk.core.signals.simulate import SimulationConfig, simulate


def test_same_seed_same_series_and_other_seed_other_series() -> None:
    cfg = SimulationConfig(n_series=50, n_periods=120, eval_periods=40, seed=5)
    a, b = simulate(cfg), simulate(cfg)
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(a.start, b.start)
    c = simulate(SimulationConfig(n_series=50, n_periods=120, eval_periods=40, seed=6))
    assert not np.array_equal(a.counts, c.counts)


def test_each_outbreak_lies_inside_the_evaluation_window() -> None:
    sim = simulate(SimulationConfig(n_series=500, n_periods=200, eval_periods=30, seed=2))
    assert sim.eval_start == 170
    assert (sim.start >= 170).all()
    assert (sim.start + sim.duration <= 200).all()
    assert ((sim.duration >= 2) & (sim.duration <= 4)).all()
    assert np.array_equal(sim.outbreak.sum(axis=1), sim.duration)
    assert not sim.outbreak[:, :170].any()


def test_excess_outbreaks_add_k_times_the_expected_count() -> None:
    cfg = SimulationConfig(n_series=2000, n_periods=60, eval_periods=20, outbreak_size=2, seed=3)
    sim = simulate(cfg)
    none = simulate(SimulationConfig(**{**cfg.__dict__, "outbreak_share": 0.0}))
    assert (none.start == -1).all()
    # Same seed, same baseline draws: the difference is the outbreak.
    extra = (sim.counts - none.counts)[sim.outbreak]
    assert extra.sum() / sim.expected[sim.outbreak].sum() == pytest.approx(2.0, rel=0.03)
    assert (sim.counts - none.counts)[~sim.outbreak].sum() == 0


def test_baseline_counts_are_over_dispersed_as_configured() -> None:
    cfg = SimulationConfig(
        n_series=1,
        n_periods=200_000,
        eval_periods=10,
        mean_range=(10.0, 10.0),
        seasonal_amplitude=(0.0, 0.0),
        dispersion=(2.5, 2.5),
        outbreak_share=0.0,
        seed=4,
    )
    y = simulate(cfg).counts[0]
    assert y.mean() == pytest.approx(10.0, rel=0.02)
    assert y.var() / y.mean() == pytest.approx(2.5, rel=0.03)


def test_noufaily_outbreaks_total_k_standard_deviations() -> None:
    cfg = SimulationConfig(
        n_series=4000,
        n_periods=60,
        eval_periods=20,
        mean_range=(9.0, 9.0),
        seasonal_amplitude=(0.0, 0.0),
        dispersion=(1.0, 1.0),
        outbreak_size=4,
        outbreak_model="noufaily",
        seed=8,
    )
    sim = simulate(cfg)
    base = simulate(SimulationConfig(**{**cfg.__dict__, "outbreak_share": 0.0}))
    totals = (sim.counts - base.counts).sum(axis=1)
    assert totals.mean() == pytest.approx(4 * 3.0, rel=0.03)  # k × sqrt(phi × mu) = 4 × 3
