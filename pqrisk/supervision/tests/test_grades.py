"""Explained credit grades from the records matched to an enterprise, with history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from pqrisk.core.levels import RiskLevel
from pqrisk.reference.models import ProductCategory
from pqrisk.supervision import services
from pqrisk.supervision.models import CreditGrade, ProductRiskLevel
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db

PUDONG = "310115"


def _category() -> ProductCategory:
    cat = ProductCategory.objects.order_by("-level", "code").first()
    assert cat is not None
    return cat


def _record(firm: Any, source: str, method: str, days: int = 10, **extra: Any) -> Any:
    return f.risk_info(
        PUDONG,
        title=f"{firm.name}{source}",
        enterprise=firm,
        source_kind=source,
        occurred_at=timezone.now() - timedelta(days=days),
        tags={"enterprise_match": {"method": method, "name": firm.name}},
        **extra,
    )


def test_a_firm_graded_from_four_sources_two_matched_by_name_only() -> None:
    firm = f.enterprise(PUDONG, "上海晶澜电器有限公司")
    firm.products.add(_category())
    _record(firm, "spot_check", "uscc")  # failed spot check (the factory's signal)
    _record(firm, "penalty", "uscc")
    _record(firm, "complaint", "normalized")
    _record(firm, "recall", "exact")

    grade = services.regrade(firm)

    rows = grade.explanation["contributions"]
    kinds = {r["key"]: r for r in rows}
    assert set(kinds) >= {"failed_spot_check", "penalty", "complaint", "recall"}
    assert kinds["failed_spot_check"]["confidence_pct"] == 100
    assert kinds["complaint"]["confidence_pct"] == 70
    assert kinds["recall"]["confidence_pct"] == 80
    assert "仅名称" in kinds["recall"]["note"]
    # 25 + 20 + 3 × 70 % + 15 × 80 % = 59.10, no product tier yet (no assessment): C
    assert grade.score == Decimal("59.10")
    assert services.score_total(rows) == grade.score
    assert grade.grade == "C"
    assert services.current_grade(firm) == grade
    assert services.current_grade(firm.pk) == grade


def test_a_quiet_firm_is_a_and_regrading_without_news_keeps_one_row() -> None:
    firm = f.enterprise(PUDONG)
    first = services.regrade(firm)
    assert first.grade == "A" and first.score == 0
    again = services.regrade(firm)
    assert again.pk == first.pk
    assert CreditGrade.objects.filter(enterprise=firm).count() == 1


def test_new_records_make_history_and_regrade_changed_finds_them() -> None:
    firm = f.enterprise(PUDONG)
    other = f.enterprise(PUDONG)
    services.regrade_enterprises([firm.pk, other.pk])
    assert services.changed_enterprise_ids() == []

    _record(firm, "spot_check", "uscc")
    assert services.changed_enterprise_ids() == [firm.pk]
    result = services.regrade_changed()
    assert result["regraded"] == 1

    history = list(services.grade_history(firm))
    assert [g.is_current for g in history] == [True, False]
    assert history[0].score > history[1].score
    assert services.changed_enterprise_ids() == []


def test_product_risk_level_from_an_assessment_feeds_the_grade() -> None:
    cat = _category()
    firm = f.enterprise(PUDONG)
    firm.products.add(cat)
    before = services.regrade(firm)

    elsewhere = f.risk_info(PUDONG, product_category=cat)
    f.assessment(elsewhere, level=RiskLevel.SERIOUS)
    assert services.refresh_product_levels() == 1
    assert ProductRiskLevel.objects.get(product_category=cat).tier == "serious"
    assert firm.pk in services.changed_enterprise_ids()

    services.regrade_changed()
    after = services.current_grade(firm)
    assert after is not None and after.pk != before.pk
    tier_row = after.explanation["contributions"][0]
    assert tier_row["key"] == "product_tier" and tier_row["points"] == "30.00"
    assert after.grade == "B"


def test_duplicates_and_noise_complaints_do_not_count() -> None:
    firm = f.enterprise(PUDONG)
    _record(firm, "complaint", "uscc", status="noise")
    _record(firm, "penalty", "uscc", status="duplicate")
    grade = services.regrade(firm)
    assert grade.score == 0


def test_old_grades_are_checked_again_once_and_recency_can_change_them() -> None:
    firm = f.enterprise(PUDONG)
    _record(firm, "spot_check", "uscc", days=300)
    first = services.regrade(firm)
    assert first.score == Decimal("25.00")
    later = timezone.now() + timedelta(days=100)  # the failure is now in its second year
    assert services.changed_enterprise_ids(later) == [firm.pk]
    services.regrade_changed(later)
    current = services.current_grade(firm)
    assert current is not None and current.score == Decimal("12.50")
    assert services.changed_enterprise_ids(later) == []
