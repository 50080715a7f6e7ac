"""Issue 10's done-when: a profile built from records in four sources, two of them matched
by name only, grades the firm, and shows contributions that sum to its score."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PUDONG
from pqrisk.enterprises.profile import build_profile
from pqrisk.supervision.services import current_grade, regrade
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db


def test_four_sources_two_by_name_only_give_an_explained_grade(alice: Any) -> None:
    firm = f.enterprise(PUDONG, "上海暖居电器有限公司")
    recent = timezone.now() - timedelta(days=20)
    by_code = {"method": "uscc", "name": firm.uscc}
    by_name = {"method": "exact", "name": firm.name}
    records = [
        ("spot_check", by_code, ["监督抽查不合格：电气强度"]),
        ("penalty", by_code, ["行政处罚"]),
        ("complaint", by_name, ["投诉：漏电"]),
        ("injury", by_name, ["伤害：触电"]),
    ]
    for source, how, signals in records:
        f.risk_info(
            PUDONG,
            title=f"{firm.name}{source}",
            enterprise=firm,
            source_kind=source,
            occurred_at=recent,
            tags={"enterprise_match": how},
            signals=signals,
        )

    profile = build_profile(firm, alice)
    assert profile.records == 4
    assert (profile.data_quality.by_uscc, profile.data_quality.by_name_only) == (2, 2)

    grade = regrade(firm)
    assert grade is not None and current_grade(firm) == grade
    contributions = grade.contributions
    assert sum(Decimal(str(c["points"])) for c in contributions) == grade.score
    name_only = [c for c in contributions if "仅名称" in str(c.get("note", ""))]
    assert len(name_only) == 2

    page = login(Client(), alice).get(reverse("web:enterprise_detail", args=[firm.pk]))
    html = page.content.decode()
    assert "信用风险分级" in html and str(grade.score) in html
    assert "仅按名称 2 条" in html
