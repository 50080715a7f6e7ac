"""CUSUM on standardised counts (k = 1.04, h = 2.26): a hand-worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pqrisk.core.signals.temporal import ALARM, INSUFFICIENT_BASELINE, NO_ALARM, cusum

COUNTS = [5] * 10 + [9, 9, 5, 13, 5]


def test_cusum_accumulates_alarms_and_resets() -> None:
    det = cusum([COUNTS])
    s = det.statistic[0]
    z_9 = 4 / math.sqrt(5)  # baseline of seven 5s: sd 0, floored at the Poisson sd √5
    assert s[9] == 0.0
    assert s[10] == pytest.approx(z_9 - 1.04)
    assert s[11] == pytest.approx(2 * (z_9 - 1.04))
    assert s[12] == pytest.approx(2 * (z_9 - 1.04) - 1.04)
    # Period 13: baseline periods 4..10 = six 5s and a 9, mean 39/7 > variance, so sd √(39/7).
    mean = 39 / 7
    z = (13 - mean) / math.sqrt(mean)
    assert s[13] == pytest.approx(s[12] + z - 1.04)
    assert s[13] > 2.26
    # Reset after the alarm: period 14 starts from 0 (and its z is negative).
    assert s[14] == 0.0
    assert det.status[0].tolist() == [INSUFFICIENT_BASELINE] * 9 + [NO_ALARM] * 4 + [
        ALARM,
        NO_ALARM,
    ]
    assert np.all(det.threshold[0, 9:] == 2.26)


def test_first_limits_the_output_but_not_the_accumulation() -> None:
    full = cusum([COUNTS])
    tail = cusum([COUNTS], first=12)
    assert tail.first == 12
    assert np.array_equal(tail.statistic, full.statistic[:, 12:])
    assert np.array_equal(tail.alarm, full.alarm[:, 12:])
