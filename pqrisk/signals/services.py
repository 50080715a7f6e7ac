"""Signals in the loop (issue 9 part 6): detection runs over the count series, the product ×
hazard table and the districts × days, each alarm stored as a reviewable ``Signal`` with its
chart data and the items behind it; an analyst dismisses it with a reason or opens an
assessment case from it.

Temporal detection (``pqrisk.core.signals.temporal``): daily series with EARS C1/C2/C3,
weekly series with EARS C2, CUSUM and Farrington/Noufaily (which need five years of history
and otherwise report an insufficient baseline, not an alarm). Consecutive alarm periods of a
series (one quiet period allowed between them) form one signal; a later run extends it.
"""

from __future__ import annotations

import csv
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.core.signals.disproportionality import ContingencyTable, disproportionality
from pqrisk.core.signals.scan import CaseCounts, space_time_permutation_scan
from pqrisk.core.signals.temporal import ALARM, METHOD_LABELS_ZH, detect
from pqrisk.intake.choices import SourceKind
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.models import RiskInfo

from .choices import Granularity, SignalKind, SignalStatus
from .models import DetectionRun, Signal
from .series import (
    CountSeries,
    SeriesKey,
    build_series,
    counted_items,
    estimate,
    period_end,
    step_days,
)

log = logging.getLogger(__name__)

# Project defaults (settings PQRISK_SIGNALS overrides each): methods per granularity, how
# much history a run reads, how many recent periods it turns into signals, the smallest
# episode worth an analyst's time, and the chart's length.
DEFAULTS: dict[str, Any] = {
    "methods": {Granularity.DAY: ["C1", "C2", "C3"], Granularity.WEEK: ["C2", "cusum", "noufaily"]},
    # Farrington/Noufaily use b = 5 years: read 5 years and 3 weeks of history.
    "history_days": {Granularity.DAY: 120, Granularity.WEEK: 5 * 365 + 28},
    "recent_periods": {Granularity.DAY: 1, Granularity.WEEK: 1},
    "min_episode_count": 3,
    "chart_periods": {Granularity.DAY: 60, Granularity.WEEK: 52},
    "max_items": 200,
    "disproportionality_days": 365,
    "disproportionality_min_methods": 2,
    "scan_days": 90,
    "scan_replicates": 999,
    "scan_alpha": 0.05,
}
REVIEW_ROLES = (Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN, Role.DISTRICT_OFFICER)
CENTROIDS_FILE = (
    Path(__file__).resolve().parents[1] / "taxonomy" / "data" / "district_centroids.csv"
)


class SignalError(Exception):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def option(name: str, granularity: str | None = None) -> Any:
    """A PQRISK_SIGNALS setting, else the project default (per granularity where it is)."""
    value = {**DEFAULTS, **getattr(settings, "PQRISK_SIGNALS", {})}[name]
    if granularity is not None and isinstance(value, dict):
        return value[granularity]
    return value


# ---------------------------------------------------------------- temporal detection


@dataclass
class Episode:
    series: int
    start: int  # first alarm period
    end: int  # last alarm period
    methods: list[str]


def episodes(alarms: dict[str, np.ndarray], first: int, gap: int = 1) -> list[Episode]:
    """Runs of alarm periods (any method) at or after period ``first``, per series; runs
    separated by at most ``gap`` quiet periods are one episode."""
    union = np.zeros_like(next(iter(alarms.values())), dtype=bool)
    for mask in alarms.values():
        union |= mask
    found: list[Episode] = []
    for s in np.flatnonzero(union[:, first:].any(axis=1)):
        periods = np.flatnonzero(union[s])
        runs: list[list[int]] = []
        for t in periods:
            if runs and t - runs[-1][-1] <= gap + 1:
                runs[-1].append(int(t))
            else:
                runs.append([int(t)])
        for run in runs:
            if run[-1] < first:
                continue
            methods = [m for m, mask in alarms.items() if mask[s, run[0] : run[-1] + 1].any()]
            found.append(Episode(int(s), run[0], run[-1], methods))
    return found


