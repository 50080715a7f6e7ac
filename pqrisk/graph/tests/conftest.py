"""A kettle story in the database: 上海甲电器 (Jiading) makes 甲牌 and 乙牌 kettles; a Pudong
shop sold a 甲牌 kettle that shocked a consumer (the Pudong case); 乙牌 kettles drew two
Jiading complaints and failed a spot check (warned)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from pqrisk.assessment.models import AssessmentCase
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.graph.build import clear_cache
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import HazardType, ProductCategory
from pqrisk.screening.models import RiskInfo
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories as f

PUDONG, JIADING = "310115", "310114"


@dataclass
class Story:
    maker: Enterprise
    shop: Enterprise
    k1: Product
    k2: Product
    complaint: RiskInfo  # Pudong, 甲牌 K1 bought at the shop
    jiading: list[RiskInfo]  # 乙牌 K2: two complaints, one failed spot check
    spot_check: RiskInfo
    case: AssessmentCase
    warning: Warning


def _item(district: str, title: str, **fields: Any) -> RiskInfo:
    info = f.risk_info(district, title)
    RiskInfo.objects.filter(pk=info.pk).update(**fields)
    info.refresh_from_db()
    return info


@pytest.fixture(autouse=True)
def _fresh_graph() -> Any:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def story(db: Any) -> Story:
    category = ProductCategory.objects.filter(parent__isnull=False).order_by("-level", "code")[0]
    hazard = HazardType.objects.order_by("code")[0]
    maker = f.enterprise(JIADING, "上海甲电器有限公司")
    maker.kind = "生产企业"
    maker.save()
    maker.products.add(category)
    shop = f.enterprise(PUDONG, "上海乙商贸有限公司")
    shop.kind = "销售企业"
    shop.save()
    k1 = Product.objects.create(
        name="电热水壶", category=category, enterprise=maker, brand="甲牌", model="K1"
    )
    k2 = Product.objects.create(
        name="电热水壶", category=category, enterprise=maker, brand="乙牌", model="K2"
    )
    common = {"product_category": category, "hazard": hazard, "source_kind": "complaint"}
    complaint = _item(
        PUDONG, "甲牌电热水壶漏电", enterprise=shop, product=k1, brand="甲牌", **common
    )
    jiading = [
        _item(JIADING, f"乙牌电热水壶外壳带电{i}", product=k2, brand="乙牌", **common)
        for i in (1, 2)
    ]
    spot = _item(
        JIADING,
        "乙牌电热水壶抽查不合格",
        product=k2,
        enterprise=maker,
        **{**common, "source_kind": "spot_check"},
    )
    RawItem.objects.filter(pk=spot.raw_item_id).update(
        payload={
            "title": spot.title,
            "details": {
                "conclusion": "不合格",
                "standard": "GB 4706.19-2008",
                "platform": "某东商城",
            },
        }
    )
    case = AssessmentCase.objects.create(
        code="AC-2026-0001",
        title="甲牌电热水壶漏电",
        origin="risk_info",
        product_category=category,
        hazard=hazard,
        enterprise=maker,
        district=complaint.district,
    )
    case.risk_infos.add(complaint)
    warning = f.warning(spot, status="published")
    assert warning.published_at is None or warning.published_at <= timezone.now()
    return Story(maker, shop, k1, k2, complaint, jiading, spot, case, warning)
