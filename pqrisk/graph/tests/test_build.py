"""The database read into the graph: every edge says which record supports it."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from pqrisk.core.graph import build_graph
from pqrisk.core.graph.model import EnterpriseRole
from pqrisk.graph.build import city_snapshot, load_records, role_of_kind, snapshot_for
from pqrisk.web.tests import factories as f

from .conftest import Story


def labels(kg: Any, u: str, v: str, key: str) -> list[str]:
    return [r.label for r in kg.g.edges[u, v, key]["provenance"]]


def test_records_carry_what_the_rows_say(story: Story) -> None:
    records = load_records()
    spot = next(r for r in records.risk_items if r.id == str(story.spot_check.pk))
    assert spot.failed_standards == ("GB 4706.19-2008",)
    assert spot.platform == "某东商城"
    assert spot.enterprise_role is EnterpriseRole.MANUFACTURER
    case = next(c for c in records.cases if c.id == str(story.case.pk))
    assert case.risk_items == (str(story.complaint.pk),)
    warning = next(w for w in records.warnings if w.id == str(story.warning.pk))
    assert warning.risk_items == (str(story.spot_check.pk),)


def test_every_edge_names_its_record(story: Story) -> None:
    kg = build_graph(load_records())
    maker, shop = f"enterprise:{story.maker.pk}", f"enterprise:{story.shop.pk}"
    k2 = f"product:{story.k2.pk}"
    assert labels(kg, "brand:乙牌", maker, "brand_of")[0] == f"Product register #{story.k2.pk}"
    assert labels(kg, maker, "district:310114", "located_in") == [
        f"Enterprise register #{story.maker.pk}"
    ]
    spot = f"risk:{story.spot_check.pk}"
    assert labels(kg, spot, f"warning:{story.warning.pk}", "warned_by") == [
        f"Warning #{story.warning.pk}"
    ]
    assert labels(kg, k2, "standard:GB 4706.19-2008", "fails_standard") == [
        f"RiskInfo #{story.spot_check.pk}"
    ]
    assert labels(kg, f"risk:{story.complaint.pk}", shop, "involves") == [
        f"RiskInfo #{story.complaint.pk}"
    ]
    # The shop sold the maker's kettle: the maker supplies it.
    assert labels(kg, maker, shop, "supplies") == [f"RiskInfo #{story.complaint.pk}"]
    assert kg.g.has_edge(k2, "enterprise:~某东商城", key="sold_on")


def test_noise_and_duplicates_stay_out(story: Story) -> None:
    story.jiading[0].status = "noise"
    story.jiading[0].save()
    kg = build_graph(load_records())
    assert f"risk:{story.jiading[0].pk}" not in kg
    assert f"risk:{story.jiading[1].pk}" in kg


def test_the_kept_graph_is_rebuilt_when_rows_are_added(story: Story) -> None:
    first = city_snapshot()
    assert city_snapshot() is first
    info = f.risk_info("310115", "又一条投诉")
    # Within a minute of a build, a change waits, unless the node asked about is missing.
    assert city_snapshot() is first
    again = city_snapshot(require=f"risk:{info.pk}")
    assert again is not first and f"risk:{info.pk}" in again.graph
    f.risk_info("310115", "再一条投诉")
    with override_settings(PQRISK_GRAPH_MIN_REBUILD_SECONDS=0):
        assert city_snapshot() is not again


def test_a_district_view_follows_the_city_graph(story: Story, bob: Any) -> None:
    first = snapshot_for(bob)
    assert snapshot_for(bob) is first
    info = f.risk_info("310115", "浦东又一条投诉")
    again = snapshot_for(bob, require=f"risk:{info.pk}")
    assert again is not first and f"risk:{info.pk}" in again.graph


def test_register_kinds_become_roles() -> None:
    assert role_of_kind("生产企业") is EnterpriseRole.MANUFACTURER
    assert role_of_kind("销售企业") is EnterpriseRole.SELLER
    assert role_of_kind("电商平台经营者") is EnterpriseRole.PLATFORM
    assert role_of_kind("") is EnterpriseRole.UNKNOWN
