"""A monitoring station's quality score (动态评分, 0–100), from plain numbers only.

The weights are our own choice, not taken from a standard: timeliness weighs most because a
station that stops reporting blinds the early warning; completeness next because quarantined
records cost staff time; the share that proved to be a real risk (assessed or warned) rewards
useful reports; duplicate submissions cost least. They add up to 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

WEIGHT_TIMELINESS = 0.35
WEIGHT_COMPLETENESS = 0.30
WEIGHT_CONFIRMED = 0.20
WEIGHT_NO_DUPLICATES = 0.15
WINDOW_DAYS = 90


def _unit(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def share(part: float, whole: float) -> float:
    """``part / whole`` in [0, 1]; nothing to measure counts as 0."""
    return _unit(part / whole) if whole > 0 else 0.0


def timeliness(
    report_ages_hours: Iterable[float], window_hours: float, interval_hours: float
) -> float:
    """Share of the expected reporting intervals in the window that hold at least one report.

    The window (e.g. the last 90 days, or less for a young station) is cut into slots of the
    expected interval counted back from now; ``report_ages_hours`` are how long ago each
    report came."""
    if window_hours <= 0 or interval_hours <= 0:
        return 0.0
    slots = max(1, math.ceil(window_hours / interval_hours))
    covered = {
        int(age // interval_hours) for age in report_ages_hours if 0 <= age < slots * interval_hours
    }
    return share(len(covered), slots)


def quality_score(
    timeliness: float, completeness: float, confirmed_share: float, duplicate_share: float
) -> float:
    """Score 0–100, one decimal: rises with timeliness, completeness and confirmed share,
    falls with the duplicate share. Inputs are shares in [0, 1] (clamped)."""
    value = 100 * (
        WEIGHT_TIMELINESS * _unit(timeliness)
        + WEIGHT_COMPLETENESS * _unit(completeness)
        + WEIGHT_CONFIRMED * _unit(confirmed_share)
        + WEIGHT_NO_DUPLICATES * (1 - _unit(duplicate_share))
    )
    return round(min(100.0, max(0.0, value)), 1)
