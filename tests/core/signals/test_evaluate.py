"""The evaluation harness: POD, false alarms and delay on small seeded simulations."""

from __future__ import annotations

import numpy as np
import pytest

from pqrisk.core.signals.evaluate import evaluate, fixed_threshold, score
from pqrisk.core.signals.simulate import SimulationConfig, simulate
from pqrisk.core.signals.temporal import ALARM, INSUFFICIENT_BASELINE, NO_ALARM, Detection

CFG = SimulationConfig(n_series=40, n_periods=300, eval_periods=37, seed=1)


def _oracle(sim, shift: int = 0, extra: tuple[int, int] | None = None) -> Detection:  # type: ignore[no-untyped-def]
    """Alarms exactly in outbreak periods from ``shift`` on, plus one optional false alarm."""
    first = sim.eval_start
    ob = sim.outbreak[:, first:]
    alarm = ob & (np.cumsum(ob, axis=1) > shift)
    if extra is not None:
        alarm[extra] = True
    status = np.where(alarm, ALARM, NO_ALARM).astype(np.int8)
    nan = np.full(ob.shape, np.nan)
    return Detection("oracle", first, nan, nan, nan, alarm, status)


def test_a_perfect_detector_scores_perfectly() -> None:
    sim = simulate(CFG)
    sc = score(_oracle(sim), sim)
    assert (sc.pod, sc.false_alarm_rate, sc.median_delay) == (1.0, 0.0, 0.0)
    assert sc.outbreaks == sc.detected == 40


def test_delay_counts_periods_from_the_start_and_false_alarms_are_shared_out() -> None:
    sim = simulate(CFG)
    quiet_row = np.flatnonzero(~sim.outbreak[0, sim.eval_start :])[0]
    sc = score(_oracle(sim, shift=1, extra=(0, quiet_row)), sim)
    assert sc.median_delay == 1.0
    assert sc.pod == 1.0  # every outbreak lasts at least 2 periods
    quiet = int((~sim.outbreak[:, sim.eval_start :]).sum())
    assert sc.false_alarm_rate == pytest.approx(1 / quiet)
    assert sc.false_alarms_per_series_year == pytest.approx(1 / (quiet / 52))


def test_insufficient_baseline_is_neither_an_alarm_nor_a_quiet_period() -> None:
    sim = simulate(CFG)
    det = _oracle(sim)
    status = det.status.copy()
    status[:, :5] = INSUFFICIENT_BASELINE
    det = Detection("oracle", det.first, det.statistic, det.threshold, det.expected,
                    det.alarm & (status == ALARM), status)  # fmt: skip
    sc = score(det, sim)
    assert sc.insufficient_periods == 40 * 5
    assert sc.evaluated_periods == 40 * (37 - 5)


def test_harness_is_deterministic_and_scores_every_method() -> None:
    sim = simulate(CFG)
    methods = ["C1", "C2", "C3", "cusum", "farrington", "noufaily"]
    a = evaluate(sim, methods)
    b = evaluate(simulate(CFG), methods)
    assert [s.method for s in a] == [*methods, "mean3sd"]
    for x, y in zip(a, b, strict=True):
        assert x.as_json() == y.as_json()
        assert 0.0 <= x.pod <= 1.0
        assert 0.0 <= x.false_alarm_rate <= 1.0
        assert x.insufficient_periods == 0  # 300 weeks leave 37 judged weeks for Farrington


def test_reference_threshold_is_history_mean_plus_three_sd() -> None:
    counts = np.array([[1.0, 3.0, 1.0, 3.0, 5.0, 9.0]])
    det = fixed_threshold(counts, 4)
    assert det.threshold[0, 0] == pytest.approx(2.0 + 3 * np.std([1, 3, 1, 3], ddof=1))
    assert det.alarm[0].tolist() == [False, True]
