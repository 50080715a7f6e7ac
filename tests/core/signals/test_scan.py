"""Space-time permutation scan: brute-force agreement, planted and null clusters, bad input."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from pqrisk.core.signals import scan
from pqrisk.core.signals.scan import (
    CaseCounts,
    InvalidScanInput,
    space_time_permutation_scan,
)

START = date(2025, 1, 1)


def districts(n: int, seed: int = 5) -> dict[str, tuple[float, float]]:
    """n district centroids scattered over Shanghai (lon, lat)."""
    rng = np.random.default_rng(seed)
    lon = 121.47 + rng.normal(0, 0.25, n)
    lat = 31.23 + rng.normal(0, 0.2, n)
    return {
        f"31{k:04d}": (float(x), float(y)) for k, (x, y) in enumerate(zip(lon, lat, strict=True))
    }


def make_cases(
    centroids: dict[str, tuple[float, float]],
    days: int,
    seed: int,
    *,
    per_day: float = 16.0,
    plant: tuple[str, int, int, float] | None = None,
) -> tuple[CaseCounts, tuple[str, ...]]:
    """Poisson counts with district and seasonal effects; ``plant`` = (centre, first day,
    length, factor) multiplies the centre and its two nearest districts."""
    rng = np.random.default_rng(seed)
    codes = tuple(centroids)
    weight = rng.gamma(3, 1, len(codes))
    season = 1 + 0.3 * np.sin(np.arange(days) / 365 * 2 * np.pi)
    rate = np.outer(weight / weight.sum() * per_day, season)
    planted: tuple[str, ...] = ()
    if plant is not None:
        centre, first, length, factor = plant
        xy = np.array([centroids[c] for c in codes])
        near = np.argsort(np.hypot(*(xy - xy[codes.index(centre)]).T), kind="stable")[:3]
        rate[np.ix_(near, np.arange(first, first + length))] *= factor
        planted = tuple(sorted(codes[i] for i in near))
    dates = tuple(START + timedelta(days=k) for k in range(days))
    return CaseCounts(codes, dates, rng.poisson(rate)), planted


# --------------------------------------------------------------------------- correctness


Best = tuple[float, tuple[str, ...], int, int]


def brute_force_best(cases: CaseCounts, centroids: dict[str, Any], max_days: int) -> Best:
    """Every circle × window by plain loops: (llr, locations, first day, last day)."""
    x = cases.counts.astype(float)
    total = x.sum()
    mu = np.outer(x.sum(1), x.sum(0)) / total
    codes = cases.locations
    xy = np.radians(np.array([centroids[c] for c in codes]))
    best: Best = (0.0, (), -1, -1)
    for centre in range(len(codes)):
        lon0, lat0 = xy[centre]
        dist = [
            math.acos(
                min(
                    1.0,
                    math.sin(lat0) * math.sin(lat)
                    + math.cos(lat0) * math.cos(lat) * math.cos(lon - lon0),
                )
            )
            for lon, lat in xy
        ]
        order = sorted(range(len(codes)), key=lambda i: (dist[i], i))
        for k in range(1, len(codes) // 2 + 1):
            members = order[:k]
            for first, length in itertools.product(range(x.shape[1]), range(1, max_days + 1)):
                last = first + length - 1
                if last >= x.shape[1]:
                    continue
                c = x[members, first : last + 1].sum()
                m = mu[members, first : last + 1].sum()
                if c <= m:
                    continue
                llr = c * math.log(c / m) + (
                    (total - c) * math.log((total - c) / (total - m)) if c < total else 0.0
                )
                if llr > best[0] + 1e-9:
                    best = (llr, tuple(sorted(codes[i] for i in members)), first, last)
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_most_likely_cluster_equals_brute_force(seed: int) -> None:
    centroids = districts(6, seed=seed)
    cases, _ = make_cases(centroids, 14, seed, per_day=5)
    result = space_time_permutation_scan(cases, centroids, replicates=0, max_days=5)
    llr, members, first, last = brute_force_best(cases, centroids, max_days=5)
    top = result.most_likely
    assert top is not None
    assert top.llr == pytest.approx(llr, rel=1e-9)
    assert tuple(sorted(top.locations)) == members
    assert (top.start, top.end) == (cases.dates[first], cases.dates[last])
    x = cases.counts
    rows = [cases.locations.index(c) for c in top.locations]
    window = slice(first, last + 1)
    assert top.observed == x[rows, window].sum()
    assert top.expected == pytest.approx(x[rows].sum() * x[:, window].sum() / x.sum(), rel=1e-9)


def test_staged_replicate_maxima_are_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """The count-threshold shortcut gives the same replicate maxima as scoring every
    cylinder (margin 0 makes every cylinder a candidate)."""
    centroids = districts(9)
    cases, _ = make_cases(centroids, 60, seed=4, per_day=8)
    fast = space_time_permutation_scan(cases, centroids, replicates=120, seed=3)
    monkeypatch.setattr(scan, "_PILOT_MARGIN", 0.0)
    full = space_time_permutation_scan(cases, centroids, replicates=120, seed=3)
    np.testing.assert_allclose(fast.replicate_maxima, full.replicate_maxima, rtol=1e-12)
    assert fast.replicate_maxima.min() > 0


def test_patefield_sampler_for_many_cases_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ~8 cases per district-day the tables are drawn cell by cell (Patefield); same
    permutation distribution, so the null maxima look alike."""
    centroids = districts(8)
    cases, _ = make_cases(centroids, 40, seed=6, per_day=40)
    boyett = space_time_permutation_scan(cases, centroids, replicates=199, seed=2)
    monkeypatch.setattr(scan, "_BOYETT_CASES_PER_CELL", 0)
    patefield = space_time_permutation_scan(cases, centroids, replicates=199, seed=2)
    assert not np.array_equal(boyett.replicate_maxima, patefield.replicate_maxima)
    assert np.median(patefield.replicate_maxima) == pytest.approx(
        np.median(boyett.replicate_maxima), rel=0.15
    )


