"""Space-time permutation scan over districts × days (Kulldorff et al. 2005, PLoS Med 2:e59).

The model needs case counts only, no population: the expected count of district z on day d
is μ_zd = C_z· × C_·d / C (the space × time margins, C the total), so a cluster is a place
whose share of cases rises for a while compared with its own share over the whole study
period and with the city's share on those days.

Scanning window (a "cylinder"): a circle — a district and its k − 1 nearest neighbours by
great-circle distance between centroids, k up to ``max_spatial_share`` (50 %) of the
districts — times a run of consecutive days. Retrospective analysis takes every run of
1…``max_days`` days inside the study period; prospective analysis (surveillance) only the runs
that end on the last day. For a cylinder with c observed and μ expected cases, the Poisson
generalised likelihood ratio of the paper is

    LLR = c ln(c / μ) + (C − c) ln((C − c) / (C − μ))    if c > μ, else 0.

The most likely cluster is the cylinder of largest LLR; secondary clusters are the next best
that share no district with a cluster already reported (SaTScan's default "no geographical
overlap" rule). Significance by Monte-Carlo: each replicate re-assigns the case dates to the
cases at random, keeping every district's and every day's total (``scipy.stats.random_table``:
Boyett's algorithm, a uniform permutation of the dates over the cases, or for many cases per
cell Patefield's, which draws the same distribution cell by cell), and records
its largest LLR. A cluster's p-value is (1 + number of replicates whose maximum ≥ its LLR) /
(R + 1), as SaTScan reports it (secondary clusters against the same maxima: conservative).

Speed: the expected counts are the same in every replicate (margins are kept), so a replicate
only needs its circle counts (one small matrix product of cumulated counts) and, per window
length, one subtraction. Computing the exact LLR of every cylinder of every replicate would be
the slow part; instead an integer threshold c*(μ) is worked out once per cylinder — the least
count whose LLR reaches t, where t is below every replicate maximum seen in a pilot of
replicates computed in full — and only cylinders with c ≥ c* get their LLR computed. A
replicate with no such cylinder (its maximum is below t) is computed in full. Every replicate
maximum is therefore exact, not an approximation.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import random_table

FloatArray = NDArray[np.float64]

# METHODS §5.
DEFAULT_REPLICATES = 999
# Kulldorff 2005 / SaTScan: circles up to 50 % of the locations.
DEFAULT_MAX_SPATIAL_SHARE = 0.5
# Our choice: product-risk clusters (a bad batch, a faulty model on sale) are acute; 30 days
# keeps the scan inside the 10 s budget for a year. SaTScan's own cap, half of the study
# period, is also applied.
DEFAULT_MAX_DAYS = 30
DEFAULT_MAX_CLUSTERS = 10
EARTH_RADIUS_KM = 6371.0088
# Replicates per batch: bounds the memory of the circle × day arrays (~B × Z × T × 4 bytes).
_BATCH = 50
_PILOT = 20
_PILOT_MARGIN = 0.8
_BOYETT_CASES_PER_CELL = 8


class InvalidScanInput(ValueError):
    """The scan cannot run on this input; the message says why, in Chinese, for the user."""


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_count(value: object, where: str) -> int:
    if value is None:
        raise InvalidScanInput(f"{where}缺少病例数")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise InvalidScanInput(f"{where}的病例数应为非负整数：{value!r}")
    number = float(value)
    if math.isnan(number):
        raise InvalidScanInput(f"{where}缺少病例数")
    if number < 0:
        raise InvalidScanInput(f"{where}的病例数为负数（{value}）")
    if not math.isfinite(number) or number != int(number):
        raise InvalidScanInput(f"{where}的病例数应为整数：{value!r}")
    return int(number)


class CaseCounts:
    """Case counts per district (rows) and consecutive day (columns), checked on creation."""

    __slots__ = ("counts", "dates", "locations")

    def __init__(self, locations: Sequence[str], dates: Sequence[date], counts: ArrayLike) -> None:
        locations, dates = tuple(locations), tuple(dates)
        if not locations or not dates:
            raise InvalidScanInput("病例表为空：没有任何地区或日期")
        seen: set[str] = set()
        for code in locations:
            if not isinstance(code, str) or not code.strip():
                raise InvalidScanInput("地区代码缺失")
            if code in seen:
                raise InvalidScanInput(f"地区“{code}”重复出现")
            seen.add(code)
        for k, day in enumerate(dates):
            if not isinstance(day, date):
                raise InvalidScanInput(f"第{k + 1}个日期不是日期：{day!r}")
            if k and day <= dates[k - 1]:
                kind = "重复" if day == dates[k - 1] else "顺序颠倒"
                raise InvalidScanInput(f"日期{kind}：{dates[k - 1]}之后是{day}")
        for k, day in enumerate(dates):
            if k and (day - dates[k - 1]).days != 1:
                raise InvalidScanInput(
                    f"日期不连续：{dates[k - 1]}之后是{day}（没有病例的日子请填0）"
                )
        counts = np.asarray(counts)
        if counts.shape != (len(locations), len(dates)):
            raise InvalidScanInput(
                f"病例矩阵形状{counts.shape}与地区数{len(locations)}、天数{len(dates)}不符"
            )
        if counts.dtype.kind not in "iuf":
            raise InvalidScanInput("病例数应为数值")
        as_float = counts.astype(np.float64)
        if np.isnan(as_float).any():
            i, j = np.argwhere(np.isnan(as_float))[0]
            raise InvalidScanInput(f"地区“{locations[i]}”{dates[j]}缺少病例数")
        if (as_float < 0).any():
            i, j = np.argwhere(as_float < 0)[0]
            raise InvalidScanInput(
                f"地区“{locations[i]}”{dates[j]}的病例数为负数（{counts[i, j]}）"
            )
        if not np.isfinite(as_float).all() or (as_float != np.round(as_float)).any():
            raise InvalidScanInput("病例数应为非负整数")
        self.locations: tuple[str, ...] = locations
        self.dates: tuple[date, ...] = dates
        self.counts: NDArray[np.int64] = as_float.astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"CaseCounts({len(self.locations)} locations × {len(self.dates)} days "
            f"from {self.dates[0]}, {int(self.counts.sum())} cases)"
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Sequence[object]],
        *,
        start: date | None = None,
        end: date | None = None,
        locations: Sequence[str] | None = None,
    ) -> CaseCounts:
        """Build from ``(district, date, count)`` rows; days and districts without a row are 0.

        The study period is ``start``…``end`` (default: first to last date seen); a row outside
        it, a repeated (district, date) row, a negative or missing count is an error.
        """
        cells: dict[tuple[str, date], int] = {}
        for number, record in enumerate(records, start=1):
            where = f"第{number}条记录"
            if len(record) != 3:
                raise InvalidScanInput(f"{where}应为（地区, 日期, 病例数）三项")
            code, day, count = record
            if not isinstance(code, str) or not code.strip():
                raise InvalidScanInput(f"{where}缺少地区代码")
            if not isinstance(day, date):
                raise InvalidScanInput(f"{where}的日期无效：{day!r}")
            if hasattr(day, "date") and callable(day.date):
                day = day.date()  # a datetime counts for its day
            number_of_cases = _check_count(count, where)
            key = (code.strip(), day)
            if key in cells:
                raise InvalidScanInput(f"{where}重复：地区“{key[0]}”{day}已有一条记录")
            cells[key] = number_of_cases
        if not cells and (start is None or end is None):
            raise InvalidScanInput("病例表为空：没有任何记录")
        days_seen = [d for _, d in cells]
        first = start if start is not None else min(days_seen)
        last = end if end is not None else max(days_seen)
        if last < first:
            raise InvalidScanInput(f"研究期结束日{last}早于开始日{first}")
        for code, day in cells:
            if not first <= day <= last:
                raise InvalidScanInput(f"地区“{code}”的日期{day}不在研究期{first}至{last}内")
        codes = list(locations) if locations is not None else sorted({c for c, _ in cells})
        row = {c: i for i, c in enumerate(codes)}
        unknown = sorted({c for c, _ in cells} - row.keys())
        if unknown:
            raise InvalidScanInput(f"未知地区：{'、'.join(unknown)}")
        dates = tuple(first + timedelta(days=k) for k in range((last - first).days + 1))
        counts = np.zeros((len(codes), len(dates)), dtype=np.int64)
        for (code, day), count in cells.items():
            counts[row[code], (day - first).days] = count
        return cls(tuple(codes), dates, counts)


@dataclass(frozen=True)
class ScanCluster:
    rank: int  # 1 = most likely cluster
    centre: str
    locations: tuple[str, ...]
    radius_km: float
    start: date
    end: date
    observed: int
    expected: float
    llr: float
    p_value: float

    @property
    def ratio(self) -> float:
        """Observed / expected (SaTScan's "Obs/Exp")."""
        return self.observed / self.expected

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def description(self) -> str:
        kind = "最可能聚集" if self.rank == 1 else f"次级聚集{self.rank - 1}"
        return (
            f"{kind}：以{self.centre}为中心的{len(self.locations)}个地区"
            f"（{'、'.join(self.locations)}，半径{self.radius_km:.1f}公里），"
            f"{self.start}至{self.end}（{self.days}天）：观察{self.observed}例，"
            f"期望{self.expected:.1f}例，观察/期望={self.ratio:.2f}，"
            f"对数似然比={self.llr:.2f}，P={self.p_value:.3f}"
        )


@dataclass(frozen=True, eq=False)
class ScanResult:
    clusters: tuple[ScanCluster, ...]
    replicate_maxima: FloatArray  # largest LLR of each Monte-Carlo replicate
    total_cases: int
    cylinders: int
    circles: int
    max_days: int
    prospective: bool
    seed: int | None

    @property
    def most_likely(self) -> ScanCluster | None:
        return self.clusters[0] if self.clusters else None

    @property
    def replicates(self) -> int:
        return int(self.replicate_maxima.size)

    def critical_value(self, alpha: float = 0.05) -> float:
        """The LLR a cluster needs for p ≤ ``alpha`` (SaTScan's critical values)."""
        ordered = np.sort(self.replicate_maxima)[::-1]
        k = math.floor(alpha * (ordered.size + 1))  # at most k − 1 replicates may reach it
        if k < 1:
            return math.inf
        return float(ordered[k - 1])


def _check_centroids(
    locations: Sequence[str], centroids: Mapping[str, Sequence[float]]
) -> NDArray[np.float64]:
    unknown = [code for code in locations if code not in centroids]
    if unknown:
        raise InvalidScanInput(f"未知地区（没有中心点坐标）：{'、'.join(unknown)}")
    coords = np.empty((len(locations), 2))
    for k, code in enumerate(locations):
        point = centroids[code]
        if (
            len(point) != 2
            or not all(_is_number(v) and math.isfinite(float(v)) for v in point)
            or not -180 <= point[0] <= 180
            or not -90 <= point[1] <= 90
        ):
            raise InvalidScanInput(f"地区“{code}”的中心点坐标无效（应为经度, 纬度）：{point!r}")
        coords[k] = point
    return coords


def _distances_km(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _circles(
    distances: NDArray[np.float64], max_size: int
) -> tuple[NDArray[np.float32], list[tuple[int, tuple[int, ...], float]]]:
    """Distinct circles: (centre, member indices, radius) and their membership matrix."""
    n = distances.shape[0]
    seen: set[tuple[int, ...]] = set()
    circles: list[tuple[int, tuple[int, ...], float]] = []
    for centre in range(n):
        # nearest first; equal distances broken by the location's order, for reproducibility
        order = np.lexsort((np.arange(n), distances[centre]))
        for k in range(1, max_size + 1):
            members = tuple(sorted(int(i) for i in order[:k]))
            if members in seen:
                continue
            seen.add(members)
            circles.append((centre, members, float(distances[centre, order[k - 1]])))
    membership = np.zeros((len(circles), n), dtype=np.float32)
    for z, (_, members, _) in enumerate(circles):
        membership[z, list(members)] = 1.0
    return membership, circles


def _llr(c: ArrayLike, mu: ArrayLike, total: float) -> FloatArray:
    """Kulldorff's Poisson GLR in log form, 0 where the cylinder is not in excess."""
    c = np.asarray(c, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    rest = total - c
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = c * np.log(c / mu)
        outside = np.where(rest > 0, rest * np.log(rest / (total - mu)), 0.0)
        value = inside + outside
    return np.where((c > mu) & (mu > 0), value, 0.0)


class _Windows:
    """Expected counts and count thresholds of every cylinder, grouped by window length."""

    def __init__(
        self, circle_totals: FloatArray, day_totals: FloatArray, max_days: int, prospective: bool
    ) -> None:
        self.total = float(day_totals.sum())
        self.days = day_totals.size
        self.max_days = max_days
        self.prospective = prospective
        cum = np.concatenate([[0.0], np.cumsum(day_totals)])
        self.mu: list[FloatArray] = []
        for w in range(1, max_days + 1):
            upper, lower = self.slices(w)
            self.mu.append(circle_totals[:, None] * (cum[upper] - cum[lower])[None, :] / self.total)
        self.thresholds: list[NDArray[np.float32]] | None = None

    def slices(self, w: int) -> tuple[slice, slice]:
        """Index ranges into day-cumulated counts: window = cum[upper] − cum[lower]."""
        first_end = self.days if self.prospective else w
        return slice(first_end, self.days + 1), slice(first_end - w, self.days + 1 - w)

    def count(self) -> int:
        return sum(mu.size for mu in self.mu)

    def set_threshold(self, llr: float) -> None:
        """Least integer count whose LLR reaches ``llr`` for every cylinder (C + 1: never)."""
        total = self.total
        slack = 1e-9 * max(1.0, llr)  # a superset of the candidates, never a subset
        self.thresholds = []
        for mu in self.mu:
            lo = np.floor(mu)  # LLR(lo) = 0 < llr
            hi = np.full(mu.shape, total)
            never = _llr(hi, mu, total) < llr - slack
            while True:
                open_ = hi - lo > 1
                if not open_.any():
                    break
                mid = np.floor((lo + hi) / 2)
                ok = _llr(mid, mu, total) >= llr - slack
                hi = np.where(open_ & ok, mid, hi)
                lo = np.where(open_ & ~ok, mid, lo)
            self.thresholds.append(np.where(never, total + 1, hi).astype(np.float32))

    def maxima(self, circle_cum: NDArray[np.float32], full: bool) -> FloatArray:
        """Largest LLR of each replicate, circle_cum: replicates × circles × (days + 1).

        ``full`` computes every cylinder; otherwise only those at or above the thresholds, and
        a replicate with none gets −1 (to be computed in full).
        """
        batch = circle_cum.shape[0]
        best = np.full(batch, 0.0 if full else -1.0)
        for w in range(1, self.max_days + 1):
            upper, lower = self.slices(w)
            counts = circle_cum[:, :, upper] - circle_cum[:, :, lower]
            mu = self.mu[w - 1]
            if full:
                llr = _llr(counts, np.broadcast_to(mu, counts.shape), self.total)
                np.maximum(best, llr.reshape(batch, -1).max(axis=1), out=best)
                continue
            assert self.thresholds is not None
            # 1-D nonzero of a mostly-false mask is far cheaper than the 3-D one
            hits = np.flatnonzero(counts >= self.thresholds[w - 1])
            if hits.size:
                rep, cell = np.divmod(hits, mu.size)
                llr = _llr(counts.reshape(-1)[hits], mu.reshape(-1)[cell], self.total)
                np.maximum.at(best, rep, llr)
        return best


def _circle_cumulative(
    membership: NDArray[np.float32], tables: NDArray[np.int64]
) -> NDArray[np.float32]:
    """Cases of each circle cumulated over days: replicates × circles × (days + 1), exact in
    float32 because the total is below 2**24."""
    cum = np.zeros((tables.shape[0], tables.shape[1], tables.shape[2] + 1), dtype=np.float32)
    np.cumsum(tables, axis=2, out=cum[:, :, 1:])
    return np.matmul(membership, cum)


def space_time_permutation_scan(
    cases: CaseCounts,
    centroids: Mapping[str, Sequence[float]],
    *,
    replicates: int = DEFAULT_REPLICATES,
    max_spatial_share: float = DEFAULT_MAX_SPATIAL_SHARE,
    max_days: int = DEFAULT_MAX_DAYS,
    prospective: bool = False,
    max_clusters: int = DEFAULT_MAX_CLUSTERS,
    seed: int | None = 0,
) -> ScanResult:
    """Most likely and secondary space-time clusters of ``cases`` with Monte-Carlo p-values.

    ``centroids`` maps each district code to its centroid (longitude, latitude) in degrees.
    The same ``seed`` gives the same replicates and so the same p-values.
    """
    if not isinstance(cases, CaseCounts):
        raise InvalidScanInput("输入应为CaseCounts")
    if not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 0:
        raise InvalidScanInput(f"蒙特卡罗重复次数应为非负整数，实际为{replicates!r}")
    if not _is_number(max_spatial_share) or not 0 < max_spatial_share <= 1:
        raise InvalidScanInput(f"最大空间范围比例应在0到1之间，实际为{max_spatial_share!r}")
    if not isinstance(max_days, int) or isinstance(max_days, bool) or max_days < 1:
        raise InvalidScanInput(f"最大时间窗应为正整数天，实际为{max_days!r}")
    if not isinstance(max_clusters, int) or max_clusters < 1:
        raise InvalidScanInput(f"报告聚集数应为正整数，实际为{max_clusters!r}")
    coords = _check_centroids(cases.locations, centroids)
    counts = cases.counts
    total = int(counts.sum())
    if total <= 0:
        raise InvalidScanInput("研究期内没有任何病例，无法扫描")
    n_loc, n_days = counts.shape
    if n_loc < 2 or n_days < 2:
        raise InvalidScanInput("至少需要两个地区和两天的数据")
    if total >= 2**24:
        raise InvalidScanInput(f"病例总数{total}过大（上限{2**24 - 1}）")

    distances = _distances_km(coords)
    membership, circles = _circles(distances, max(1, math.floor(max_spatial_share * n_loc)))
    loc_totals = counts.sum(axis=1).astype(np.float64)
    day_totals = counts.sum(axis=0).astype(np.float64)
    # SaTScan's cap: a window is at most half of the study period.
    window_days = max(1, min(max_days, n_days // 2))
    windows = _Windows(
        membership.astype(np.float64) @ loc_totals, day_totals, window_days, prospective
    )

    # Observed cylinders, best window per circle.
    observed_cum = _circle_cumulative(membership, counts[None, :, :].astype(np.int64))[0]
    best_llr = np.zeros(len(circles))
    best_window = [(0, 0)] * len(circles)  # (w, index into the window's ends)
    for w in range(1, window_days + 1):
        upper, lower = windows.slices(w)
        c = observed_cum[:, upper] - observed_cum[:, lower]
        llr = _llr(c, windows.mu[w - 1], float(total))
        arg = llr.argmax(axis=1)
        top = llr[np.arange(len(circles)), arg]
        better = top > best_llr
        for circle in np.flatnonzero(better):
            best_window[circle] = (w, int(arg[circle]))
        best_llr = np.where(better, top, best_llr)

    chosen: list[int] = []
    used: set[int] = set()
    for candidate in np.argsort(-best_llr, kind="stable"):
        if best_llr[candidate] <= 0 or len(chosen) >= max_clusters:
            break
        covered = set(circles[candidate][1])
        if covered & used:
            continue
        chosen.append(int(candidate))
        used |= covered

    maxima = _replicate_maxima(membership, windows, loc_totals, day_totals, replicates, seed)

    reported = []
    for rank, z in enumerate(chosen, start=1):
        w, k = best_window[z]
        # k-th window of length w ends at cumulated index upper.start + k, i.e. that day − 1
        end_index = windows.slices(w)[0].start + k - 1
        centre, members, radius = circles[z]
        upper, lower = windows.slices(w)
        observed = int(np.rint(observed_cum[z, upper][k] - observed_cum[z, lower][k]))
        llr_value = float(best_llr[z])
        exceed = int((maxima >= llr_value - 1e-9 * max(1.0, llr_value)).sum())
        reported.append(
            ScanCluster(
                rank=rank,
                centre=cases.locations[centre],
                locations=tuple(cases.locations[i] for i in members),
                radius_km=radius,
                start=cases.dates[end_index - w + 1],
                end=cases.dates[end_index],
                observed=observed,
                expected=float(windows.mu[w - 1][z, k]),
                llr=llr_value,
                p_value=(exceed + 1) / (replicates + 1),
            )
        )
    return ScanResult(
        clusters=tuple(reported),
        replicate_maxima=maxima,
        total_cases=total,
        cylinders=windows.count(),
        circles=len(circles),
        max_days=window_days,
        prospective=prospective,
        seed=seed,
    )


def _replicate_maxima(
    membership: NDArray[np.float32],
    windows: _Windows,
    loc_totals: FloatArray,
    day_totals: FloatArray,
    replicates: int,
    seed: int | None,
) -> FloatArray:
    maxima = np.zeros(replicates)
    if replicates == 0:
        return maxima
    rng = np.random.default_rng(seed)
    sampler = random_table(loc_totals.astype(np.int64), day_totals.astype(np.int64), seed=rng)
    # Both samplers draw exactly from the permutation distribution; Boyett's shuffles the
    # cases (cost ∝ cases), Patefield's fills the table cell by cell (cost ∝ cells). Measured
    # crossover near 8 cases per cell.
    method = (
        "boyett"
        if loc_totals.sum() <= _BOYETT_CASES_PER_CELL * membership.shape[1] * day_totals.size
        else "patefield"
    )
    done = 0
    while done < replicates:
        size = min(_BATCH, replicates - done)
        if done == 0:
            size = min(_PILOT, replicates)
        tables = sampler.rvs(size=size, method=method)
        cum = _circle_cumulative(membership, tables)
        if windows.thresholds is None:
            batch_max = windows.maxima(cum, full=True)
            if done == 0 and batch_max.min() > 0:
                windows.set_threshold(_PILOT_MARGIN * float(batch_max.min()))
        else:
            batch_max = windows.maxima(cum, full=False)
            below = np.flatnonzero(batch_max < 0)
            if below.size:
                batch_max[below] = windows.maxima(cum[below], full=True)
        maxima[done : done + size] = batch_max
        done += size
    return maxima