def run_temporal(
    granularity: str = Granularity.WEEK,
    *,
    as_of: date | None = None,
    recent_periods: int | None = None,
    methods: Iterable[str] | None = None,
    since: date | None = None,
) -> DetectionRun:
    """Detect over every count series up to ``as_of`` (default: yesterday) and store each
    alarm episode ending in the last ``recent_periods`` periods as a signal. The history
    read is ``history_days`` (or from ``since``)."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    # History starts where the platform's records start: weeks before any record are not
    # observed zeros, and counting them as zeros would make every later count an alarm.
    start = max(
        since or as_of - timedelta(days=option("history_days", granularity)), first_record_day()
    )
    recent = recent_periods or option("recent_periods", granularity)
    chosen = list(methods or option("methods", granularity))
    run = DetectionRun.objects.create(kind=f"temporal_{granularity}")
    series = build_series(granularity, start, as_of)
    n_series, n_periods = series.counts.shape
    alarms: dict[str, np.ndarray] = {}
    details: dict[str, Any] = {}
    if n_series:
        for method in chosen:
            det = detect(series.counts, method, ppy=series.ppy)
            alarm = np.zeros(series.counts.shape, dtype=bool)
            alarm[:, det.first :] = det.status == ALARM
            alarms[method] = alarm
            details[method] = det
    first = max(0, n_periods - recent)
    new = updated = 0
    found = episodes(alarms, first) if alarms else []
    minimum = option("min_episode_count")
    # The register rows the signals name, read once for the run rather than per episode.
    register = Register(
        ProductCategory.objects.in_bulk({k.category_id for k in series.keys}),
        HazardType.objects.in_bulk({k.hazard_id for k in series.keys}),
        District.objects.in_bulk(),
    )
    for ep in found:
        observed = float(series.counts[ep.series, ep.start : ep.end + 1].sum())
        if observed < minimum:
            continue
        created = _store_temporal(series, ep, details, observed, register)
        new += created
        updated += not created
    run.series, run.periods = n_series, n_periods
    run.alarms = len(found)
    run.new_signals, run.updated_signals = new, updated
    run.finished_at = timezone.now()
    run.seconds = time.perf_counter() - started
    run.detail = {"methods": chosen, "as_of": as_of.isoformat(), "recent_periods": recent}
    run.save()
    log.info("temporal %s: %s series, %s new, %s updated", granularity, n_series, new, updated)
    return run


def first_record_day() -> date:
    """The day of the earliest counted item (today when there is none)."""
    earliest = counted_items().aggregate(first=Min("occurred_at"))["first"]
    return timezone.localtime(earliest).date() if earliest else timezone.localdate()


@dataclass(frozen=True)
class Register:
    categories: dict[int, ProductCategory]
    hazards: dict[int, HazardType]
    districts: dict[int, District]


def _store_temporal(
    series: CountSeries,
    ep: Episode,
    details: dict[str, Any],
    observed: float,
    register: Register,
) -> bool:
    """Create or extend the signal of this episode; True if created."""
    key: SeriesKey = series.keys[ep.series]
    step = step_days(series.granularity)
    start_day = series.starts[ep.start]
    end_day = period_end(series.starts[ep.end], series.granularity)
    series_key = f"temporal|{series.granularity}|{key.text}"
    chart, expected, score = _chart(series, ep, details)
    category = register.categories[key.category_id]
    hazard = register.hazards[key.hazard_id]
    district = register.districts[key.district_id] if key.district_id else None
    where = district.name if district else "全市"
    source = SourceKind(key.source).label if key.source else "各来源合计"
    unit = "天" if series.granularity == Granularity.DAY else "周"
    periods = ep.end - ep.start + 1
    methods = "、".join(METHOD_LABELS_ZH.get(m, m) for m in ep.methods)
    lines = [
        f"{where}{category.name}{hazard.name}（{source}）在{start_day}至{end_day}"
        f"（{periods}{unit}）共{observed:.0f}条，期望约{expected:.1f}条；报警方法：{methods}。"
    ]
    if key.source == "injury" and ep.series in series.weights:
        w = float(series.weights[ep.series][ep.start : ep.end + 1].sum())
        w2 = float(series.weights_sq[ep.series][ep.start : ep.end + 1].sum())
        lines.append(estimate(observed, w, w2).text)
    with transaction.atomic():
        existing = (
            Signal.objects.select_for_update()
            .filter(
                series_key=series_key,
                period_end__gte=start_day - timedelta(days=2 * step),
                period_start__lte=end_day,
            )
            .order_by("-period_end")
            .first()
        )
        fields = {
            "methods": ep.methods,
            "observed": observed,
            "expected": expected,
            "score": score,
            "series": chart,
            "description": "\n".join(lines),
            "detail": {"periods": periods, "granularity": series.granularity},
        }
        if existing is not None:
            existing.period_start = min(existing.period_start, start_day)
            existing.period_end = max(existing.period_end, end_day)
            existing.methods = sorted(set(existing.methods) | set(ep.methods))
            for name in ("observed", "expected", "score", "series", "description", "detail"):
                setattr(existing, name, fields[name])
            existing.save()
            _attach_items(existing, key, existing.period_start, existing.period_end)
            return False
        signal = Signal.objects.create(
            key=f"{series_key}|{start_day.isoformat()}",
            series_key=series_key,
            kind=SignalKind.TEMPORAL,
            granularity=series.granularity,
            source=key.source,
            product_category=category,
            hazard=hazard,
            district=district,
            districts=[district.code] if district else [],
            period_start=start_day,
            period_end=end_day,
            title=f"{where}{category.name}{hazard.name}信息异常增多（{source}）",
            **fields,
        )
        _attach_items(signal, key, start_day, end_day)
        audit(
            "detect",
            signal,
            to_state=signal.status,
            message=f"时间序列检测发现信号：{lines[0]}",
            detail={"methods": ep.methods},
        )
        return True


def _chart(
    series: CountSeries, ep: Episode, details: dict[str, Any]
) -> tuple[list[dict[str, Any]], float, float]:
    """The series around the episode with the expected count and threshold of the first
    method that has them, the episode's expected total and its strength (max count over
    threshold)."""
    length = option("chart_periods", series.granularity)
    lo = max(0, ep.end + 1 - length)
    rows = []
    expected_total = 0.0
    score = 0.0
    for t in range(lo, ep.end + 1):
        exp = thr = None
        alarm = False
        for method in ep.methods:
            det = details[method]
            j = t - det.first
            if j < 0:
                continue
            value, limit = det.expected[ep.series, j], det.threshold[ep.series, j]
            if exp is None and np.isfinite(value):
                exp, thr = float(value), _finite(limit)
            if det.status[ep.series, j] == ALARM:
                alarm = True
                if method in ("C1", "C2", "farrington", "noufaily") and np.isfinite(limit):
                    count = series.counts[ep.series, t]
                    score = max(score, float(count / max(limit, 0.5)))
        if ep.start <= t <= ep.end and exp is not None:
            expected_total += exp
        rows.append(
            {
                "date": series.starts[t].isoformat(),
                "count": float(series.counts[ep.series, t]),
                "expected": exp,
                "threshold": thr,
                "alarm": alarm,
            }
        )
    return rows, expected_total, score or 1.0


def _finite(value: float) -> float | None:
    """A JSON-safe number: None for NaN and infinity."""
    return float(value) if np.isfinite(value) else None


def _attach_items(signal: Signal, key: SeriesKey, start: date, end: date) -> None:
    items = counted_items().filter(
        product_category_id=key.category_id,
        hazard_id=key.hazard_id,
        occurred_at__date__gte=start,
        occurred_at__date__lte=end,
    )
    if key.source:
        items = items.filter(source_kind=key.source)
    if key.district_id is not None:
        items = items.filter(district_id=key.district_id)
    signal.risk_infos.add(*items.order_by("occurred_at")[: option("max_items")])


def backfill(as_of: date | None = None) -> list[DetectionRun]:
    """Every method over all the history up to ``as_of`` (default: the last record's day):
    what a new installation (or the demo) runs once so that the queue holds the signals of
    the past, not only of yesterday."""
    last = counted_items().aggregate(last=Max("occurred_at"))["last"]
    if as_of is None:
        as_of = timezone.localtime(last).date() if last else timezone.localdate()
    first = first_record_day()
    everything = (as_of - first).days + 1
    return [
        run_temporal(Granularity.WEEK, as_of=as_of, recent_periods=everything, since=first),
        run_temporal(Granularity.DAY, as_of=as_of, recent_periods=everything, since=first),
        run_disproportionality(as_of=as_of),
        run_scan(as_of=as_of),
    ]


# ---------------------------------------------------------------- disproportionality


def run_disproportionality(as_of: date | None = None) -> DetectionRun:
    """Product × hazard disproportionality over the last year: a pair flagged by at least
    ``disproportionality_min_methods`` of PRR, ROR, IC and EBGM becomes a signal."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    since = as_of - timedelta(days=option("disproportionality_days"))
    run = DetectionRun.objects.create(kind="disproportionality")
    rows = (
        counted_items()
        .filter(occurred_at__date__gt=since, occurred_at__date__lte=as_of)
        .values_list("product_category_id", "hazard_id")
    )
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for category, hazard in rows.iterator(chunk_size=10000):
        counts[(category, hazard)] += 1
    new = updated = 0
    flagged: list[Any] = []
    if len({c for c, _ in counts}) >= 2 and len({h for _, h in counts}) >= 2:
        table = ContingencyTable.from_records([(str(c), str(h), n) for (c, h), n in counts.items()])
        result = disproportionality(table)
        need = option("disproportionality_min_methods")
        flagged = [p for p in result.pairs(signals_only=True) if len(p.methods_signalling) >= need]
    for pair in flagged:
        created = _store_pair(pair, since, as_of)
        new += created
        updated += not created
    run.series, run.alarms = len(counts), len(flagged)
    run.new_signals, run.updated_signals = new, updated
    run.finished_at = timezone.now()
    run.seconds = time.perf_counter() - started
    run.detail = {"since": since.isoformat(), "as_of": as_of.isoformat()}
    run.save()
    return run


def _store_pair(pair: Any, since: date, as_of: date) -> bool:
    category = ProductCategory.objects.get(pk=int(pair.product))
    hazard = HazardType.objects.get(pk=int(pair.hazard))
    series_key = f"disproportionality|{category.pk}|{hazard.pk}"
    metrics = {
        "a": pair.a,
        "expected": round(pair.expected, 3),
        "PRR": round(pair.prr, 3),
        "χ²": round(pair.chi2, 3),
        "ROR": round(pair.ror, 3),
        "ROR下限": round(pair.ror_low, 3),
        "IC": round(pair.ic, 3),
        "IC025": round(pair.ic025, 3),
        "EBGM": round(pair.ebgm, 3),
        "EB05": round(pair.eb05, 3),
    }
    fields = {
        "methods": list(pair.methods_signalling),
        "observed": float(pair.a),
        "expected": float(pair.expected),
        "score": float(pair.eb05),
        "series": [{"metric": k, "value": v} for k, v in metrics.items()],
        "description": "\n".join(pair.reasons),
        "period_start": since + timedelta(days=1),
        "period_end": as_of,
    }
    with transaction.atomic():
        existing = (
            Signal.objects.select_for_update()
            .filter(series_key=series_key, status=SignalStatus.NEW)
            .first()
        )
        if existing is not None:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save()
            return False
        signal = Signal.objects.create(
            key=f"{series_key}|{as_of.isoformat()}",
            series_key=series_key,
            kind=SignalKind.DISPROPORTIONALITY,
            product_category=category,
            hazard=hazard,
            title=f"{category.name}的{hazard.name}报告比例偏高",
            **fields,
        )
        items = counted_items().filter(
            product_category=category, hazard=hazard, occurred_at__date__gt=since
        )
        signal.risk_infos.add(*items.order_by("-occurred_at")[: option("max_items")])
        audit(
            "detect",
            signal,
            to_state=signal.status,
            message=f"比例失衡分析发现信号：{signal.title}",
        )
        return True


# ---------------------------------------------------------------- space-time scan


@cache
def centroids() -> dict[str, tuple[float, float]]:
    """District code → (longitude, latitude) of the district government seat (approximate;
    pqrisk/taxonomy/data/district_centroids.csv)."""
    with CENTROIDS_FILE.open(encoding="utf-8") as fh:
        return {
            r["code"]: (float(r["longitude"]), float(r["latitude"])) for r in csv.DictReader(fh)
        }


def run_scan(
    as_of: date | None = None, *, replicates: int | None = None, seed: int = 0
) -> DetectionRun:
    """Prospective space-time permutation scan of all counted items over districts × the
    last ``scan_days`` days; each cluster with p below ``scan_alpha`` becomes a signal."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate() - timedelta(days=1)
    since = as_of - timedelta(days=option("scan_days") - 1)
    run = DetectionRun.objects.create(kind="scan")
    codes = {d.pk: d.code for d in District.objects.all()}
    known = centroids()
    rows = (
        counted_items()
        .filter(occurred_at__date__gte=since, occurred_at__date__lte=as_of, district__isnull=False)
        .values_list("district_id", "occurred_at")
    )
    cells: dict[tuple[str, date], int] = defaultdict(int)
    for district, occurred in rows.iterator(chunk_size=10000):
        code = codes[district]
        if code in known:
            cells[(code, timezone.localtime(occurred).date())] += 1
    new = 0
    clusters: list[Any] = []
    if sum(cells.values()) and len({c for c, _ in cells}) >= 2:
        cases = CaseCounts.from_records(
            [(c, d, n) for (c, d), n in cells.items()],
            start=since,
            end=as_of,
            locations=sorted(known),
        )
        result = space_time_permutation_scan(
            cases,
            known,
            replicates=replicates or option("scan_replicates"),
            prospective=True,
            seed=seed,
        )
        clusters = [c for c in result.clusters if c.p_value < option("scan_alpha")]
    for cluster in clusters:
        new += _store_cluster(cluster)
    run.series, run.periods = len(known), option("scan_days")
    run.alarms, run.new_signals = len(clusters), new
    run.finished_at = timezone.now()
    run.seconds = time.perf_counter() - started
    run.detail = {"since": since.isoformat(), "as_of": as_of.isoformat()}
    run.save()
    return run


def _store_cluster(cluster: Any) -> bool:
    locations = list(cluster.locations)
    series_key = f"scan|{'-'.join(sorted(locations))}"
    key = f"{series_key}|{cluster.start.isoformat()}"
    if Signal.objects.filter(key=key).exists():
        return False
    names = dict(District.objects.filter(code__in=locations).values_list("code", "name"))
    signal = Signal.objects.create(
        key=key,
        series_key=series_key,
        kind=SignalKind.SPATIAL,
        methods=["space_time_permutation"],
        district=District.objects.filter(code=cluster.centre).first(),
        districts=locations,
        period_start=cluster.start,
        period_end=cluster.end,
        observed=float(cluster.observed),
        expected=float(cluster.expected),
        score=float(cluster.llr),
        p_value=float(cluster.p_value),
        title=f"{'、'.join(names.get(c, c) for c in locations)}风险信息时空聚集",
        description=cluster.description,
    )
    items = counted_items().filter(
        district__code__in=locations,
        occurred_at__date__gte=cluster.start,
        occurred_at__date__lte=cluster.end,
    )
    signal.risk_infos.add(*items.order_by("occurred_at")[: option("max_items")])
    audit("detect", signal, to_state=signal.status, message=f"时空扫描发现聚集：{signal.title}")
    return True


# ---------------------------------------------------------------- review


def visible_signals(user: Any) -> QuerySet[Signal]:
    """City roles see all signals; a district officer those of its district (a temporal or
    pair signal of its district, or a cluster that includes it)."""
    qs = Signal.objects.select_related("product_category", "hazard", "district")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_city_wide:
        return qs
    if user.district_id is None:
        return qs.none()
    code = District.objects.filter(pk=user.district_id).values_list("code", flat=True).first()
    ids = [
        s.pk
        for s in Signal.objects.filter(kind=SignalKind.SPATIAL).only("pk", "districts")
        if code in (s.districts or [])
    ]
    return qs.filter(district_id=user.district_id) | qs.filter(pk__in=ids)


def _review(signal: Signal, user: Any) -> Signal:
    require_role(user, *REVIEW_ROLES)
    signal = Signal.objects.select_for_update().get(pk=signal.pk)
    if not visible_signals(user).filter(pk=signal.pk).exists():
        raise SignalError("只能审核本区的风险信号")
    if signal.status != SignalStatus.NEW:
        raise SignalError(f"该信号已{signal.get_status_display()}，不能再次处理")
    return signal


@transaction.atomic
def dismiss(signal: Signal, user: Any, reason: str) -> Signal:
    """Dismiss a signal (排除) with the reason; audited. Later runs do not reopen it."""
    if not reason.strip():
        raise SignalError("排除信号须填写理由")
    signal = _review(signal, user)
    signal.status = SignalStatus.DISMISSED
    signal.dismiss_reason = reason.strip()[:2000]
    signal.reviewed_by, signal.reviewed_at = user, timezone.now()
    signal.save()
    audit(
        "dismiss",
        signal,
        actor=user,
        from_state=SignalStatus.NEW,
        to_state=signal.status,
        message=signal.dismiss_reason,
    )
    return signal


@transaction.atomic
def open_case(signal: Signal, user: Any) -> Any:
    """Turn a signal into an assessment case (立项评估) with its items; audited."""
    from pqrisk.assessment.cases import CASE_ROLES, CaseError
    from pqrisk.assessment.cases import open_case as open_assessment_case

    require_role(user, *CASE_ROLES)
    signal = _review(signal, user)
    infos = list(signal.risk_infos.order_by("occurred_at", "id")[:50])
    try:
        case = open_assessment_case(
            user,
            risk_infos=infos,
            signal={
                "signal_id": signal.pk,
                "kind": signal.kind,
                "methods": signal.methods,
                "period": [signal.period_start.isoformat(), signal.period_end.isoformat()],
                "observed": signal.observed,
                "expected": signal.expected,
            },
            title=signal.title,
            description=signal.description,
        )
    except CaseError as exc:
        raise SignalError(exc.message_zh) from exc
    signal.status = SignalStatus.CASED
    signal.case = case
    signal.reviewed_by, signal.reviewed_at = user, timezone.now()
    signal.save()
    audit(
        "open_case",
        signal,
        actor=user,
        from_state=SignalStatus.NEW,
        to_state=signal.status,
        message=f"转为评估任务 {case.code}",
        detail={"case": case.code},
    )
    return case


def items_of(signal: Signal, user: Any) -> QuerySet[RiskInfo]:
    from pqrisk.accounts.scoping import scope_queryset

    return scope_queryset(
        user, signal.risk_infos.select_related("district", "product_category")
    ).order_by("-occurred_at")
