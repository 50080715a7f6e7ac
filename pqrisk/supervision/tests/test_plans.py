"""Spot-check plans from the grades: city roles make them, the seed reproduces them."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from pqrisk.core.supervision.grading import SupervisionError
from pqrisk.supervision import services
from pqrisk.supervision.models import PlanEntry
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db

PUDONG, JIADING = "310115", "310114"


def _request(budget: int, seed: int | None = 20261127) -> services.PlanRequest:
    return services.PlanRequest(
        title="2026年双随机抽查",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        budget=budget,
        seed=seed,
    )


def _firms() -> list[Any]:
    firms = [f.enterprise(PUDONG) for _ in range(28)] + [f.enterprise(JIADING) for _ in range(15)]
    for firm in firms[:3]:  # three firms with two penalties and a failed check: C
        f.risk_info(PUDONG, enterprise=firm)
        f.risk_info(PUDONG, enterprise=firm, source_kind="penalty")
    return firms


def test_alice_makes_a_plan_that_respects_the_bands_and_the_seed(alice: Any) -> None:
    _firms()
    plan = services.create_plan(alice, _request(budget=3))
    # 40 A firms (at most 5 % → 2), 3 C firms (21–60 % → exactly 1).
    assert plan.population == {"A": 40, "B": 0, "C": 3, "D": 0}
    assert plan.allocation == {"A": 2, "B": 0, "C": 1, "D": 0}
    entries = list(plan.entries.all())
    assert len(entries) == 3
    assert all(e.reasons and e.products for e in entries)
    again = services.create_plan(alice, _request(budget=3))
    assert [e.enterprise_id for e in again.entries.all()] == [e.enterprise_id for e in entries]

    book = load_workbook(io.BytesIO(services.plan_workbook(plan, alice)))
    assert book.sheetnames == ["计划概况", "各区分配", "抽查对象"]
    assert book["抽查对象"].max_row == 4


def test_budgets_outside_the_bands_and_district_officers_are_refused(alice: Any, bob: Any) -> None:
    _firms()
    with pytest.raises(SupervisionError, match="可行范围"):
        services.create_plan(alice, _request(budget=50))
    with pytest.raises(PermissionDenied):
        services.create_plan(bob, _request(budget=3))
    assert PlanEntry.objects.count() == 0


def test_a_seed_is_drawn_when_none_is_given(alice: Any) -> None:
    _firms()
    plan = services.create_plan(alice, _request(budget=2, seed=None))
    assert 0 <= plan.seed < 10**12
