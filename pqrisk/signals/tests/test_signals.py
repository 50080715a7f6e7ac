"""Signals in the loop: count series from screened items, detection runs that store
reviewable signals (temporal, disproportionality, space-time), and their review."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import JIADING, PUDONG
from pqrisk.audit.models import AuditEvent
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.signals import services
from pqrisk.signals.choices import Granularity, SignalKind, SignalStatus
from pqrisk.signals.models import Signal
from pqrisk.signals.series import SeriesKey, build_series, estimate
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 28)  # a Sunday: the last week is complete


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def item(day: date, district: str | None = PUDONG, **fields: Any) -> Any:
    fields.setdefault("source_kind", "complaint")
    return f.risk_info(district, title="电热水壶漏电", occurred_at=at(day), **fields)


def weekly_background(weeks: int = 20, per_week: int = 1, **fields: Any) -> None:
    for w in range(weeks):
        for n in range(per_week):
            item(AS_OF - timedelta(days=7 * (w + 1) + n), **fields)


def test_series_count_each_source_and_all_per_district_and_city() -> None:
    item(AS_OF, PUDONG)
    item(AS_OF, JIADING)
    item(AS_OF, PUDONG, source_kind="injury")
    item(AS_OF, PUDONG, status="duplicate")  # not counted
    series = build_series(Granularity.WEEK, AS_OF - timedelta(days=13), AS_OF)
    assert len(series.starts) == 2 and series.starts[-1] == date(2026, 6, 22)
    info = item(AS_OF, None)
    category, hazard = info.product_category_id, info.hazard_id
    totals = {k: series.counts[i].sum() for i, k in enumerate(series.keys)}
    pudong = f.district(PUDONG).pk
    assert category is not None and hazard is not None
    assert totals[SeriesKey("", category, hazard, None)] == 3
    assert totals[SeriesKey("", category, hazard, pudong)] == 2
    assert totals[SeriesKey("complaint", category, hazard, None)] == 2
    assert totals[SeriesKey("injury", category, hazard, pudong)] == 1


def test_injury_estimates_are_suppressed_per_methods_section_6() -> None:
    small = estimate(5, 5 * 60.0, 5 * 60.0**2)
    assert small.suppressed and "样本病例少于20例" in small.text
    large = estimate(400, 400 * 30.0, 400 * 30.0**2)
    assert not large.suppressed and large.cv is not None and large.cv == pytest.approx(0.05)
    assert "加权估计12,000例" in large.text


def test_a_weekly_spike_becomes_one_reviewable_signal() -> None:
    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    run = services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    assert run.new_signals >= 1
    signal = Signal.objects.get(kind=SignalKind.TEMPORAL, source="", district=f.district(PUDONG))
    assert "C2" in signal.methods and signal.observed == 9
    assert signal.period_end == AS_OF and signal.risk_infos.count() == 9
    assert signal.series[-1]["alarm"] and signal.series[-1]["count"] == 9
    assert AuditEvent.objects.filter(action="detect", object_id=str(signal.pk)).exists()
    # The same run again extends nothing and duplicates nothing.
    again = services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    assert again.new_signals == 0
    assert Signal.objects.filter(series_key=signal.series_key).count() == 1


def test_a_quiet_series_raises_nothing() -> None:
    weekly_background(per_week=2)
    for n in range(2):
        item(AS_OF - timedelta(days=n))
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    assert not Signal.objects.exists()


def test_review_dismiss_needs_a_reason_and_sticks(dana: Any) -> None:
    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    signal = Signal.objects.filter(source="", district__isnull=True).get()
    with pytest.raises(services.SignalError, match="须填写理由"):
        services.dismiss(signal, dana, " ")
    services.dismiss(signal, dana, "同一批次重复投诉，已由区局处理")
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    signal.refresh_from_db()
    assert signal.status == SignalStatus.DISMISSED
    with pytest.raises(services.SignalError, match="已排除"):
        services.dismiss(signal, dana, "再次")


def test_a_signal_becomes_an_assessment_case_with_its_items(dana: Any, bob: Any) -> None:
    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    signal = Signal.objects.filter(source="", district=f.district(PUDONG)).get()
    with pytest.raises(PermissionDenied):
        services.open_case(signal, bob)  # district officers do not open cases
    case = services.open_case(signal, dana)
    signal.refresh_from_db()
    assert signal.status == SignalStatus.CASED and signal.case == case
    assert case.risk_infos.count() == 9 and case.signal["signal_id"] == signal.pk


def test_districts_see_their_own_signals_only(alice: Any, bob: Any, charlie: Any) -> None:
    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    pudong = Signal.objects.filter(source="", district=f.district(PUDONG)).get()
    city = Signal.objects.filter(source="", district__isnull=True).get()
    assert set(services.visible_signals(bob)) >= {pudong}
    assert city not in services.visible_signals(bob)
    assert not services.visible_signals(charlie).exists()
    url = reverse("web:signal_detail", args=[pudong.pk])
    assert login(Client(), charlie).get(url).status_code == 404
    page = login(Client(), bob).get(url).content.decode()
    assert pudong.title in page and "排除理由" in page and "转为评估任务" not in page
    listing = login(Client(), alice).get(reverse("web:signal_list")).content.decode()
    assert pudong.title in listing and city.title in listing
    with pytest.raises(services.SignalError, match="本区"):
        services.dismiss(city, bob, "不是本区")


def test_the_pages_dismiss_and_open_a_case(dana: Any) -> None:
    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    services.run_temporal(Granularity.WEEK, as_of=AS_OF)
    first, second = Signal.objects.filter(source="").order_by("pk")[:2]
    client = login(Client(), dana)
    detail = client.get(reverse("web:signal_detail", args=[first.pk])).content.decode()
    assert "数据表" in detail and "信息数" in detail
    client.post(reverse("web:signal_dismiss", args=[first.pk]), {"reason": ""})
    first.refresh_from_db()
    assert first.status == SignalStatus.NEW
    client.post(reverse("web:signal_dismiss", args=[first.pk]), {"reason": "误报"})
    first.refresh_from_db()
    assert first.status == SignalStatus.DISMISSED
    response = client.post(reverse("web:signal_case", args=[second.pk]))
    second.refresh_from_db()
    assert second.case is not None
    assert response["Location"] == reverse("web:case_detail", args=[second.case.pk])


def test_a_disproportional_product_hazard_pair_is_a_signal() -> None:
    categories = list(ProductCategory.objects.filter(level=3).order_by("code")[:6])
    hazards = list(HazardType.objects.order_by("code")[:6])
    day = AS_OF - timedelta(days=30)
    for i, category in enumerate(categories):
        for j, hazard in enumerate(hazards):
            for _ in range(2 + (i + j) % 3):
                item(day, product_category=category, hazard=hazard)
    planted_category, planted_hazard = categories[0], hazards[5]
    for _ in range(30):
        item(day, product_category=planted_category, hazard=planted_hazard)
    run = services.run_disproportionality(as_of=AS_OF)
    assert run.new_signals >= 1
    signal = Signal.objects.get(
        kind=SignalKind.DISPROPORTIONALITY,
        product_category=planted_category,
        hazard=planted_hazard,
    )
    assert {"PRR", "ROR"} <= set(signal.methods)
    assert any(r["metric"] == "EB05" for r in signal.series)
    assert signal.risk_infos.count() >= 30


def test_a_space_time_cluster_is_a_signal() -> None:
    codes = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112"]
    for back in range(60):
        day = AS_OF - timedelta(days=back)
        for code in codes[back % 4 :: 2]:
            item(day, code)
    for back in range(3):
        for _ in range(8):
            item(AS_OF - timedelta(days=back), PUDONG)
    run = services.run_scan(as_of=AS_OF, replicates=99, seed=1)
    assert run.new_signals >= 1
    signal = Signal.objects.filter(kind=SignalKind.SPATIAL).order_by("p_value").first()
    assert signal is not None and PUDONG in signal.districts
    assert signal.p_value is not None and signal.p_value < 0.05
    assert signal.risk_infos.exists()


def test_the_shell_runs_a_backfill_into_the_queue() -> None:
    from click.testing import CliRunner

    from pqrisk.cli import main

    weekly_background()
    for n in range(9):
        item(AS_OF - timedelta(days=n % 5))
    result = CliRunner().invoke(main, ["signals", "run", "--backfill"])
    assert result.exit_code == 0, result.output
    assert "temporal_week" in result.output and "新信号" in result.output
    assert Signal.objects.filter(kind=SignalKind.TEMPORAL).exists()
