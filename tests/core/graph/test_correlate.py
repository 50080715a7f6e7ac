"""Related risks, communities and "what else should we look at"."""

from __future__ import annotations

from pqrisk.core.graph import KnowledgeGraph
from pqrisk.core.graph.correlate import (
    communities,
    community_of,
    focus_of,
    manufacturers_behind_brands,
    risk_projection,
    shared_suppliers,
    sibling_hazards,
    suggest,
)
from pqrisk.core.graph.query import scope_to_district

from .conftest import PUDONG, TODAY


def test_one_maker_behind_two_brands_with_risks(kg: KnowledgeGraph) -> None:
    found = manufacturers_behind_brands(kg, TODAY)
    assert [f.node for f in found] == ["enterprise:1"]
    assert {m.label for m in found[0].members} == {"甲牌", "乙牌"}
    assert found[0].sentence.startswith("生产企业上海甲电器有限公司的2个品牌")


def test_the_same_hazard_in_sibling_products(kg: KnowledgeGraph) -> None:
    found = sibling_hazards(kg, TODAY)
    shock = next(f for f in found if f.node == "hazard:electric_shock")
    assert {m.label for m in shock.members} == {"电热水壶", "电饭锅"}
    assert "厨房电器下的2类产品" in shock.sentence


def test_one_supplier_across_failing_products(kg: KnowledgeGraph) -> None:
    found = shared_suppliers(kg, TODAY)
    assert [f.node for f in found] == ["enterprise:~宁波丁温控器有限公司"]
    assert {m.node for m in found[0].members} == {"enterprise:1", "enterprise:3"}
    assert shared_suppliers(kg, TODAY, min_customers=3) == []


def test_communities_are_seeded_and_cover_the_makers(kg: KnowledgeGraph) -> None:
    first = communities(kg, seed=7)
    again = communities(kg, seed=7)
    assert [c.members for c in first] == [c.members for c in again]
    group = community_of(first, "brand:乙牌")
    assert group is not None and "enterprise:1" in group.members
    assert group.records >= 3 and "电热水壶" in group.title
    proj = risk_projection(kg)
    assert not any(n.startswith(("hazard:", "category:", "district:")) for n in proj)


def test_what_else_for_the_case_starts_with_the_makers_other_brand(kg: KnowledgeGraph) -> None:
    found = suggest(kg, ["case:1"], TODAY)
    top = found[0]
    assert top.node == "brand:乙牌" and top.pattern == "same_manufacturer"
    assert (
        top.reason == "上海甲电器有限公司还生产品牌乙牌的电热水壶，近90天有3条投诉、1个不合格样品"
    )
    assert top.path == ["enterprise:1", "brand:乙牌"]
    patterns = {s.pattern for s in found}
    assert {"same_supplier", "sibling_hazard", "same_standard"} <= patterns
    sibling = next(s for s in found if s.pattern == "sibling_hazard")
    assert sibling.reason == "同属厨房电器的电饭锅近90天也有2条“触电”风险信息"
    supplier = next(s for s in found if s.pattern == "same_supplier")
    assert supplier.reason.startswith("同一供应商宁波丁温控器有限公司还向上海丙电子有限公司供货")
    # Ranked, and nothing the case is already about.
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert not {"enterprise:1", "brand:甲牌", "product:1", "risk:1"} & {s.node for s in found}


def test_what_else_for_a_product_names_its_maker(kg: KnowledgeGraph) -> None:
    found = suggest(kg, ["product:1"], TODAY)
    assert found[0].reason.startswith("同一生产企业上海甲电器有限公司还生产品牌乙牌的电热水壶")


def test_the_window_decides_what_is_a_lead(kg: KnowledgeGraph) -> None:
    short = suggest(kg, ["case:1"], TODAY, window_days=7)
    assert all(s.recent > 0 for s in short)
    assert "近7天" in short[0].reason if short else True
    assert len(short) < len(suggest(kg, ["case:1"], TODAY))


def test_communities_add_leads_at_low_weight(kg: KnowledgeGraph) -> None:
    found = suggest(kg, ["product:1"], TODAY, found_communities=communities(kg))
    assert found  # the community pattern never outranks the maker's other brand
    assert found[0].pattern == "same_manufacturer"


def test_focus_of_a_case_is_what_it_covers(kg: KnowledgeGraph) -> None:
    f = focus_of(kg, ["case:1"])
    assert "risk:1" in f.records and "enterprise:1" in f.entities
    assert "category:010101" in f.categories and "hazard:electric_shock" in f.hazards


def test_a_district_view_suggests_from_the_districts_records_only(kg: KnowledgeGraph) -> None:
    view = scope_to_district(kg, PUDONG)
    found = suggest(view, ["case:1"], TODAY)
    # Jiading's 乙牌 complaints are not in the Pudong view: no lead rests on them.
    assert "brand:乙牌" not in {s.node for s in found}
    assert all("抽查" not in s.reason for s in found)


def test_unknown_seeds_give_no_suggestions(kg: KnowledgeGraph) -> None:
    assert suggest(kg, ["case:404"], TODAY) == []
