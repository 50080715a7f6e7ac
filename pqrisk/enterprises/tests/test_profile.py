"""The enterprise profile (企业画像), as the bureau's people read it.

A Pudong kettle maker has records in four sources: a failed spot check and a penalty that
named its USCC, a complaint and a media report that only named it. alice (市局监管处) sees all
of it; bob (浦东区局) sees his district's enterprise; charlie (嘉定区局) does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import JIADING, PUDONG
from pqrisk.accounts.models import User
from pqrisk.disposal.models import EnterpriseOutcome, Feedback
from pqrisk.enterprises.models import Enterprise, Product
from pqrisk.enterprises.profile import build_profile, failed_items_of
from pqrisk.graph.build import clear_cache
from pqrisk.intake.models import RawItem
from pqrisk.reference.models import ProductCategory
from pqrisk.screening.models import RiskInfo
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def match(method: str, name: str) -> dict[str, Any]:
    return {"products": [], "hazards": [], "enterprise_match": {"method": method, "name": name}}


@pytest.fixture(autouse=True)
def _fresh_graph() -> Iterator[None]:
    clear_cache()  # the graph is kept between requests; each test has its own rows
    yield
    clear_cache()


@pytest.fixture
def maker(db: Any) -> Enterprise:
    e = f.enterprise(PUDONG, "上海浦江电器有限公司")
    category = ProductCategory.objects.order_by("-level", "code").first()
    assert category is not None
    e.products.add(category)
    Product.objects.create(
        name="电热水壶", brand="浦江", model="PJ-17", enterprise=e, category=category
    )
    return e


@pytest.fixture
def records(maker: Enterprise) -> dict[str, RiskInfo]:
    """Four sources; the complaint and the media report are matched by name only."""
    spot = f.risk_info(
        PUDONG,
        title="浦江电热水壶监督抽查不合格",
        enterprise=maker,
        source_kind="spot_check",
        occurred_at=NOW - timedelta(days=300),
        tags=match("uscc", maker.uscc),
    )
    penalty = f.risk_info(
        PUDONG,
        title="浦江电器生产不合格产品被处罚",
        enterprise=maker,
        source_kind="penalty",
        occurred_at=NOW - timedelta(days=200),
        tags=match("uscc", maker.uscc),
    )
    complaint = f.risk_info(
        PUDONG,
        title="消费者投诉浦江电热水壶漏电",
        enterprise=maker,
        source_kind="complaint",
        occurred_at=NOW - timedelta(days=100),
        tags=match("exact", "上海浦江电器有限公司"),
        enterprise_name="上海浦江电器有限公司",
    )
    media = f.risk_info(
        PUDONG,
        title="网传浦江电器水壶外壳烫手",
        enterprise=maker,
        source_kind="media",
        occurred_at=NOW - timedelta(days=10),
        tags=match("normalized", "浦江电器公司"),
        enterprise_name="浦江电器公司",
    )
    return {"spot": spot, "penalty": penalty, "complaint": complaint, "media": media}


@pytest.fixture
def disposed(records: dict[str, RiskInfo], maker: Enterprise, alice: User) -> dict[str, Any]:
    """The spot check led to a warning, a Pudong disposal task, its report and an outcome."""
    warning = f.warning(records["spot"], title="浦江电热水壶触电风险", status="published")
    task = f.task(warning, PUDONG, status="reported")
    feedback = Feedback.objects.create(
        task=task, author=alice, measures="责令整改并下架", findings="企业已整改"
    )
    outcome = EnterpriseOutcome.objects.create(
        enterprise=maker,
        task=task,
        feedback=feedback,
        warning=warning,
        outcome="penalised",
        penalty_amount=20000,
    )
    return {"warning": warning, "task": task, "feedback": feedback, "outcome": outcome}


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def page_url(e: Enterprise) -> str:
    return reverse("web:enterprise_detail", args=[e.pk])


def api_url(e: Enterprise | int) -> str:
    return f"/api/enterprises/{e if isinstance(e, int) else e.pk}/profile"


# ------------------------------------------------------------------------------ the service
def test_profile_gathers_four_sources_and_says_which_were_matched_by_name_only(
    maker: Enterprise, records: dict[str, RiskInfo], disposed: dict[str, Any], alice: User
) -> None:
    p = build_profile(maker, alice)

    assert p.enterprise.uscc == maker.uscc and p.enterprise.district_code == PUDONG
    assert p.records == 4
    assert {c.source: c.total for c in p.source_counts} == {
        "spot_check": 1,
        "penalty": 1,
        "complaint": 1,
        "media": 1,
    }
    assert sum(sum(c.by_year.values()) for c in p.source_counts) == 4
    assert p.failed_items == [("电气强度", 1)]
    assert [x.label for x in p.products] == ["浦江 电热水壶 PJ-17"]
    assert p.categories

    dq = p.data_quality
    assert (dq.by_uscc, dq.by_name_only, dq.manual, dq.unrecorded) == (2, 2, 0, 0)
    assert {r.id for r in dq.name_only_records} == {records["complaint"].pk, records["media"].pk}
    assert any("2 条记录仅按企业名称匹配" in n for n in dq.notes)
    assert ("浦江电器公司", 1) in dq.name_variants

    assert [w.id for w in p.warnings.rows] == [disposed["warning"].pk]
    assert [t.id for t in p.tasks.rows] == [disposed["task"].pk]
    assert p.tasks.rows[0].reports == 1
    assert [(o.outcome, o.adverse) for o in p.outcomes.rows] == [("penalised", True)]


def test_the_timeline_is_newest_first_and_filters_by_source(
    maker: Enterprise, records: dict[str, RiskInfo], disposed: dict[str, Any], alice: User
) -> None:
    p = build_profile(maker, alice)
    whens = [t.when for t in p.timeline]
    assert whens == sorted(whens, reverse=True)
    titles = [t.title for t in p.timeline]
    # the records, oldest last: spot check (300 days ago) after penalty, complaint, media
    order = [titles.index(records[k].title) for k in ("media", "complaint", "penalty", "spot")]
    assert order == sorted(order)
    kinds = {t.kind for t in p.timeline}
    assert {"spot_check", "penalty", "complaint", "media", "warning", "disposal"} <= kinds
    spot = next(t for t in p.timeline if t.kind == "spot_check")
    assert "不合格项目：电气强度" in spot.detail
    assert spot.url == reverse("web:riskinfo_detail", args=[records["spot"].pk])
    assert p.timeline_total == len(p.timeline)

    only = build_profile(maker, alice, timeline_kind="penalty")
    assert [t.title for t in only.timeline] == [records["penalty"].title]
    assert only.timeline_total == 1

    first = build_profile(maker, alice, timeline_limit=2)
    second = build_profile(maker, alice, timeline_offset=2, timeline_limit=2)
    assert [t.title for t in first.timeline + second.timeline] == titles[:4]


def test_the_graph_section_shows_the_neighbourhood(
    maker: Enterprise, records: dict[str, RiskInfo], alice: User
) -> None:
    g = build_profile(maker, alice).graph
    assert g.in_graph, g.message
    assert g.node == f"enterprise:{maker.pk}"
    assert g.url == f"/graph/?node=enterprise:{maker.pk}"
    assert g.degree >= 4 and g.counts
    linked = {n.url for n in g.neighbours}
    assert reverse("web:riskinfo_detail", args=[records["spot"].pk]) in linked


def test_data_quality_notes_conflicting_uscc_unrecorded_match_and_undated_records(
    maker: Enterprise, records: dict[str, RiskInfo], alice: User
) -> None:
    # as if the source had sent another enterprise's code (raw items are immutable: update)
    raw = records["complaint"].raw_item
    RawItem.objects.filter(pk=raw.pk).update(
        payload={**raw.payload, "enterprise_uscc": "91310115MA1H0000XX"}
    )
    f.risk_info(
        PUDONG,
        title="监测站报送浦江水壶",
        enterprise=maker,
        source_kind="station",
        occurred_at=None,
    )
    dq = build_profile(maker, alice).data_quality
    assert dq.uscc_conflicts == 1 and dq.unrecorded == 1 and dq.undated == 1
    text = "".join(dq.notes)
    assert "1 条记录所载统一社会信用代码与登记信息" in text
    assert "1 条记录未记录匹配方式" in text
    assert "1 条记录无发生时间" in text
    assert "企业登记信息缺少：地址" in text


def test_unmatched_records_naming_namesakes_are_listed(maker: Enterprise, alice: User) -> None:
    f.enterprise(PUDONG, "上海浦江电器科技有限公司")
    # 浦江公司 fits both 上海浦江电器有限公司 and 上海浦江电器科技有限公司: screening left it
    unsure = f.risk_info(PUDONG, title="浦江公司产品起火", tags=match("ambiguous", "浦江公司"))
    f.risk_info(PUDONG, title="另一企业", tags=match("ambiguous", "华东公司"))
    dq = build_profile(maker, alice).data_quality
    assert [r.id for r in dq.ambiguous] == [unsure.pk]
    assert any("对应多家登记企业" in n for n in dq.notes)


# ------------------------------------------------------------------------------ who sees
def test_district_officers_see_their_own_districts_enterprise_only(
    client: Client, maker: Enterprise, records: dict[str, RiskInfo], bob: User, charlie: User
) -> None:
    login(client, bob)
    assert client.get(page_url(maker)).status_code == 200
    assert client.get(api_url(maker)).status_code == 200

    login(client, charlie)
    assert client.get(page_url(maker)).status_code == 404
    r = client.get(api_url(maker))
    assert r.status_code == 404 and r.json()["detail"] == "未找到或无权查看"


def test_rows_of_other_districts_are_counted_not_shown(
    maker: Enterprise, records: dict[str, RiskInfo], alice: User, bob: User
) -> None:
    elsewhere = f.risk_info(
        JIADING,
        title="嘉定消费者投诉浦江水壶",
        enterprise=maker,
        source_kind="complaint",
        tags=match("uscc", maker.uscc),
    )
    assert build_profile(maker, alice).records == 5
    p = build_profile(maker, bob)
    assert p.records == 4
    assert elsewhere.title not in {t.title for t in p.timeline}
    assert p.data_quality.hidden_other_districts == 1
    assert any("另有 1 条记录属于其他区" in n for n in p.data_quality.notes)


def test_the_api_refuses_users_without_a_bureau_role(
    client: Client, maker: Enterprise, eve: User
) -> None:
    assert client.get(api_url(maker)).status_code == 401
    login(client, eve)
    r = client.get(api_url(maker))
    assert r.status_code == 403 and "企业画像" in r.json()["detail"]
    assert client.get(page_url(maker)).status_code == 403


# ------------------------------------------------------------------------------ page and API
def test_the_page_shows_every_section(
    client: Client, maker: Enterprise, records: dict[str, RiskInfo], disposed: Any, alice: User
) -> None:
    login(client, alice)
    r = client.get(page_url(maker))
    assert r.status_code == 200
    html = r.content.decode()
    for heading in (
        "基本信息",
        "主要产品",
        "各来源记录统计",
        "时间线",
        "预警与处置",
        "知识图谱关联",
        "数据质量说明",
    ):
        assert f"<h2>{heading}</h2>" in html, heading
    assert "知识图谱关联分析" in html
    assert f"/graph/?node=enterprise:{maker.pk}" in html
    assert "2 条记录仅按企业名称匹配" in html
    assert "浦江电热水壶触电风险" in html
    assert maker.uscc in html

    filtered = client.get(page_url(maker), {"kind": "media"}).content.decode()
    assert records["media"].title in filtered
    assert records["spot"].title not in filtered.split('id="timeline"')[1].split("</section>")[0]
    assert client.get(page_url(maker), {"kind": "nonsense", "page": "x"}).status_code == 200


def test_the_api_returns_the_profile(
    client: Client, maker: Enterprise, records: dict[str, RiskInfo], disposed: Any, alice: User
) -> None:
    login(client, alice)
    r = client.get(api_url(maker))
    assert r.status_code == 200
    data = r.json()
    assert data["enterprise"]["uscc"] == maker.uscc
    assert data["records"] == 4
    assert data["data_quality"]["by_name_only"] == 2
    assert data["data_quality"]["by_uscc"] == 2
    assert data["graph"]["node"] == f"enterprise:{maker.pk}"
    assert data["timeline"][0]["kind"] in {"media", "warning", "disposal"}

    r = client.get(api_url(maker), {"kind": "complaint"})
    assert [t["title"] for t in r.json()["timeline"]] == [records["complaint"].title]
    r = client.get(api_url(maker), {"kind": "nonsense"})
    assert r.status_code == 400 and "时间线类型" in r.json()["detail"]
    r = client.get(api_url(maker), {"limit": 0})
    assert r.status_code == 400
    assert client.get(api_url(999_999)).status_code == 404


# ------------------------------------------------------------------------------ performance
def _records(maker: Enterprise, n: int) -> None:
    sources = ("spot_check", "penalty", "complaint", "media", "injury", "recall", "licensing")
    for i in range(n):
        info = f.risk_info(
            PUDONG,
            title=f"浦江记录{i}",
            enterprise=maker,
            source_kind=sources[i % len(sources)],
            occurred_at=NOW - timedelta(days=i * 40),
            tags=match("exact" if i % 2 else "uscc", maker.name),
        )
        if i % 5 == 0:
            f.task(f.warning(info, title=f"浦江预警{i}"), PUDONG)


def _queries(client: Client, url: str) -> int:
    clear_cache()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_a_bounded_number_of_queries(
    client: Client, maker: Enterprise, alice: User, django_assert_max_num_queries: Any
) -> None:
    login(client, alice)
    _records(maker, 3)
    few = _queries(client, page_url(maker))
    _records(maker, 40)
    many = _queries(client, page_url(maker))
    assert many == few  # not one query more per record, warning or task
    clear_cache()
    with django_assert_max_num_queries(120):
        client.get(page_url(maker))
    with django_assert_max_num_queries(120):
        client.get(api_url(maker))


def test_failed_items_come_from_the_record_or_its_signal() -> None:
    assert failed_items_of({"failed_items": ["标志", "电气强度"]}, []) == ["标志", "电气强度"]
    assert failed_items_of({"failed_items": "标志、输入功率"}, []) == ["标志", "输入功率"]
    assert failed_items_of({}, ["监督抽查不合格：电气强度、标志"]) == ["电气强度", "标志"]
    assert failed_items_of(None, ["缺陷召回"]) == []
