"""The dashboard's panels (综合看板): plain data for the page, the API and the downloads.

Every panel is a ``Panel``: a title, the table (columns and rows: what the downloads hold
and what the page shows when there is no chart) and the chart's data. The risk-item
counts come from the summary tables (``summaries.py``); warnings, disposal tasks, signals
and stations are few and are read live.

Who sees what: city-wide roles see the city, and may ask for one district's version; a
district officer sees their own district only (the same rules as the lists:
``scope_queryset`` and ``visible_warnings``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import scope_queryset
from pqrisk.core.assessment.matrix import PROBABILITY_BANDS, RISK_MATRIX, SEVERITY_LABELS
from pqrisk.core.disposal.clocks import remind_at
from pqrisk.core.levels import WarningLevel
from pqrisk.core.workflow import DISPOSAL_MACHINE, WARNING_MACHINE
from pqrisk.disposal.choices import DUE_CLOCK_STATES
from pqrisk.disposal.models import DisposalTask
from pqrisk.disposal.services import active_clock, disposal_timing, overdue_q
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.signals.choices import SignalKind, SignalStatus
from pqrisk.signals.models import Signal
from pqrisk.signals.services import visible_signals
from pqrisk.stations.choices import StationKind, StationStatus
from pqrisk.stations.models import MonitoringStation
from pqrisk.warnings.api import visible_warnings
from pqrisk.warnings.models import Warning

from .models import DailyCount, Dimension, MatrixCell
from .summaries import refreshed_at

# A warning is on the board from review until it is lifted (or sent back).
ACTIVE_WARNING_STATES = ("in_review", "approved", "published")
# Tasks not yet reported: the disposal clock, then the written report's clock, runs.
OPEN_TASK_STATES = (*DUE_CLOCK_STATES, "completed")
MAP_WINDOW_DAYS = 90  # risk items and signals of the last quarter colour the map
TREND_PERIODS = {"month": 12, "week": 26}
TREND_SERIES = 6  # the busiest families or hazards get a line each; the rest is "其他"
BOARD_ROWS = 200
CITY = "全市"
LEVELS = sorted(WarningLevel, key=lambda lv: -lv.rank)


@dataclass(frozen=True)
class Scope:
    """The city (``district`` None) or one district."""

    district: District | None
    user: Any

    @property
    def label(self) -> str:
        return self.district.name if self.district else CITY

    @property
    def code(self) -> str | None:
        return self.district.code if self.district else None


@dataclass
class Panel:
    name: str
    title: str
    scope: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    chart: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    as_of: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "scope": self.scope,
            "as_of": self.as_of,
            "columns": [{"key": k, "label": label} for k, label in self.columns],
            "rows": self.rows,
            "chart": self.chart,
            "summary": self.summary,
        }


def may_view(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_city_wide or (user.has_role(Role.DISTRICT_OFFICER) and user.district_id))


def scope_for(user: Any, district_code: str | None = None) -> Scope:
    """The user's scope; a city-wide user may ask for one district's version."""
    if not may_view(user):
        raise PermissionDenied("综合看板仅向市局、评估中心、专家和区局开放")
    if user.is_city_wide:
        if not district_code:
            return Scope(None, user)
        district = District.objects.filter(code=district_code).first()
        if district is None:
            raise ValueError(f"没有行政区划代码为 {district_code} 的区")
        return Scope(district, user)
    if district_code and district_code != user.district.code:
        raise PermissionDenied("区局用户只能查看本区的看板")
    return Scope(user.district, user)


def _scoped(scope: Scope, qs: QuerySet[Any], district_field: str = "district") -> Any:
    qs = scope_queryset(scope.user, qs, district_field)
    if scope.district is not None:
        qs = qs.filter(**{f"{district_field}_id": scope.district.pk})
    return qs


def _warnings(scope: Scope) -> QuerySet[Warning]:
    qs = visible_warnings(scope.user)
    if scope.district is not None and scope.user.is_city_wide:
        d = scope.district.pk
        # The rule of visible_warnings, as the district's officer would see it.
        qs = qs.filter(
            Q(district_id=d)
            | Q(risk_infos__district_id=d)
            | Q(tasks__district_id=d)
            | Q(recipients__district_id=d)
        ).distinct()
    return qs


def _daily(scope: Scope, dimension: str, since: date) -> QuerySet[DailyCount]:
    qs = DailyCount.objects.filter(dimension=dimension, day__gte=since)
    return qs.filter(district_code=scope.code) if scope.code else qs


def _districts() -> list[District]:
    return list(District.objects.filter(kind="district").order_by("code"))


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="minutes") if moment else None


# ---------------------------------------------------------------- map


def _warning_districts(active: QuerySet[Warning]) -> dict[int, set[str]]:
    """Where each warning is: its district, else its target districts, else its tasks'
    districts (empty: city-wide). Three small queries whatever the number of warnings."""
    where: dict[int, set[str]] = defaultdict(set)
    for pk, code in active.values_list("pk", "district__code").order_by():
        where[pk]  # every warning gets an entry, city-wide ones an empty one
        if code:
            where[pk].add(code)
    unplaced = active.filter(district__isnull=True).values("pk")
    targets = Warning.target_districts.through.objects.filter(warning_id__in=unplaced)
    for pk, code in targets.values_list("warning_id", "district__code"):
        where[pk].add(code)
    untargeted = [pk for pk, codes in where.items() if not codes]
    tasks = DisposalTask.objects.filter(warning_id__in=untargeted)
    for pk, code in tasks.values_list("warning_id", "district__code"):
        where[pk].add(code)
    return where


def map_panel(scope: Scope, now: datetime | None = None) -> Panel:
    """Per district: active warnings by colour, signal intensity, risk items (90 days)."""
    now = now or timezone.now()
    since = timezone.localdate(now) - timedelta(days=MAP_WINDOW_DAYS)
    districts = _districts()
    if scope.district is not None:
        districts = [scope.district]
    codes = {d.code for d in districts}
    by_colour: dict[str, Counter[str]] = defaultdict(Counter)
    active = _warnings(scope).filter(status__in=ACTIVE_WARNING_STATES)
    levels = dict(active.values_list("pk", "level").order_by())
    city_wide: Counter[str] = Counter()
    for pk, where in _warning_districts(active).items():
        if not where:
            city_wide[levels[pk]] += 1
        for code in where & codes:
            by_colour[code][levels[pk]] += 1
    intensity: defaultdict[str, float] = defaultdict(float)
    signal_count: Counter[str] = Counter()
    signals = _signals(scope).filter(status=SignalStatus.NEW, period_end__gte=since)
    for code, listed, score in signals.values_list("district__code", "districts", "score"):
        for c in ({code} if code else set(listed or ())) & codes:
            intensity[c] += score
            signal_count[c] += 1
    items = dict(
        _daily(scope, Dimension.ALL, since)
        .values("district_code")
        .annotate(n=Sum("count"))
        .values_list("district_code", "n")
    )
    rows = []
    for d in districts:
        colours = by_colour[d.code]
        rows.append(
            {
                "code": d.code,
                "district": d.name,
                **{lv.value: colours[lv.value] for lv in LEVELS},
                "warnings": sum(colours.values()),
                "top_level": next((lv.value for lv in LEVELS if colours[lv.value]), ""),
                "signals": signal_count[d.code],
                "signal_intensity": round(intensity[d.code], 2),
                "risk_items": items.get(d.code, 0),
            }
        )
    return Panel(
        name="map",
        title="各区风险分布",
        scope=scope.label,
        columns=[
            ("code", "行政区划代码"),
            ("district", "区"),
            *((lv.value, lv.label) for lv in LEVELS),
            ("warnings", "在办预警合计"),
            ("signals", f"近{MAP_WINDOW_DAYS}天待审核信号"),
            ("signal_intensity", "信号强度合计"),
            ("risk_items", f"近{MAP_WINDOW_DAYS}天风险信息"),
        ],
        rows=rows,
        chart={
            "levels": [
                {"value": lv.value, "label": lv.label, "colour": lv.colour} for lv in LEVELS
            ],
            "focus": scope.code,
        },
        summary={
            "city_wide_warnings": {lv.value: city_wide[lv.value] for lv in LEVELS},
            "window_days": MAP_WINDOW_DAYS,
        },
        as_of=refreshed_at(),
    )


def _signals(scope: Scope) -> QuerySet[Signal]:
    qs = visible_signals(scope.user)
    if scope.district is None:
        return qs
    # A district's signals: its own series, and space-time clusters (the clusters' districts
    # are matched in map_panel: JSON lookups differ between the databases).
    return qs.filter(
        Q(district_id=scope.district.pk) | Q(district__isnull=True, kind=SignalKind.SPATIAL)
    )


# ---------------------------------------------------------------- trends


def _period_start(granularity: str, today: date) -> date:
    if granularity == "week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(weeks=TREND_PERIODS["week"] - 1)
    first = today.replace(day=1)
    for _ in range(TREND_PERIODS["month"] - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _periods(granularity: str, start: date, today: date) -> list[date]:
    out = [start]
    while True:
        nxt = (
            out[-1] + timedelta(weeks=1)
            if granularity == "week"
            else (out[-1] + timedelta(days=32)).replace(day=1)
        )
        if nxt > today:
            return out
        out.append(nxt)


def _names(dimension: str) -> dict[str, str]:
    if dimension == Dimension.HAZARD:
        return dict(HazardType.objects.values_list("code", "name"))
    return dict(ProductCategory.objects.filter(level=1).values_list("code", "name"))


def trends_panel(
    scope: Scope,
    dimension: str = Dimension.FAMILY,
    granularity: str = "month",
    now: datetime | None = None,
) -> Panel:
    """Risk items per month (or week) by product family or hazard."""
    if dimension not in (Dimension.FAMILY, Dimension.HAZARD):
        raise ValueError("维度须为 family（产品大类）或 hazard（危害类型）")
    if granularity not in TREND_PERIODS:
        raise ValueError("粒度须为 month（月）或 week（周）")
    today = timezone.localdate(now or timezone.now())
    start = _period_start(granularity, today)
    trunc: Callable[..., Any] = TruncWeek if granularity == "week" else TruncMonth
    grouped = (
        _daily(scope, dimension, start)
        .annotate(period=trunc("day"))
        .values("period", "key")
        .annotate(n=Sum("count"))
        .values_list("period", "key", "n")
    )
    counts: dict[tuple[date, str], int] = {}
    totals: Counter[str] = Counter()
    for period, key, n in grouped:
        day = period.date() if isinstance(period, datetime) else period
        counts[(day, key)] = counts.get((day, key), 0) + n
        totals[key] += n
    names = _names(dimension)
    top = [k for k, _ in totals.most_common(TREND_SERIES)]
    periods = _periods(granularity, start, today)
    fmt = "%Y-%m" if granularity == "month" else "%Y-%m-%d"
    series = []
    for key in top:
        series.append(
            {
                "key": key,
                "name": names.get(key, "未归类"),
                "data": [counts.get((p, key), 0) for p in periods],
            }
        )
    rest = [k for k in totals if k not in top]
    if rest:
        series.append(
            {
                "key": "_other",
                "name": "其他",
                "data": [sum(counts.get((p, k), 0) for k in rest) for p in periods],
            }
        )
    rows = [
        {"period": p.strftime(fmt), "key": s["key"], "name": s["name"], "count": s["data"][i]}
        for s in series
        for i, p in enumerate(periods)
    ]
    label = "产品大类" if dimension == Dimension.FAMILY else "危害类型"
    return Panel(
        name="trends",
        title=f"风险信息趋势（按{label}，{'月' if granularity == 'month' else '周'}）",
        scope=scope.label,
        columns=[
            ("period", "月份" if granularity == "month" else "周（起始日）"),
            ("key", "代码"),
            ("name", label),
            ("count", "条数"),
        ],
        rows=rows,
        chart={"periods": [p.strftime(fmt) for p in periods], "series": series},
        summary={"dimension": dimension, "granularity": granularity, "total": sum(totals.values())},
        as_of=refreshed_at(),
    )


# ---------------------------------------------------------------- warning board


def warning_board(scope: Scope, now: datetime | None = None) -> Panel:
    """Active warnings by colour, with the publication deadline of those not yet out."""
    now = now or timezone.now()
    active = _warnings(scope).filter(status__in=ACTIVE_WARNING_STATES)
    counts = Counter(active.values_list("level", flat=True))
    late = active.exclude(status="published").filter(publish_deadline__lt=now).count()
    rank = {lv.value: lv.rank for lv in WarningLevel}
    chosen = list(
        active.select_related("district").order_by("publish_deadline", "-created_at")[:BOARD_ROWS]
    )
    chosen.sort(key=lambda w: -rank.get(w.level, 0))
    rows = []
    for w in chosen:
        level = WarningLevel(w.level)
        waiting = w.status != "published" and w.publish_deadline is not None
        rows.append(
            {
                "id": w.pk,
                "level": w.level,
                "level_label": level.label,
                "colour": level.colour,
                "title": w.title,
                "status": WARNING_MACHINE.states.get(w.status, w.status),
                "district": w.district.name if w.district is not None else CITY,
                "publish_deadline": _iso(w.publish_deadline) if waiting else None,
                "overdue": bool(waiting and w.publish_deadline and w.publish_deadline < now),
                "published_at": _iso(w.published_at),
            }
        )
    return Panel(
        name="warnings",
        title="在办预警",
        scope=scope.label,
        columns=[
            ("id", "编号"),
            ("level_label", "等级"),
            ("title", "标题"),
            ("status", "状态"),
            ("district", "涉及区"),
            ("publish_deadline", "发布时限"),
            ("published_at", "发布时间"),
        ],
        rows=rows,
        chart={
            "levels": [
                {
                    "value": lv.value,
                    "label": lv.label,
                    "colour": lv.colour,
                    "count": counts[lv.value],
                }
                for lv in LEVELS
            ]
        },
        summary={"total": sum(counts.values()), "publish_overdue": late},
    )


# ---------------------------------------------------------------- disposal board


def _due_soon_q(now: datetime) -> Q:
    """Clocks still running whose reminder time has come (the colour's lead before the
    deadline, disposal_timing()): the first approximation in SQL, refined per row."""
    timing = disposal_timing()
    longest = max([*timing.remind_before_hours.values(), timing.remind_report_before_hours, 24])
    horizon = now + timedelta(hours=longest)
    return Q(status__in=DUE_CLOCK_STATES, due_at__gte=now, due_at__lte=horizon) | Q(
        status="completed", report_due_at__gte=now, report_due_at__lte=horizon
    )


def _is_due_soon(task: DisposalTask, now: datetime) -> bool:
    clock = active_clock(task)
    if clock is None:
        return False
    name, deadline, started = clock
    when = remind_at(deadline, started, WarningLevel(task.level), disposal_timing(), name)  # type: ignore[arg-type]
    return when <= now <= deadline


def disposal_board(scope: Scope, now: datetime | None = None) -> Panel:
    """Open disposal tasks, those due soon and those overdue, per district."""
    now = now or timezone.now()
    tasks = _scoped(scope, DisposalTask.objects.all())
    open_tasks = tasks.filter(status__in=OPEN_TASK_STATES)
    overdue = open_tasks.filter(overdue_q(now))
    soon = [
        t
        for t in open_tasks.filter(_due_soon_q(now)).select_related("district", "warning")
        if _is_due_soon(t, now)
    ]
    per_district: dict[str, Counter[str]] = defaultdict(Counter)
    for code, n in open_tasks.values_list("district__code").annotate(n=Count("id")).order_by():
        per_district[code]["open"] = n
    for code, n in overdue.values_list("district__code").annotate(n=Count("id")).order_by():
        per_district[code]["overdue"] = n
    for t in soon:
        per_district[t.district.code]["due_soon"] += 1
    names = dict(District.objects.values_list("code", "name"))
    listed = list(overdue.select_related("district", "warning").order_by("due_at")[:BOARD_ROWS])
    rows = [_task_row(t, "overdue") for t in listed]
    rows += [_task_row(t, "due_soon") for t in sorted(soon, key=_deadline)[:BOARD_ROWS]]
    return Panel(
        name="disposal",
        title="处置进展",
        scope=scope.label,
        columns=[
            ("id", "编号"),
            ("clock", "时限状态"),
            ("level_label", "等级"),
            ("district", "承办区局"),
            ("warning", "预警"),
            ("status", "状态"),
            ("deadline", "时限"),
        ],
        rows=rows,
        chart={
            "districts": [
                {
                    "code": code,
                    "name": names.get(code, code),
                    "open": c["open"],
                    "due_soon": c["due_soon"],
                    "overdue": c["overdue"],
                }
                for code, c in sorted(per_district.items())
            ]
        },
        summary={
            "open": open_tasks.count(),
            "due_soon": len(soon),
            "overdue": overdue.count(),
        },
    )


def _deadline(task: DisposalTask) -> datetime:
    clock = active_clock(task)
    return clock[1] if clock else task.created_at


def _task_row(task: DisposalTask, clock: str) -> dict[str, Any]:
    level = WarningLevel(task.level)
    return {
        "id": task.pk,
        "clock": "已超时" if clock == "overdue" else "即将到期",
        "level": task.level,
        "level_label": level.label,
        "colour": level.colour,
        "district": task.district.name,
        "warning": task.warning.title,
        "status": DISPOSAL_MACHINE.states.get(task.status, task.status),
        "deadline": _iso(_deadline(task)),
    }


# ---------------------------------------------------------------- risk matrix


def matrix_panel(scope: Scope) -> Panel:
    """Current assessments (the latest of each risk item) per severity × probability band."""
    qs = MatrixCell.objects.all()
    if scope.code:
        qs = qs.filter(district_code=scope.code)
    counts = {
        (s, b): n
        for s, b, n in qs.values("severity", "band")
        .annotate(n=Sum("count"))
        .values_list("severity", "band", "n")
    }
    rows = []
    cells = []
    for severity in sorted(RISK_MATRIX, reverse=True):
        for band in PROBABILITY_BANDS:
            level = RISK_MATRIX[severity][band.index]
            n = counts.get((severity, band.index), 0)
            cells.append([band.index, severity - 1, n])
            rows.append(
                {
                    "severity": severity,
                    "band": band.label,
                    "level": level.label,
                    "colour": level.colour,
                    "count": n,
                }
            )
    return Panel(
        name="matrix",
        title="风险矩阵（现行评估）",
        scope=scope.label,
        columns=[
            ("severity", "伤害严重程度"),
            ("band", "发生概率"),
            ("level", "风险等级"),
            ("count", "条数"),
        ],
        rows=rows,
        chart={
            "bands": [b.label for b in PROBABILITY_BANDS],
            "severities": [f"{s}级" for s in sorted(SEVERITY_LABELS)],
            "cells": cells,
            "levels": [
                [RISK_MATRIX[s][b.index].colour for b in PROBABILITY_BANDS]
                for s in sorted(RISK_MATRIX)
            ],
        },
        summary={"total": sum(counts.values())},
        as_of=refreshed_at(),
    )


# ---------------------------------------------------------------- monitoring network


def stations_panel(scope: Scope, now: datetime | None = None) -> Panel:
    """Monitoring stations: in use, suspended, retired, and in use but late reporting."""
    now = now or timezone.now()
    stations = list(
        _scoped(scope, MonitoringStation.objects.select_related("district")).order_by("name")
    )
    by_status = Counter(s.status for s in stations)
    stale = [s for s in stations if s.is_stale(now)]
    kinds = dict(StationKind.choices)
    statuses = dict(StationStatus.choices)
    rows = [
        {
            "id": s.pk,
            "name": s.name,
            "kind": kinds.get(s.kind, s.kind),
            "district": s.district.name if s.district is not None else "",
            "status": statuses.get(s.status, s.status),
            "health": "超期未报送" if s in stale else ("正常" if s.is_active else "—"),
            "last_report_at": _iso(s.last_report_at),
            "score": float(s.score),
        }
        for s in stations
    ]
    healthy = by_status[StationStatus.ACTIVE] - len(stale)
    return Panel(
        name="stations",
        title="监测网络运行",
        scope=scope.label,
        columns=[
            ("name", "监测站"),
            ("kind", "类型"),
            ("district", "所在区"),
            ("status", "状态"),
            ("health", "报送情况"),
            ("last_report_at", "最近报送"),
            ("score", "动态评分"),
        ],
        rows=rows,
        chart={
            "parts": [
                {"name": "正常报送", "value": healthy, "colour": "#388e3c"},
                {"name": "超期未报送", "value": len(stale), "colour": "#d32f2f"},
                {"name": "暂停", "value": by_status[StationStatus.SUSPENDED], "colour": "#fbc02d"},
                {"name": "撤销", "value": by_status[StationStatus.RETIRED], "colour": "#9e9e9e"},
            ]
        },
        summary={
            "total": len(stations),
            "active": by_status[StationStatus.ACTIVE],
            "stale": len(stale),
        },
    )


# ---------------------------------------------------------------- foreign alerts (境外通报)


def _foreign_alerts(scope: Scope) -> QuerySet[Any]:
    """The scope's foreign alerts: the user's (``pqrisk.foreign.services.visible_alerts``);
    a district's version holds the alerts matched to the district's firms (unmatched alerts
    belong to no district and are counted in the city's version only)."""
    from pqrisk.foreign.services import visible_alerts

    qs = visible_alerts(scope.user)
    if scope.district is not None:
        qs = qs.filter(district_id=scope.district.pk)
    return qs


def _foreign_window(now: datetime | None) -> tuple[date, list[date]]:
    today = timezone.localdate(now or timezone.now())
    start = _period_start("month", today)
    return start, _periods("month", start, today)


def foreign_months_panel(scope: Scope, now: datetime | None = None) -> Panel:
    """Foreign alerts per month of their alert date (last 12 months), made in China (mainland)
    against the rest; undated alerts (malformed source dates) are counted apart."""
    start, months = _foreign_window(now)
    alerts = _foreign_alerts(scope)
    grouped = (
        alerts.filter(alert_date__gte=start)
        .annotate(month=TruncMonth("alert_date"))
        .order_by()
        .values("month", "made_in_china")
        .annotate(n=Count("id"))
        .values_list("month", "made_in_china", "n")
    )
    counts: Counter[tuple[str, bool]] = Counter()
    for month, china, n in grouped:
        day = month.date() if isinstance(month, datetime) else month
        counts[(day.strftime("%Y-%m"), bool(china))] += n
    labels = [m.strftime("%Y-%m") for m in months]
    rows = [
        {
            "month": label,
            "made_in_china": counts[(label, True)],
            "other": counts[(label, False)],
            "total": counts[(label, True)] + counts[(label, False)],
        }
        for label in labels
    ]
    totals = alerts.aggregate(
        undated=Count("id", filter=Q(alert_date__isnull=True)),
        matched=Count("id", filter=Q(enterprise__isnull=False, alert_date__gte=start)),
    )
    return Panel(
        name="foreign_months",
        title="境外通报（近12个月，按月）",
        scope=scope.label,
        columns=[
            ("month", "月份"),
            ("made_in_china", "中国制造"),
            ("other", "其他原产地"),
            ("total", "合计"),
        ],
        rows=rows,
        chart={
            "months": labels,
            "made_in_china": [r["made_in_china"] for r in rows],
            "other": [r["other"] for r in rows],
        },
        summary={
            "total": sum(r["total"] for r in rows),
            "made_in_china": sum(r["made_in_china"] for r in rows),
            "matched": totals["matched"] or 0,
            "undated": totals["undated"] or 0,
        },
    )


def foreign_risks_panel(scope: Scope, now: datetime | None = None) -> Panel:
    """Foreign alerts of the last 12 months by Safety Gate risk type (an alert with several
    risk types counts once under each), with how many of them were made in China."""
    from pqrisk.foreign.models import ForeignAlertRiskType
    from pqrisk.foreign.summary import RISK_TYPE_ZH

    start, _ = _foreign_window(now)
    alerts = _foreign_alerts(scope).filter(alert_date__gte=start)
    grouped = (
        ForeignAlertRiskType.objects.filter(alert__in=alerts.values("pk"))
        .order_by()
        .values("risk_type")
        .annotate(
            n=Count("alert", distinct=True),
            china=Count("alert", distinct=True, filter=Q(alert__made_in_china=True)),
        )
        .values_list("risk_type", "n", "china")
    )
    rows = [
        {
            "risk_type": risk_type,
            "label": RISK_TYPE_ZH.get(risk_type, risk_type),
            "count": n,
            "made_in_china": china,
        }
        for risk_type, n, china in sorted(grouped, key=lambda r: (-r[1], r[0]))
    ]
    return Panel(
        name="foreign_risks",
        title="境外通报风险类型（近12个月）",
        scope=scope.label,
        columns=[
            ("label", "风险类型"),
            ("risk_type", "Safety Gate风险类型"),
            ("count", "通报数"),
            ("made_in_china", "其中中国制造"),
        ],
        rows=rows,
        chart={
            "types": [r["label"] for r in rows],
            "counts": [r["count"] for r in rows],
            "made_in_china": [r["made_in_china"] for r in rows],
        },
        summary={"alerts": alerts.count(), "types": len(rows)},
    )


PANELS: dict[str, Callable[..., Panel]] = {
    "map": map_panel,
    "trends": trends_panel,
    "warnings": warning_board,
    "disposal": disposal_board,
    "matrix": matrix_panel,
    "stations": stations_panel,
    "foreign_months": foreign_months_panel,
    "foreign_risks": foreign_risks_panel,
}


def panel(name: str, scope: Scope, **options: Any) -> Panel:
    if name not in PANELS:
        raise KeyError(name)
    return PANELS[name](scope, **options)
