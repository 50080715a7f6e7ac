"""The quality score is a pure function: bounded, and monotone in each of its inputs."""

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.stations.quality import (
    WEIGHT_COMPLETENESS,
    WEIGHT_CONFIRMED,
    WEIGHT_NO_DUPLICATES,
    WEIGHT_TIMELINESS,
    quality_score,
    timeliness,
)

unit = st.floats(min_value=-1, max_value=2, allow_nan=False)


def test_weights_add_up_to_one() -> None:
    total = WEIGHT_TIMELINESS + WEIGHT_COMPLETENESS + WEIGHT_CONFIRMED + WEIGHT_NO_DUPLICATES
    assert abs(total - 1) < 1e-9


def test_a_perfect_station_scores_100_and_a_silent_one_little() -> None:
    assert quality_score(1, 1, 1, 0) == 100
    assert quality_score(0, 0, 0, 1) == 0


@given(unit, unit, unit, unit)
def test_bounded(t: float, c: float, k: float, d: float) -> None:
    assert 0 <= quality_score(t, c, k, d) <= 100


@given(unit, unit, unit, unit, st.floats(min_value=0, max_value=1), st.integers(0, 3))
def test_monotone_in_each_input(
    t: float, c: float, k: float, d: float, step: float, i: int
) -> None:
    args = [t, c, k, d]
    better = list(args)
    # More of the first three is better; more duplicates is worse.
    better[i] = args[i] + step if i < 3 else args[i] - step
    assert quality_score(*better) >= quality_score(*args)


def test_timeliness_counts_the_intervals_holding_a_report() -> None:
    # 4 weekly slots in 28 days; reports 1 h and 30 h ago (same slot) and 15 days ago.
    assert timeliness([1, 30, 15 * 24], 28 * 24, 168) == 0.5
    assert timeliness([], 28 * 24, 168) == 0
    assert timeliness([1, 8 * 24, 15 * 24, 22 * 24], 28 * 24, 168) == 1
