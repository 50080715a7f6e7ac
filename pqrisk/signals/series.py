"""Count series from screened risk information (issue 9 part 1).

Counts per product category × hazard × district (and the whole city) × day or week, for
each source that speaks of harm in the market — complaints, injuries, media events and
spot-check failures — separately and combined. Only items that carry a risk signal count
(pending assessment, assessed or warned): duplicates, noise and foreign references do not.

Injury series also carry the case weights of the sampled hospitals (METHODS §6): the
weighted estimate with its coefficient of variation, suppressed when it rests on fewer than
20 cases, its CV exceeds 30 % or it is below 1,200 weighted cases.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from numpy.typing import NDArray

from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .choices import COMBINED, SERIES_SOURCES, Granularity

COUNTED_STATUSES = (
    RiskInfoStatus.PENDING_ASSESSMENT,
    RiskInfoStatus.ASSESSED,
    RiskInfoStatus.WARNED,
)
# METHODS §6: suppress a weighted estimate below these.
MIN_CASES = 20
MAX_CV = 0.30
MIN_WEIGHTED = 1200.0


@dataclass(frozen=True)
class SeriesKey:
    """One count series: a source ("" = all), product category, hazard, district (None = city)."""

    source: str
    category_id: int
    hazard_id: int
    district_id: int | None

    @property
    def text(self) -> str:
        where = "city" if self.district_id is None else str(self.district_id)
        return f"{self.source or 'all'}|{self.category_id}|{self.hazard_id}|{where}"


@dataclass
class CountSeries:
    """Counts (series × periods) with the period start dates."""

    granularity: str
    keys: list[SeriesKey]
    starts: list[date]
    counts: NDArray[np.float64]
    # Injury series only: sum of case weights and of squared weights per cell.
    weights: dict[int, NDArray[np.float64]] = field(default_factory=dict)
    weights_sq: dict[int, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def ppy(self) -> int:
        return 365 if self.granularity == Granularity.DAY else 52

    def index_of(self, day: date) -> int:
        return (period_start(day, self.granularity) - self.starts[0]).days // step_days(
            self.granularity
        )


def step_days(granularity: str) -> int:
    return 1 if granularity == Granularity.DAY else 7


def period_start(day: date, granularity: str) -> date:
    """The day itself, or the Monday of its ISO week."""
    if granularity == Granularity.DAY:
        return day
    return day - timedelta(days=day.weekday())


def period_end(start: date, granularity: str) -> date:
    return start + timedelta(days=step_days(granularity) - 1)


def counted_items() -> QuerySet[RiskInfo]:
    return RiskInfo.objects.filter(
        status__in=COUNTED_STATUSES,
        source_kind__in=SERIES_SOURCES,
        product_category__isnull=False,
        hazard__isnull=False,
        occurred_at__isnull=False,
    )


def build_series(granularity: str, start: date, end: date) -> CountSeries:
    """Every non-empty series between ``start`` and ``end`` (inclusive): per source and
    combined, per district and for the city. Periods run from the period of ``start`` to
    that of ``end``."""
    first = period_start(start, granularity)
    last = period_start(end, granularity)
    n_periods = (last - first).days // step_days(granularity) + 1
    items = counted_items().filter(occurred_at__date__gte=start, occurred_at__date__lte=end)
    rows = (
        items.annotate(day=TruncDate("occurred_at"))
        .values_list("source_kind", "product_category_id", "hazard_id", "district_id", "day")
        .annotate(n=Count("id"))
    )
    cells: dict[SeriesKey, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for source, category, hazard, district, day, n in rows:
        t = (period_start(_as_date(day), granularity) - first).days // step_days(granularity)
        for key in _keys(source, category, hazard, district):
            cells[key][t] += n
    keys = sorted(cells, key=lambda k: (k.source, k.category_id, k.hazard_id, k.district_id or 0))
    counts = np.zeros((len(keys), n_periods))
    for i, key in enumerate(keys):
        for t, n in cells[key].items():
            counts[i, t] = n
    series = CountSeries(
        granularity=granularity,
        keys=keys,
        starts=[first + timedelta(days=t * step_days(granularity)) for t in range(n_periods)],
        counts=counts,
    )
    _add_injury_weights(series, items, first)
    return series


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _keys(source: str, category: int, hazard: int, district: int | None) -> list[SeriesKey]:
    keys = [SeriesKey(source, category, hazard, None), SeriesKey(COMBINED, category, hazard, None)]
    if district is not None:
        keys += [
            SeriesKey(source, category, hazard, district),
            SeriesKey(COMBINED, category, hazard, district),
        ]
    return keys


def _add_injury_weights(series: CountSeries, items: QuerySet[RiskInfo], first: date) -> None:
    """Sum of case weights (and squares) per cell of the injury series."""
    index = {key: i for i, key in enumerate(series.keys)}
    injuries = (
        items.filter(source_kind="injury")
        .annotate(
            day=TruncDate("occurred_at"),
            weight=KeyTextTransform("case_weight", "raw_item__payload"),
        )
        .values_list("product_category_id", "hazard_id", "district_id", "day", "weight")
    )
    n_periods = series.counts.shape[1]
    for category, hazard, district, day, weight in injuries.iterator(chunk_size=5000):
        w = _number(weight)
        t = (period_start(_as_date(day), series.granularity) - first).days // step_days(
            series.granularity
        )
        for key in _keys("injury", category, hazard, district):
            if key.source != "injury":
                continue
            i = index[key]
            if i not in series.weights:
                series.weights[i] = np.zeros(n_periods)
                series.weights_sq[i] = np.zeros(n_periods)
            series.weights[i][t] += w
            series.weights_sq[i][t] += w * w


def _number(value: object) -> float:
    try:
        w = float(str(value))
    except (TypeError, ValueError):
        return 1.0  # a record without a weight stands for itself
    return w if math.isfinite(w) and w >= 0 else 1.0


@dataclass(frozen=True)
class Estimate:
    """A weighted injury estimate over some periods (METHODS §6)."""

    cases: int
    estimate: float
    cv: float | None
    suppressed: bool
    reason: str

    @property
    def text(self) -> str:
        if self.suppressed:
            return f"加权估计不予发布（{self.reason}；样本病例{self.cases}例）"
        cv = f"，变异系数{self.cv:.0%}" if self.cv is not None else ""
        return f"加权估计{self.estimate:,.0f}例（样本病例{self.cases}例{cv}）"


def estimate(cases: float, weights: float, weights_sq: float) -> Estimate:
    """Sum of case weights, its CV (sqrt(Σw²)/Σw, the with-replacement approximation for a
    sample of cases), and whether METHODS §6 suppresses it."""
    n = int(cases)
    cv = math.sqrt(weights_sq) / weights if weights > 0 else None
    reasons = []
    if n < MIN_CASES:
        reasons.append(f"样本病例少于{MIN_CASES}例")
    if cv is not None and cv > MAX_CV:
        reasons.append(f"变异系数超过{MAX_CV:.0%}")
    if weights < MIN_WEIGHTED:
        reasons.append(f"加权病例少于{MIN_WEIGHTED:,.0f}例")
    return Estimate(n, weights, cv, bool(reasons), "、".join(reasons))
