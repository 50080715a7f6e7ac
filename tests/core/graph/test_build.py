"""Building the graph: what each record says becomes an edge with the record as provenance."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.graph import GraphRecords, KnowledgeGraph, NodeType, Ref, build_graph
from pqrisk.core.graph.build import normalise_name, normalise_standard
from pqrisk.core.graph.model import EdgeType

from .conftest import story_records


def refs(kg: KnowledgeGraph, u: str, v: str, kind: EdgeType) -> list[str]:
    data = kg.g.get_edge_data(u, v, key=kind.value)
    assert data is not None, f"no {kind.value} edge {u} → {v}"
    return [r.label for r in data["provenance"]]


def test_every_node_has_a_type_and_a_label(kg: KnowledgeGraph) -> None:
    for node, data in kg.g.nodes(data=True):
        assert NodeType(data["type"]).value == node.split(":", 1)[0]
        assert data["label"]


def test_the_register_says_who_makes_which_brand(kg: KnowledgeGraph) -> None:
    assert refs(kg, "brand:乙牌", "enterprise:1", EdgeType.BRAND_OF) == [
        "Product register #2",
        "RiskInfo #5",  # the spot check names the maker's product
        "Sample #S-001",  # the sample's label names the maker
    ]
    assert refs(kg, "enterprise:1", "product:2", EdgeType.MAKES)[0] == "Product register #2"
    assert refs(kg, "product:2", "brand:乙牌", EdgeType.MODEL_OF)[0] == "Product register #2"
    assert refs(kg, "enterprise:1", "district:310114", EdgeType.LOCATED_IN) == [
        "Enterprise register #1"
    ]
    assert refs(kg, "category:010101", "category:0101", EdgeType.SUBCATEGORY_OF) == [
        "Product catalogue"
    ]


def test_a_risk_item_names_what_it_is_about(kg: KnowledgeGraph) -> None:
    assert "RiskInfo #1" in refs(kg, "risk:1", "enterprise:2", EdgeType.INVOLVES)
    assert refs(kg, "risk:1", "hazard:electric_shock", EdgeType.HAS_HAZARD) == ["RiskInfo #1"]
    assert refs(kg, "risk:1", "district:310115", EdgeType.REPORTED_IN) == ["RiskInfo #1"]
    assert refs(kg, "risk:2", "event:1", EdgeType.PART_OF_EVENT) == ["RiskInfo #2"]
    assert refs(kg, "risk:6", "warning:1", EdgeType.WARNED_BY) == ["Warning #1"]
    assert refs(kg, "case:1", "risk:1", EdgeType.COVERS) == ["AssessmentCase #1"]
    # The seller named by the complaint is supplied by the register's maker of the product.
    assert refs(kg, "enterprise:1", "enterprise:2", EdgeType.SUPPLIES) == ["RiskInfo #1"]


def test_edges_count_distinct_records_and_add_no_second_edge(kg: KnowledgeGraph) -> None:
    data = kg.g.get_edge_data("product:2", "hazard:electric_shock", key="has_hazard")
    assert data["count"] == 2  # RiskInfo #3 and #5 name product 2 with the hazard
    assert data["weight"] == 2.0
    assert len(kg.g.get_edge_data("product:2", "hazard:electric_shock")) == 1


def test_the_same_brand_and_model_meet_on_the_registered_product(kg: KnowledgeGraph) -> None:
    # RiskInfo #4 names 乙牌 K2 without a product id: it is the register's product 2.
    assert kg.g.has_edge("risk:4", "product:2", key="involves")
    assert not any(n.startswith("product:~") for n in kg.g if "k2" in n)


def test_standards_are_normalised_so_two_labs_meet() -> None:
    assert normalise_standard("GB4706.19—2008 第8章") == "GB 4706.19-2008"
    assert normalise_standard("gb/t 3280-2015") == "GB/T 3280-2015"
    assert normalise_standard("QB/T 4237") == "QB/T 4237"
    assert normalise_standard("  企业标准   Q/ABC ") != ""
    assert normalise_name("  ＡＢＣ电器  ") == "abc电器"


def test_a_failed_sample_links_maker_shop_platform_and_standard(kg: KnowledgeGraph) -> None:
    shop = "enterprise:~某某家电专营店"
    assert refs(kg, "enterprise:1", shop, EdgeType.SUPPLIES) == ["Sample #S-001"]
    assert "Sample #S-001" in refs(
        kg, "product:2", "standard:GB 4706.19-2008", EdgeType.FAILS_STANDARD
    )
    assert kg.g.has_edge("product:2", "enterprise:~某东商城", key="sold_on")
    assert "platform" in kg.g.nodes["enterprise:~某东商城"]["roles"]
    assert "supplier" in kg.g.nodes["enterprise:1"]["roles"]


def test_names_not_in_the_register_become_named_nodes(kg: KnowledgeGraph) -> None:
    supplier = "enterprise:~宁波丁温控器有限公司"
    assert kg.label(supplier) == "宁波丁温控器有限公司"
    assert sorted(kg.targets(supplier, EdgeType.SUPPLIES)) == ["enterprise:1", "enterprise:3"]


def test_references_know_who_may_read_them() -> None:
    assert Ref("Enterprise register", "1").visible_in("310115")
    assert Ref("RiskInfo", "1", "310115").visible_in("310115")
    assert not Ref("RiskInfo", "1", "310114").visible_in("310115")
    assert not Ref("RiskInfo", "1", "").visible_in("310115")  # no district: city only


def test_a_record_given_twice_changes_nothing(records: GraphRecords) -> None:
    once = build_graph(records)
    twice = build_graph(replace(records, risk_items=records.risk_items * 2))
    assert once.stats() == twice.stats()
    for u, v, k, d in once.g.edges(keys=True, data=True):
        assert twice.g.edges[u, v, k]["count"] == d["count"]


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(story_records().risk_items))))
def test_record_order_does_not_change_the_graph(order: list[int]) -> None:
    base = story_records()
    shuffled = replace(base, risk_items=[base.risk_items[i] for i in order])
    a, b = build_graph(base), build_graph(shuffled)
    assert a.stats() == b.stats()
    for u, v, k, d in a.g.edges(keys=True, data=True):
        assert set(b.g.edges[u, v, k]["provenance"]) == set(d["provenance"])


def test_an_empty_database_builds_an_empty_graph() -> None:
    kg = build_graph(GraphRecords())
    assert len(kg) == 0 and kg.edge_count == 0
