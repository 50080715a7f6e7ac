"""The graph API: who sees what, and a clear answer to every bad question."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pqrisk.accounts.models import User

from .conftest import Story


def get(user: User | None, name: str, *args: Any, **params: Any) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse(f"graph:{name}", args=args), params)


def test_alice_sees_a_neighbourhood_with_provenance(story: Story, alice: User) -> None:
    r = get(alice, "api_neighbourhood", node=f"enterprise:{story.maker.pk}", depth=1)
    assert r.status_code == 200
    body = r.json()
    ids = {n["id"] for n in body["nodes"]}
    assert {"brand:乙牌", "brand:甲牌", f"product:{story.k2.pk}", "district:310114"} <= ids
    located = next(e for e in body["edges"] if e["type"] == "located_in")
    assert located["provenance"] == [f"Enterprise register #{story.maker.pk}"]
    assert body["truncated"] is False and body["depth"] == 1


def test_depth_is_capped_at_three(story: Story, alice: User) -> None:
    body = get(alice, "api_neighbourhood", node="brand:乙牌", depth=7).json()
    assert body["depth"] == 3 and body["depth_capped"] is True and body["depth_requested"] == 7


def test_big_neighbourhoods_are_truncated(story: Story, alice: User) -> None:
    body = get(alice, "api_neighbourhood", node="brand:乙牌", depth=3, limit=3).json()
    assert body["truncated"] is True and len(body["nodes"]) == 3 and body["reached"] > 3


def test_unknown_node_is_a_chinese_404(story: Story, alice: User) -> None:
    r = get(alice, "api_neighbourhood", node="enterprise:999999")
    assert r.status_code == 404
    assert "知识图谱中没有节点“enterprise:999999”" in r.json()["detail"]


@pytest.mark.parametrize("params", [{"depth": "abc"}, {"depth": "0"}, {"limit": "-1"}, {}])
def test_bad_parameters_are_a_chinese_400(story: Story, alice: User, params: dict) -> None:
    if params:
        params = {"node": "brand:乙牌", **params}
    r = get(alice, "api_neighbourhood", **params)
    assert r.status_code == 400 and r.json()["detail"]


def test_bob_sees_only_what_pudong_records_reach(story: Story, bob: User) -> None:
    body = get(bob, "api_neighbourhood", node=f"enterprise:{story.maker.pk}", depth=2).json()
    ids = {n["id"] for n in body["nodes"]}
    assert f"case:{story.case.pk}" in ids and f"risk:{story.complaint.pk}" in ids
    assert not {f"risk:{i.pk}" for i in story.jiading} & ids
    assert f"risk:{story.spot_check.pk}" not in ids
    refs = [p for e in body["edges"] for p in e["provenance"]]
    assert f"RiskInfo #{story.spot_check.pk}" not in refs
    # A Jiading record is, for bob, a node that does not exist.
    r = get(bob, "api_neighbourhood", node=f"risk:{story.spot_check.pk}")
    assert r.status_code == 404


def test_charlie_cannot_ask_about_the_pudong_case(story: Story, charlie: User) -> None:
    r = get(charlie, "api_case_correlations", story.case.pk)
    assert r.status_code == 404 and "评估任务" in r.json()["detail"]


def test_what_else_for_the_case(story: Story, dana: User) -> None:
    r = get(dana, "api_case_correlations", story.case.pk)
    assert r.status_code == 200
    body = r.json()
    assert body["focus"]["id"] == f"case:{story.case.pk}" and body["window_days"] == 90
    top = body["suggestions"][0]
    assert top["node"] == "brand:乙牌" and top["pattern"] == "same_manufacturer"
    assert top["reason"].startswith("上海甲电器有限公司还生产品牌乙牌的")
    assert "近90天有2条投诉、1条抽查记录" in top["reason"]
    assert [p["id"] for p in top["path"]] == [f"enterprise:{story.maker.pk}", "brand:乙牌"]


def test_what_else_for_an_enterprise_and_a_product(story: Story, alice: User) -> None:
    body = get(alice, "api_enterprise_correlations", story.maker.pk).json()
    assert any(s["node"] == "brand:乙牌" for s in body["suggestions"])
    body = get(alice, "api_product_correlations", story.k1.pk, window=30).json()
    assert body["window_days"] == 30
    assert body["suggestions"][0]["reason"].startswith("同一生产企业上海甲电器有限公司")
    assert get(alice, "api_enterprise_correlations", 999999).status_code == 404
    assert get(alice, "api_product_correlations", story.k1.pk, window="x").status_code == 400


def test_correlations_only_for_cases_firms_products_brands_events(
    story: Story, alice: User
) -> None:
    r = get(alice, "api_correlations", node="district:310114")
    assert r.status_code == 400 and "行政区" in r.json()["detail"]
    assert get(alice, "api_correlations", node="brand:乙牌").status_code == 200


def test_search_and_patterns(story: Story, alice: User) -> None:
    found = get(alice, "api_nodes", q="甲电器").json()["nodes"]
    assert found[0]["id"] == f"enterprise:{story.maker.pk}"
    body = get(alice, "api_patterns").json()
    assert body["same_manufacturer"][0]["node"] == f"enterprise:{story.maker.pk}"
    assert body["stats"]["nodes"] > 0


def test_strangers_are_refused(story: Story, eve: User) -> None:
    assert get(None, "api_neighbourhood", node="brand:乙牌").status_code == 401
    r = get(eve, "api_neighbourhood", node="brand:乙牌")
    assert r.status_code == 403 and "角色" in r.json()["detail"]
