"""Scoring detectors on simulated outbreaks (模拟评估).

Per method, over the evaluation window of a :class:`~pqrisk.core.signals.simulate.Simulation`:

- probability of detection (POD): share of outbreaks with at least one alarm during the
  outbreak periods;
- false alarm rate: share of evaluated non-outbreak periods (status alarm or no alarm, not
  insufficient baseline) with an alarm; periods after an outbreak count as non-outbreak;
- false alarms per series-year: those alarms divided by series-years of evaluated
  non-outbreak periods;
- median delay: periods from outbreak start to the first alarm, over detected outbreaks
  (0 = alarm in the start period).

A reference detector is scored alongside: a fixed threshold, the mean + 3 sd of each series'
history before the evaluation window.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pqrisk.core.signals.simulate import Simulation
from pqrisk.core.signals.temporal import (
    ALARM,
    INSUFFICIENT_BASELINE,
    NO_ALARM,
    Detection,
    _status,
    detect,
)

REFERENCE = "mean3sd"


@dataclass(frozen=True)
class MethodScore:
    method: str
    pod: float
    false_alarm_rate: float
    false_alarms_per_series_year: float
    median_delay: float | None
    outbreaks: int
    detected: int
    evaluated_periods: int
    insufficient_periods: int
    seconds: float

    def as_json(self) -> dict[str, float | None]:
        return {
            "pod": round(self.pod, 4),
            "false_alarm_rate": round(self.false_alarm_rate, 5),
            "median_delay": self.median_delay,
        }


def fixed_threshold(counts: NDArray[np.float64], first: int, sds: float = 3.0) -> Detection:
    """Reference: alarm when the count exceeds mean + sds × sd of periods before ``first``."""
    history = counts[:, :first]
    ok_series = history.shape[1] >= 2
    s, t = counts.shape
    if ok_series:
        thr = history.mean(axis=1) + sds * history.std(axis=1, ddof=1)
    else:
        thr = np.full(s, np.nan)
    threshold = np.repeat(thr[:, None], t - first, axis=1)
    statistic = counts[:, first:].copy()
    ok = np.isfinite(threshold)
    statistic[~ok] = np.nan
    alarm = ok & (statistic > threshold)
    expected = (
        np.repeat(history.mean(axis=1)[:, None], t - first, axis=1) if ok_series else threshold
    )
    return Detection(REFERENCE, first, statistic, threshold, expected, alarm, _status(alarm, ok))


def score(detection: Detection, sim: Simulation, seconds: float = 0.0) -> MethodScore:
    """Score one detection over the simulation's evaluation window."""
    first = sim.eval_start
    if detection.first > first:
        raise ValueError("检测结果未覆盖整个评估窗口")
    cut = first - detection.first
    status = detection.status[:, cut:]
    alarm = status == ALARM
    evaluated = (status == ALARM) | (status == NO_ALARM)
    outbreak = sim.outbreak[:, first:]
    quiet = evaluated & ~outbreak
    false_alarms = int((alarm & quiet).sum())
    n_quiet = int(quiet.sum())
    far = false_alarms / n_quiet if n_quiet else float("nan")
    per_year = false_alarms / (n_quiet / sim.config.ppy) if n_quiet else float("nan")

    has = sim.start >= 0
    in_outbreak = alarm & outbreak
    detected = in_outbreak.any(axis=1) & has
    first_alarm = np.argmax(in_outbreak, axis=1) + first
    delays = (first_alarm - sim.start)[detected]
    n_out = int(has.sum())
    return MethodScore(
        method=detection.method,
        pod=float(detected.sum() / n_out) if n_out else float("nan"),
        false_alarm_rate=float(far),
        false_alarms_per_series_year=float(per_year),
        median_delay=float(np.median(delays)) if delays.size else None,
        outbreaks=n_out,
        detected=int(detected.sum()),
        evaluated_periods=int(evaluated.sum()),
        insufficient_periods=int((status == INSUFFICIENT_BASELINE).sum()),
        seconds=seconds,
    )


def evaluate(
    sim: Simulation, methods: Iterable[str], *, reference: bool = True
) -> list[MethodScore]:
    """Run each method over the simulation (judging the evaluation window only) and score it."""
    out = []
    for method in methods:
        t0 = time.perf_counter()
        det = detect(sim.counts, method, ppy=sim.config.ppy, first=sim.eval_start)
        out.append(score(det, sim, time.perf_counter() - t0))
    if reference:
        t0 = time.perf_counter()
        det = fixed_threshold(sim.counts, sim.eval_start)
        out.append(score(det, sim, time.perf_counter() - t0))
    return out
