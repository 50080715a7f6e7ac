"""The graph page and the exports."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import networkx as nx
from django.test import Client
from django.urls import reverse

from pqrisk.accounts.models import User

from .conftest import Story


def get(user: User | None, name: str, **params: Any) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse(f"graph:{name}"), params)


def test_the_page_shows_the_graph_and_a_table(story: Story, alice: User) -> None:
    r = get(alice, "page", node=f"enterprise:{story.maker.pk}", depth=1)
    assert r.status_code == 200
    html = r.content.decode()
    assert "上海甲电器有限公司" in html and "关系及依据" in html
    assert f"Enterprise register #{story.maker.pk}" in html
    assert "还应关注" in html and "还生产品牌乙牌" in html
    assert 'id="graph-data"' in html
    if r.context["has_echarts"]:
        assert "/static/vendor/echarts.min.js" in html and "cdn" not in html.lower()
    assert reverse("web:enterprise_detail", args=[story.maker.pk]) in html


def test_the_landing_page_lists_related_risks(story: Story, dana: User) -> None:
    r = get(dana, "page")
    assert r.status_code == 200
    assert "同一生产企业的多个品牌" in r.content.decode()


def test_search_on_the_page(story: Story, bob: User) -> None:
    r = get(bob, "page", q="乙牌")
    assert r.status_code == 200 and "查找结果" in r.content.decode()


def test_bob_gets_links_to_pudong_pages_only(story: Story, bob: User) -> None:
    html = get(bob, "page", node=f"case:{story.case.pk}", depth=2).content.decode()
    assert reverse("web:case_detail", args=[story.case.pk]) in html
    assert reverse("web:riskinfo_detail", args=[story.complaint.pk]) in html
    assert reverse("web:enterprise_detail", args=[story.maker.pk]) not in html  # Jiading


def test_an_unknown_node_on_the_page_is_explained(story: Story, alice: User) -> None:
    r = get(alice, "page", node="brand:不存在")
    assert r.status_code == 404 and "知识图谱中没有节点" in r.content.decode()


def test_exports_are_for_city_roles(story: Story, alice: User, bob: User) -> None:
    r = get(alice, "export_graphml")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    g = nx.read_graphml(io.BytesIO(r.content), force_multigraph=True)
    assert f"enterprise:{story.maker.pk}" in g
    r = get(alice, "export_neo4j")
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        nodes = zf.read("nodes.csv").decode()
        assert nodes.startswith("id:ID,:LABEL") and "上海甲电器有限公司" in nodes
    assert get(bob, "export_graphml").status_code == 403
    assert get(bob, "export_neo4j").status_code == 403
    assert get(None, "export_neo4j").status_code == 302


def test_users_without_a_page_role_are_refused(story: Story, eve: User) -> None:
    assert get(eve, "page").status_code == 403
