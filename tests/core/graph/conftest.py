"""A small story for the graph: kettles that shock.

上海甲电器 (Jiading) makes kettles under two brands, 甲牌 and 乙牌; 上海丙电子 makes 丙牌
kettles; 宁波丁温控器 supplies thermostats to both makers. A Pudong shop (上海乙商贸) sold a
甲牌 kettle that shocked a consumer (the case); 乙牌 kettles drew three complaints lately and
one failed a spot check; a 丙牌 kettle failed the same standard; rice cookers, the kettles'
siblings, shocked people too.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pqrisk.core.graph import GraphRecords, KnowledgeGraph, build_graph
from pqrisk.core.graph.model import EnterpriseRole
from pqrisk.core.graph.records import (
    CaseRecord,
    CategoryRecord,
    DistrictRecord,
    EnterpriseRecord,
    EventRecord,
    HazardRecord,
    ProductRecord,
    RiskItemRecord,
    SampleRecord,
    SupplyRecord,
    WarningRecord,
)

TODAY = date(2026, 11, 27)
PUDONG, JIADING = "310115", "310114"
KETTLE, RICE_COOKER, INDUCTION, POWER_BANK = "010101", "010102", "010103", "020101"


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def story_records() -> GraphRecords:
    m = EnterpriseRole
    return GraphRecords(
        categories=[
            CategoryRecord("01", "家用电器"),
            CategoryRecord("0101", "厨房电器", "01"),
            CategoryRecord(KETTLE, "电热水壶", "0101"),
            CategoryRecord(RICE_COOKER, "电饭锅", "0101"),
            CategoryRecord(INDUCTION, "电磁炉", "0101"),
            CategoryRecord("02", "电子产品"),
            CategoryRecord("0201", "移动电源类", "02"),
            CategoryRecord(POWER_BANK, "充电宝", "0201"),
        ],
        hazards=[
            HazardRecord("electric_shock", "触电"),
            HazardRecord("fire", "起火"),
            HazardRecord("burns", "烫伤"),
        ],
        districts=[DistrictRecord(PUDONG, "浦东新区"), DistrictRecord(JIADING, "嘉定区")],
        enterprises=[
            EnterpriseRecord("1", "上海甲电器有限公司", JIADING, m.MANUFACTURER, "", (KETTLE,)),
            EnterpriseRecord("2", "上海乙商贸有限公司", PUDONG, m.SELLER, "", (KETTLE,)),
            EnterpriseRecord("3", "上海丙电子有限公司", JIADING, m.MANUFACTURER, "", (KETTLE,)),
            EnterpriseRecord("4", "上海戊电器有限公司", JIADING, m.MANUFACTURER),
        ],
        products=[
            ProductRecord("1", "电热水壶", KETTLE, "1", "甲牌", "K1"),
            ProductRecord("2", "电热水壶", KETTLE, "1", "乙牌", "K2"),
            ProductRecord("3", "电热水壶", KETTLE, "3", "丙牌", "K3"),
            ProductRecord("4", "电饭锅", RICE_COOKER, "4", "戊牌", "R4"),
        ],
        events=[EventRecord("1", "乙牌电热水壶（触电）", KETTLE, "electric_shock", ago(5))],
        risk_items=[
            RiskItemRecord(
                "1", "甲牌电热水壶漏电", "complaint", ago(3), "pending_assessment", PUDONG,
                KETTLE, "electric_shock", enterprise="2", enterprise_role=m.SELLER, product="1",
                brand="甲牌",
            ),
            RiskItemRecord(
                "2", "乙牌水壶外壳带电", "complaint", ago(10), "", JIADING, KETTLE,
                "electric_shock", brand="乙牌", event="1",
            ),
            RiskItemRecord(
                "3", "乙牌电热水壶漏电", "complaint", ago(20), "", JIADING, KETTLE,
                "electric_shock", product="2", event="1",
            ),
            RiskItemRecord(
                "4", "乙牌K2被投诉", "complaint", ago(40), "", JIADING, KETTLE, "burns",
                brand="乙牌", model="K2",
            ),
            RiskItemRecord(
                "5", "乙牌K2抽查不合格", "spot_check", ago(200), "", JIADING, KETTLE,
                "electric_shock", enterprise="1", enterprise_role=m.MANUFACTURER, product="2",
                failed_standards=("GB 4706.19-2008",),
            ),
            RiskItemRecord(
                "6", "丙牌电热水壶抽查不合格", "spot_check", ago(15), "", JIADING, KETTLE,
                "electric_shock", enterprise="3", enterprise_role=m.MANUFACTURER, product="3",
                failed_standards=("GB4706.19—2008 第8章",), platform="某东商城",
            ),
            RiskItemRecord(
                "7", "电饭锅漏电", "injury", ago(8), "", JIADING, RICE_COOKER, "electric_shock",
                product="4",
            ),
            RiskItemRecord(
                "8", "电饭锅触电伤害", "injury", ago(9), "", PUDONG, RICE_COOKER,
                "electric_shock", product="4",
            ),
        ],
        samples=[
            SampleRecord(
                "1", "S-001", "电热水壶", ago(30), JIADING, KETTLE, manufacturer="1",
                seller_name="某某家电专营店", platform="某东商城", brand="乙牌", model="K2",
                failed_standards=("GB 4706.19-2008",), task_code="LT-1",
            )
        ],
        warnings=[
            WarningRecord(
                "1", "丙牌电热水壶触电风险", "orange", "published", ago(2), JIADING, KETTLE,
                "electric_shock", ("6",), ("丙牌",),
            )
        ],
        cases=[
            CaseRecord(
                "1", "AC-2026-001", "甲牌电热水壶漏电", "opened", ago(1), PUDONG, KETTLE,
                "electric_shock", enterprise="1", risk_items=("1",),
            )
        ],
        supplies=[
            SupplyRecord("宁波丁温控器有限公司", "1", "Supplier declaration", "7", None, True),
            SupplyRecord("宁波丁温控器有限公司", "3", "Supplier declaration", "8", None, True),
        ],
    )  # fmt: skip


@pytest.fixture
def records() -> GraphRecords:
    return story_records()


@pytest.fixture
def kg(records: GraphRecords) -> KnowledgeGraph:
    return build_graph(records)
