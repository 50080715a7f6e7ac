"""Neighbourhoods, search and a district officer's view of the graph."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.graph import KnowledgeGraph, build_graph
from pqrisk.core.graph.query import (
    MAX_DEPTH,
    BadQuery,
    UnknownNode,
    clamp_depth,
    neighbourhood,
    scope_to_district,
    search,
)

from .conftest import JIADING, PUDONG, story_records

ALL_NODES = sorted(build_graph(story_records()).g)


def test_depth_one_is_the_node_and_its_neighbours(kg: KnowledgeGraph) -> None:
    n = neighbourhood(kg, "brand:乙牌", depth=1)
    ids = {x["id"] for x in n.nodes}
    assert n.nodes[0]["id"] == "brand:乙牌" and n.nodes[0]["distance"] == 0
    assert {"enterprise:1", "product:2", "risk:2", "risk:4"} <= ids
    assert not n.truncated
    edge = next(e for e in n.edges if e["type"] == "brand_of")
    assert edge["provenance"][0] == "Product register #2" and edge["label"] == "品牌属于"
    assert edge["provenance_total"] == edge["count"] == 3


def test_depth_is_capped_at_three(kg: KnowledgeGraph) -> None:
    n = neighbourhood(kg, "brand:乙牌", depth=9)
    assert n.depth == MAX_DEPTH and n.as_dict()["depth_capped"] is True


@pytest.mark.parametrize("bad", ["abc", "0", "-2", "", None])
def test_a_bad_depth_is_refused_in_chinese(bad: object) -> None:
    with pytest.raises(BadQuery) as exc:
        clamp_depth(bad)
    assert "深度" in exc.value.message_zh


def test_an_unknown_node_is_a_clear_error(kg: KnowledgeGraph) -> None:
    with pytest.raises(UnknownNode) as exc:
        neighbourhood(kg, "enterprise:999")
    assert "enterprise:999" in exc.value.message_zh and "没有节点" in exc.value.message_zh


def test_a_huge_neighbourhood_is_truncated_with_a_flag(kg: KnowledgeGraph) -> None:
    n = neighbourhood(kg, "hazard:electric_shock", depth=3, limit=5)
    assert n.truncated and len(n.nodes) == 5 and n.reached > 5
    kept = {x["id"] for x in n.nodes}
    assert all(e["source"] in kept and e["target"] in kept for e in n.edges)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ALL_NODES), st.integers(1, 6), st.integers(1, 50))
def test_neighbourhoods_keep_their_bounds(center: str, depth: int, limit: int) -> None:
    kg = build_graph(story_records())
    n = neighbourhood(kg, center, depth=depth, limit=limit)
    assert len(n.nodes) <= limit and n.depth <= MAX_DEPTH
    assert all(x["distance"] <= n.depth for x in n.nodes)
    assert n.truncated == (n.reached > limit)


def test_search_finds_entities_before_records(kg: KnowledgeGraph) -> None:
    found = search(kg, "乙牌")
    assert found[0]["type"] in {"brand", "product", "enterprise"}
    assert any(x["id"] == "risk:2" for x in found)
    assert search(kg, "   ") == []


def test_a_district_officer_sees_what_the_district_reaches(kg: KnowledgeGraph) -> None:
    view = scope_to_district(kg, PUDONG)
    assert "risk:1" in view and "case:1" in view and "risk:8" in view
    assert "enterprise:2" in view  # the Pudong shop the complaint names
    assert "enterprise:1" in view  # the Jiading maker of the case
    assert "brand:乙牌" in view  # one register link from the maker
    assert "risk:5" not in view and "risk:2" not in view  # Jiading's records
    assert "warning:1" not in view and "sample:1" not in view
    for _, _, d in view.g.edges(data=True):
        assert all(r.district in (None, PUDONG) for r in d["provenance"])
        assert d["count"] == len(d["provenance"])


def test_a_district_view_does_not_reach_through_hubs(kg: KnowledgeGraph) -> None:
    view = scope_to_district(kg, PUDONG)
    # 上海戊电器 makes rice cookers, which a Pudong injury names: its product, not the firm
    # registered for the category, is reached; 上海丙电子 (kettles, Jiading) is not.
    assert "enterprise:3" not in view
    assert "product:4" in view and "enterprise:4" in view  # the maker of a named product


def test_another_district_sees_its_own(kg: KnowledgeGraph) -> None:
    view = scope_to_district(kg, JIADING)
    assert "risk:5" in view and "warning:1" in view and "sample:1" in view
    assert "risk:1" not in view and "case:1" not in view
