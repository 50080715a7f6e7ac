"""The summary tables: what they count, incremental refresh, and idempotence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from pqrisk.core.levels import RiskLevel
from pqrisk.dashboard.models import DailyCount, MatrixCell
from pqrisk.dashboard.summaries import refresh
from pqrisk.dashboard.tasks import refresh_summaries
from pqrisk.web.tests import factories as f

PUDONG, JIADING = "310115", "310114"


def _total(**filters: Any) -> int:
    return DailyCount.objects.filter(**filters).aggregate(n=Sum("count"))["n"] or 0


def _snapshot() -> set[tuple[Any, ...]]:
    return set(DailyCount.objects.values_list("day", "district_code", "dimension", "key", "count"))


def test_counts_items_per_day_district_family_and_hazard(db: Any) -> None:
    when = timezone.now() - timedelta(days=5)
    info = f.risk_info(PUDONG, occurred_at=when)
    f.risk_info(PUDONG, occurred_at=when)
    f.risk_info(JIADING, occurred_at=when)
    f.risk_info(None, occurred_at=when)
    f.risk_info(PUDONG, occurred_at=when, status="duplicate")
    f.risk_info(PUDONG, occurred_at=when, status="noise")

    result = refresh()

    assert result.full  # the first refresh counts everything
    day = timezone.localdate(when)
    assert _total(dimension="all", district_code=PUDONG, day=day) == 2
    assert _total(dimension="all", district_code=JIADING) == 1
    assert _total(dimension="all", district_code="") == 1
    family = info.product_category.code[:2]  # type: ignore[union-attr]
    assert _total(dimension="family", key=family) == 4
    assert _total(dimension="hazard", key=info.hazard.code) == 4  # type: ignore[union-attr]


def test_refresh_is_idempotent(db: Any) -> None:
    f.risk_info(PUDONG)
    f.risk_info(JIADING, occurred_at=timezone.now() - timedelta(days=40))
    refresh()
    first = _snapshot()
    refresh()
    assert _snapshot() == first
    refresh(full=True)
    assert _snapshot() == first
    refresh_summaries.delay()  # the beat task: the same function
    assert _snapshot() == first


def test_incremental_refresh_recounts_the_days_of_new_items(db: Any) -> None:
    f.risk_info(PUDONG)
    refresh()
    old_day = timezone.now() - timedelta(days=200)
    f.risk_info(PUDONG, occurred_at=old_day)  # arrives late, about an old day
    f.risk_info(JIADING)

    result = refresh()

    assert not result.full
    assert _total(dimension="all", district_code=PUDONG, day=timezone.localdate(old_day)) == 1
    assert _total(dimension="all") == 3


def test_matrix_counts_the_latest_assessment_of_each_item(db: Any) -> None:
    info = f.risk_info(PUDONG)
    first = f.assessment(info)
    latest = f.assessment(info, RiskLevel.SERIOUS)
    latest.severity, latest.band = 4, 0
    latest.save()
    f.assessment(f.risk_info(JIADING))
    refresh()

    cells = set(MatrixCell.objects.values_list("district_code", "severity", "band", "count"))
    assert cells == {(PUDONG, 4, 0, 1), (JIADING, first.severity, first.band, 1)}


def test_incremental_equals_full_for_scattered_late_items(db: Any) -> None:
    f.risk_info(PUDONG)
    refresh()
    now = timezone.now()
    for i in range(25):  # more separate days than the refresh ORs together
        f.risk_info(JIADING if i % 2 else PUDONG, occurred_at=now - timedelta(days=10 + 3 * i))
    f.risk_info(PUDONG, occurred_at=None)  # undated: counted on the day it was screened

    refresh()
    incremental = _snapshot()
    refresh(full=True)
    assert _snapshot() == incremental
    assert _total(dimension="all") == 27
