"""The panels' numbers on small stories."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from pqrisk.accounts.models import User
from pqrisk.core.levels import WarningLevel
from pqrisk.dashboard.services import (
    disposal_board,
    map_panel,
    matrix_panel,
    scope_for,
    stations_panel,
    trends_panel,
    warning_board,
)
from pqrisk.dashboard.summaries import refresh
from pqrisk.disposal.models import DisposalTask
from pqrisk.signals.models import Signal
from pqrisk.web.tests import factories as f

PUDONG, JIADING = "310115", "310114"


def _row(rows: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in rows if r["code"] == code)


def _signal(code: str | None, score: float, districts: list[str] | None = None, **kw: Any) -> None:
    today = date.today()
    Signal.objects.create(
        key=f"k-{code}-{score}",
        series_key=f"s-{code}",
        kind=kw.pop("kind", "temporal"),
        district=f.district(code) if code else None,
        districts=districts or [],
        period_start=today - timedelta(days=7),
        period_end=today,
        observed=5,
        score=score,
        title="电热水壶触电信号",
        **kw,
    )


def test_map_colours_districts_by_active_warnings_signals_and_items(alice: User) -> None:
    info = f.risk_info(PUDONG)
    f.warning(info, WarningLevel.ORANGE, status="published")
    f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW, status="in_review")
    f.warning(f.risk_info(PUDONG), WarningLevel.RED, status="lifted")  # not active
    f.risk_info(JIADING)
    _signal(PUDONG, 2.5)
    _signal(None, 4.0, [PUDONG, JIADING], kind="spatial")
    _signal(JIADING, 9.0, status="dismissed")  # reviewed: not on the map
    refresh()

    rows = map_panel(scope_for(alice)).rows

    assert len(rows) == 16  # the sixteen districts (临港 is not on the map)
    pudong = _row(rows, PUDONG)
    assert (pudong["orange"], pudong["yellow"], pudong["red"]) == (1, 1, 0)
    assert pudong["top_level"] == "orange"
    assert pudong["signals"] == 2 and pudong["signal_intensity"] == 6.5
    assert pudong["risk_items"] == 3
    jiading = _row(rows, JIADING)
    assert (jiading["warnings"], jiading["signals"], jiading["risk_items"]) == (0, 1, 1)


def test_warning_board_lists_active_warnings_with_deadlines(alice: User) -> None:
    now = timezone.now()
    late = f.warning(f.risk_info(PUDONG), WarningLevel.RED, status="approved")
    late.publish_deadline = now - timedelta(hours=1)
    late.save()
    f.warning(f.risk_info(JIADING), WarningLevel.YELLOW, status="published")
    f.warning(f.risk_info(JIADING), WarningLevel.GREEN, status="draft")

    board = warning_board(scope_for(alice), now=now)

    assert board.summary == {"total": 2, "publish_overdue": 1}
    assert [r["level"] for r in board.rows] == ["red", "yellow"]  # the most severe first
    assert board.rows[0]["overdue"] and board.rows[0]["publish_deadline"]
    assert board.rows[1]["publish_deadline"] is None  # published: no deadline left


def test_disposal_board_counts_open_due_soon_and_overdue(alice: User) -> None:
    now = timezone.now()
    w = f.warning(f.risk_info(PUDONG), WarningLevel.ORANGE, status="published")
    f.task(w, PUDONG, due_at=now - timedelta(hours=2))  # overdue
    soon = f.task(w, JIADING, due_at=now + timedelta(hours=2))  # due soon: within the lead
    DisposalTask.objects.filter(pk=soon.pk).update(created_at=now - timedelta(days=2))
    w2 = f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW, status="published")
    f.task(w2, PUDONG, due_at=now + timedelta(days=6))  # open, far off
    f.task(w2, JIADING, status="closed", due_at=now - timedelta(days=1))  # done

    board = disposal_board(scope_for(alice), now=now)

    assert board.summary == {"open": 3, "due_soon": 1, "overdue": 1}
    assert [r["clock"] for r in board.rows] == ["已超时", "即将到期"]
    by_code = {d["code"]: d for d in board.chart["districts"]}
    assert by_code[PUDONG]["open"] == 2 and by_code[PUDONG]["overdue"] == 1
    assert by_code[JIADING]["due_soon"] == 1


def test_trends_by_family_and_hazard(alice: User) -> None:
    now = timezone.now()
    info = f.risk_info(PUDONG, occurred_at=now)
    f.risk_info(JIADING, occurred_at=now)
    f.risk_info(JIADING, occurred_at=now - timedelta(days=400))  # outside the year
    refresh()

    monthly = trends_panel(scope_for(alice), "family", "month", now=now)
    weekly = trends_panel(scope_for(alice), "hazard", "week", now=now)

    assert len(monthly.chart["periods"]) == 12
    assert monthly.chart["periods"][-1] == timezone.localdate(now).strftime("%Y-%m")
    [series] = monthly.chart["series"]
    assert series["key"] == info.product_category.code[:2]  # type: ignore[union-attr]
    assert series["data"][-1] == 2 and sum(series["data"]) == 2
    assert len(weekly.chart["periods"]) == 26
    assert weekly.chart["series"][0]["name"] == info.hazard.name  # type: ignore[union-attr]
    assert sum(weekly.chart["series"][0]["data"]) == 2


def test_matrix_panel_places_assessments_in_their_cells(alice: User) -> None:
    f.assessment(f.risk_info(PUDONG))  # severity 3, band 2
    refresh()
    panel = matrix_panel(scope_for(alice))
    assert [2, 2, 1] in panel.chart["cells"]
    assert panel.summary["total"] == 1
    cell = next(r for r in panel.rows if r["severity"] == 3 and r["band"] == ">1/100")
    assert cell["count"] == 1 and cell["level"] == "严重风险"


def test_station_health_flags_late_reporters(alice: User) -> None:
    now = timezone.now()
    fresh = f.station("按时报送检验所")
    fresh.last_report_at = now - timedelta(hours=1)
    fresh.save()
    late = f.station("逾期检验所")
    late.last_report_at = now - timedelta(days=30)
    late.save()
    paused = f.station("暂停检验所")
    paused.status = "suspended"
    paused.save()

    panel = stations_panel(scope_for(alice), now=now)

    assert panel.summary == {"total": 3, "active": 2, "stale": 1}
    health = {r["name"]: r["health"] for r in panel.rows}
    assert health == {"按时报送检验所": "正常", "逾期检验所": "超期未报送", "暂停检验所": "—"}


def test_district_scope_sees_its_district_only(alice: User, bob: User) -> None:
    f.warning(f.risk_info(PUDONG), WarningLevel.ORANGE, status="published")
    f.warning(f.risk_info(JIADING), WarningLevel.RED, status="published")
    refresh()

    for scope in (scope_for(bob), scope_for(alice, JIADING)):
        rows = map_panel(scope).rows
        assert len(rows) == 1
    assert map_panel(scope_for(bob)).rows[0]["orange"] == 1
    assert [r["level"] for r in warning_board(scope_for(bob)).rows] == ["orange"]
    assert [r["level"] for r in warning_board(scope_for(alice, JIADING)).rows] == ["red"]