def test_same_seed_same_answer_other_seed_other_replicates() -> None:
    centroids = districts(8)
    cases, _ = make_cases(centroids, 40, seed=9)
    one = space_time_permutation_scan(cases, centroids, replicates=49, seed=1)
    again = space_time_permutation_scan(cases, centroids, replicates=49, seed=1)
    other = space_time_permutation_scan(cases, centroids, replicates=49, seed=2)
    assert np.array_equal(one.replicate_maxima, again.replicate_maxima)
    assert one.clusters == again.clusters
    assert not np.array_equal(one.replicate_maxima, other.replicate_maxima)


# --------------------------------------------------------------------------- detection


def test_planted_cluster_is_found_with_999_replicates() -> None:
    """3 neighbouring districts × 7 days at 3× their rate, 17 districts × 90 days, ~40 cases a
    day in all."""
    centroids = districts(17)
    centre = next(iter(centroids))
    cases, planted = make_cases(centroids, 90, seed=21, per_day=40, plant=(centre, 50, 7, 3.0))
    result = space_time_permutation_scan(cases, centroids, replicates=999, seed=1)
    top = result.most_likely
    assert top is not None
    assert result.replicates == 999
    assert top.p_value < 0.05
    assert top.p_value == pytest.approx((1 + (result.replicate_maxima >= top.llr).sum()) / 1000)
    assert len(set(top.locations) & set(planted)) >= 2
    overlap = min(top.end, cases.dates[56]) - max(top.start, cases.dates[50])
    assert overlap.days >= 3
    assert top.ratio > 1.5
    assert "最可能聚集" in top.description and "P=" in top.description
    assert top.llr > result.critical_value(0.05)


def test_null_data_rarely_gives_a_significant_cluster() -> None:
    centroids = districts(17)
    p_values = []
    for seed in range(8):
        cases, _ = make_cases(centroids, 60, seed=100 + seed)
        result = space_time_permutation_scan(cases, centroids, replicates=99, seed=seed)
        assert result.most_likely is not None
        p_values.append(result.most_likely.p_value)
    assert sum(p <= 0.05 for p in p_values) <= 1, p_values


def test_prospective_scan_only_looks_at_windows_ending_today() -> None:
    centroids = districts(12)
    centre = list(centroids)[3]
    cases, planted = make_cases(centroids, 60, seed=8, plant=(centre, 55, 5, 4.0))
    result = space_time_permutation_scan(cases, centroids, replicates=99, seed=1, prospective=True)
    assert all(c.end == cases.dates[-1] for c in result.clusters)
    top = result.most_likely
    assert top is not None and top.p_value < 0.05
    assert set(top.locations) & set(planted)


def test_secondary_clusters_share_no_district() -> None:
    centroids = districts(17)
    cases, _ = make_cases(centroids, 60, seed=13)
    result = space_time_permutation_scan(cases, centroids, replicates=19, seed=0)
    assert len(result.clusters) >= 2
    seen: set[str] = set()
    for rank, cluster in enumerate(result.clusters, start=1):
        assert cluster.rank == rank
        assert not seen & set(cluster.locations)
        seen |= set(cluster.locations)
        assert len(cluster.locations) <= 8  # at most half of 17 districts
        assert 1 <= cluster.days <= 30
    llrs = [c.llr for c in result.clusters]
    assert llrs == sorted(llrs, reverse=True)
    ps = [c.p_value for c in result.clusters]
    assert ps == sorted(ps)


