"""Refreshing the dashboard's summary tables (``DailyCount``, ``MatrixCell``).

Incremental: the days of the risk items stored since the last refresh (ids above the
watermark), plus the last ``RECENT_DAYS`` days, where screening may still change an item's
status or district, are counted again from ``RiskInfo`` and replace their rows. The risk
matrix of current assessments is small and is recounted whole. ``full=True`` recounts
everything (after deletions or a restore). Either way, running it twice gives the same rows.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from pqrisk.assessment.models import Assessment
from pqrisk.bulk import insert_objects
from pqrisk.reference.models import District, HazardType, ProductCategory
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .models import DailyCount, Dimension, MatrixCell, SummaryState

STATE = "risk_items"
# Our choice: screening settles an item's district and status within a day or two.
RECENT_DAYS = 2
# Duplicates and noise are not risk information (they stay in the lists, not in the counts).
NOT_COUNTED = (RiskInfoStatus.DUPLICATE, RiskInfoStatus.NOISE)
FAMILY_CODE_LEN = 2
# Our choice: beyond this many separate runs of days, one range over their span is cheaper
# for the database than an OR of ranges.
MAX_RANGES = 20  # the catalogue's first level (pqrisk/taxonomy/data/product_catalogue.csv)


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    days: int
    rows: int
    matrix_cells: int
    last_risk_info_id: int
    seconds: float


def _day_ranges(days: set[date]) -> list[tuple[date, date]]:
    """Consecutive days merged: [(first, last), …]."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _local(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime.min))


def _days_q(days: set[date]) -> Q:
    """Items whose day (occurred, else screened; local time) is one of ``days``; when the
    days are scattered, their whole span (the caller keeps only the days asked for)."""
    ranges = _day_ranges(days)
    if len(ranges) > MAX_RANGES:
        ranges = [(ranges[0][0], ranges[-1][1])]
    q = Q(pk__in=[])
    for first, last in ranges:
        start, end = _local(first), _local(last + timedelta(days=1))
        q |= Q(occurred_at__gte=start, occurred_at__lt=end)
        q |= Q(occurred_at__isnull=True, screened_at__gte=start, screened_at__lt=end)
    return q


def _day_expr() -> Coalesce:
    return Coalesce(TruncDate("occurred_at"), TruncDate("screened_at"))


def _count_days(days: set[date] | None) -> list[DailyCount]:
    """Count the items of ``days`` (all days when None) into DailyCount rows."""
    districts = dict(District.objects.values_list("pk", "code"))
    families = {
        pk: code[:FAMILY_CODE_LEN] for pk, code in ProductCategory.objects.values_list("pk", "code")
    }
    hazards = dict(HazardType.objects.values_list("pk", "code"))
    qs = RiskInfo.objects.exclude(status__in=NOT_COUNTED)
    if days is not None:
        qs = qs.filter(_days_q(days))
    grouped = (
        qs.annotate(day=_day_expr())
        .values_list("day", "district_id", "product_category_id", "hazard_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: Counter[tuple[date, str, str, str]] = Counter()
    for day, district_id, category_id, hazard_id, n in grouped.iterator(chunk_size=20_000):
        if days is not None and day not in days:
            continue
        district = districts.get(district_id, "")
        counts[(day, district, Dimension.ALL, "")] += n
        counts[(day, district, Dimension.FAMILY, families.get(category_id, ""))] += n
        counts[(day, district, Dimension.HAZARD, hazards.get(hazard_id, ""))] += n
    return [
        DailyCount(day=day, district_code=d, dimension=dim, key=key, count=n)
        for (day, d, dim, key), n in sorted(counts.items())
    ]


def _count_matrix() -> list[MatrixCell]:
    """The latest assessment of each risk item, counted per district and matrix cell."""
    latest = Assessment.objects.values("risk_info_id").annotate(last=Max("id")).values("last")
    districts = dict(District.objects.values_list("pk", "code"))
    cells = (
        Assessment.objects.filter(id__in=latest)
        .values_list("district_id", "severity", "band")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        MatrixCell(district_code=districts.get(d, ""), severity=s, band=b, count=n)
        for d, s, b, n in cells
    ]


def refresh(*, full: bool = False, now: datetime | None = None) -> RefreshResult:
    """Bring the summaries up to date (see the module's docstring)."""
    started = time.perf_counter()
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = SummaryState.objects.select_for_update().get_or_create(name=STATE)
        top = RiskInfo.objects.aggregate(top=Max("id"))["top"] or 0
        full = full or state.refreshed_at is None
        if full:
            DailyCount.objects.all().delete()
            rows = _count_days(None)
            days = len({r.day for r in rows})
        else:
            new_days = set(
                RiskInfo.objects.filter(id__gt=state.last_risk_info_id, id__lte=top)
                .annotate(day=_day_expr())
                .values_list("day", flat=True)
                .distinct()
                .order_by()
            )
            today = timezone.localdate(now)
            touched = new_days | {today - timedelta(days=i) for i in range(RECENT_DAYS)}
            DailyCount.objects.filter(day__in=touched).delete()
            rows = _count_days(touched)
            days = len(touched)
        insert_objects(rows)
        MatrixCell.objects.all().delete()
        cells = insert_objects(_count_matrix())
        state.last_risk_info_id = top
        state.refreshed_at = now
        state.seconds = time.perf_counter() - started
        state.save()
    return RefreshResult(
        full=full,
        days=days,
        rows=len(rows),
        matrix_cells=len(cells),
        last_risk_info_id=top,
        seconds=state.seconds,
    )


def refreshed_at() -> datetime | None:
    state = SummaryState.objects.filter(name=STATE).first()
    return state.refreshed_at if state else None