# --------------------------------------------------------------------------- bad input


def test_records_fill_missing_days_and_districts_with_zero() -> None:
    cases = CaseCounts.from_records(
        [("310115", date(2025, 3, 2), 4), ("310104", date(2025, 3, 4), 1)],
        locations=["310104", "310115", "310120"],
    )
    assert cases.dates == (date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 4))
    assert cases.counts.tolist() == [[0, 0, 1], [4, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([("310115", date(2025, 3, 2), -1)], "负数"),
        ([("310115", date(2025, 3, 2), None)], "缺少病例数"),
        ([("310115", date(2025, 3, 2), float("nan"))], "缺少病例数"),
        ([("310115", date(2025, 3, 2), 1.5)], "整数"),
        ([("310115", "2025-03-02", 1)], "日期无效"),
        ([("", date(2025, 3, 2), 1)], "缺少地区代码"),
        ([("310115", date(2025, 3, 2), 1), ("310115", date(2025, 3, 2), 2)], "重复"),
        ([("310199", date(2025, 3, 2), 1)], "未知地区"),
        ([], "为空"),
    ],
)
def test_bad_records_are_refused_with_a_reason(records: list[Any], message: str) -> None:
    with pytest.raises(InvalidScanInput, match=message):
        CaseCounts.from_records(records, locations=["310115", "310104"])


def test_records_outside_the_study_period_are_refused() -> None:
    with pytest.raises(InvalidScanInput, match="不在研究期"):
        CaseCounts.from_records(
            [("310115", date(2025, 3, 9), 1)], start=date(2025, 3, 1), end=date(2025, 3, 5)
        )


def test_bad_dates_are_refused() -> None:
    codes = ("310115", "310104")
    d = [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]
    counts = np.ones((2, 3), dtype=int)
    with pytest.raises(InvalidScanInput, match="顺序颠倒"):
        CaseCounts(codes, (d[0], d[2], d[1]), counts)
    with pytest.raises(InvalidScanInput, match="日期重复"):
        CaseCounts(codes, (d[0], d[1], d[1]), counts)
    with pytest.raises(InvalidScanInput, match="不连续"):
        CaseCounts(codes, (d[0], d[1], date(2025, 3, 5)), counts)
    with pytest.raises(InvalidScanInput, match="负数"):
        CaseCounts(codes, tuple(d), -counts)
    with pytest.raises(InvalidScanInput, match="缺少病例数"):
        CaseCounts(codes, tuple(d), np.full((2, 3), np.nan))
    with pytest.raises(InvalidScanInput, match="形状"):
        CaseCounts(codes, tuple(d[:2]), counts)


def test_bad_scan_input_is_refused() -> None:
    centroids = districts(4)
    codes = tuple(centroids)
    days = tuple(START + timedelta(days=k) for k in range(5))
    cases = CaseCounts(codes, days, np.ones((4, 5), dtype=int))
    with pytest.raises(InvalidScanInput, match="未知地区"):
        space_time_permutation_scan(cases, dict(list(centroids.items())[:3]))
    with pytest.raises(InvalidScanInput, match="坐标无效"):
        space_time_permutation_scan(cases, {**centroids, codes[0]: (200.0, 31.0)})
    with pytest.raises(InvalidScanInput, match="没有任何病例"):
        space_time_permutation_scan(CaseCounts(codes, days, np.zeros((4, 5))), centroids)
    with pytest.raises(InvalidScanInput, match="重复次数"):
        space_time_permutation_scan(cases, centroids, replicates=-1)
    with pytest.raises(InvalidScanInput, match="最大时间窗"):
        space_time_permutation_scan(cases, centroids, max_days=0)
    with pytest.raises(InvalidScanInput, match="两个地区"):
        space_time_permutation_scan(
            CaseCounts(codes[:1], days, np.ones((1, 5))), centroids, replicates=9
        )


def test_no_excess_anywhere_reports_no_cluster() -> None:
    centroids = districts(4)
    cases = CaseCounts(
        tuple(centroids), tuple(START + timedelta(days=k) for k in range(6)), np.ones((4, 6))
    )
    result = space_time_permutation_scan(cases, centroids, replicates=9)
    assert result.clusters == ()
    assert result.most_likely is None
