"""境外通报 pages, as the bureau's people use them.

Four alerts: a Chinese toy with phthalates matched to a Pudong firm, a Chinese charger matched
to a Jiading firm, a German lamp with a Pudong candidate waiting for review, and a Hong Kong
product whose description is hostile HTML and whose date could not be read. alice (市局监管处)
and dana (评估中心) see them all; bob (浦东区局) sees Pudong's and the unmatched ones; charlie
(嘉定区局) sees Jiading's and the unmatched ones.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import JIADING, PUDONG
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.models import AuditEvent
from pqrisk.core.foreign.tagging import ForeignTagger
from pqrisk.dashboard.services import foreign_months_panel, foreign_risks_panel, scope_for
from pqrisk.foreign.models import EnterpriseAlias, ForeignAlert, ForeignAlertRiskType, ForeignMatch
from pqrisk.intake.models import RawItem
from tests.browser_support import (  # noqa: F401 (fixtures)
    CHROMIUM,
    ConsoleErrors,
    allow_async_unsafe,
    chromium_browser,
    login,
    screenshot,
)

from . import factories as f

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> Small parts can detach.'
TOY_RISK = (
    "The product contains the phthalate bis(2-ethylhexyl) phthalate (DEHP). "
    "This phthalate may harm the health of children, causing possible damage to the "
    "reproductive system."
)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def alert(
    product_name: str,
    *,
    risk_types: tuple[str, ...] = (),
    made_in_china: bool = False,
    origin_region: str = "",
    country: str = "",
    category: str = "",
    enterprise: Any = None,
    status: str = "no_match",
    alert_date: date | None = None,
    **fields: Any,
) -> ForeignAlert:
    n = next(_seq)
    raw = RawItem.objects.create(
        source_kind="foreign_recall",
        source_name="EU Safety Gate",
        external_id=f"SG-T{n}",
        payload={"title": product_name},
        payload_hash=f"foreign-{n:056d}",
    )
    fields.setdefault("alert_number", f"A12/{n:05d}/26")
    fields.setdefault("notifying_country", "Germany")
    fields.setdefault("notifying_country_zh", "德国")
    row = ForeignAlert.objects.create(
        raw_item=raw,
        origin="safety_gate",
        product_name=product_name,
        risk_types=list(risk_types),
        risk_types_zh="、".join(risk_types),
        made_in_china=made_in_china,
        origin_region=origin_region,
        country=country,
        category=category,
        enterprise=enterprise,
        district=enterprise.district if enterprise is not None else None,
        status=status,
        alert_date=alert_date if alert_date is not None else timezone.localdate(),
        **fields,
    )
    for risk in risk_types:
        ForeignAlertRiskType.objects.create(alert=row, risk_type=risk)
    if enterprise is not None:
        ForeignMatch.objects.create(
            alert=row,
            enterprise=enterprise,
            confidence=0.95,
            method="barcode",
            state="auto_confirmed",
        )
    return row


@pytest.fixture
def story(db: Any) -> dict[str, Any]:
    pd_firm = f.enterprise(PUDONG, "上海浦江玩具有限公司")
    pd_other = f.enterprise(PUDONG, "上海浦江灯饰有限公司")
    jd_firm = f.enterprise(JIADING, "上海嘉禾电子有限公司")
    toy_fields = {
        "product_name": "Plastic doll",
        "product_description": "Doll with soft plastic body, packed in a blister.",
        "risk_description": TOY_RISK,
        "country_of_origin": "China",
        "product_category": "Toys",
        "risk_type": "Chemical",
    }
    toy = alert(
        "Plastic doll",
        risk_types=("Chemical",),
        made_in_china=True,
        origin_region="CN",
        country="China",
        category="toys",
        enterprise=pd_firm,
        status="matched",
        risk_info=f.risk_info(PUDONG, title="境外通报：塑料娃娃邻苯二甲酸酯超标"),
        product_description=toy_fields["product_description"],
        risk_description=TOY_RISK,
        country_of_origin="China",
        brand="PUJIANG",
        category_zh="玩具",
        origin_zh="中国",
        tags=ForeignTagger.default().tag(toy_fields).to_dict(),
    )
    charger = alert(
        "USB charger",
        risk_types=("Electric shock",),
        made_in_china=True,
        origin_region="CN",
        country="China",
        category="electrical appliances and equipment",
        enterprise=jd_firm,
        status="matched",
        origin_zh="中国",
    )
    lamp = alert(
        "Desk lamp",
        risk_types=("Electric shock", "Fire"),
        country="Germany",
        origin_region="DE",
        category="lighting equipment",
        status="review",
        brand="PUJIANG LIGHT",
        origin_zh="德国",
        alert_date=date(2026, 1, 15),
    )
    pending = ForeignMatch.objects.create(
        alert=lamp, enterprise=pd_other, confidence=0.7, method="brand_alias", state="pending"
    )
    hostile = alert(
        '=HYPERLINK("http://evil.example","click")',
        risk_types=("Choking",),
        origin_region="HK",
        country="Hong Kong",
        category="toys",
        product_description=HOSTILE,
        url="javascript:alert(1)",
        date_raw="31/02/2026",
        alert_date=None,
        origin_zh="中国香港",
    )
    ForeignAlert.objects.filter(pk=hostile.pk).update(alert_date=None)
    hostile.refresh_from_db()
    return {
        "pd_firm": pd_firm,
        "pd_other": pd_other,
        "jd_firm": jd_firm,
        "toy": toy,
        "charger": charger,
        "lamp": lamp,
        "pending": pending,
        "hostile": hostile,
    }


def _list(client: Client, query: str = "") -> str:
    response = client.get(reverse("web:foreign_list") + query)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------- the queue


def test_the_city_sees_every_alert_newest_first_and_the_nav_links_the_queue(
    alice: Any, story: dict[str, Any]
) -> None:
    page = _list(_client(alice))
    assert reverse("web:foreign_list") in page  # the navigation entry
    for name in ("Plastic doll", "USB charger", "Desk lamp"):
        assert name in page
    assert page.index("Plastic doll") < page.index("Desk lamp")  # today before January
    assert page.index("Desk lamp") < page.index("HYPERLINK")  # the undated one last
    assert "日期不明" in page  # the alert with a malformed date is listed, not lost
    assert "可查看的境外通报共 4 条" in page


def test_filters_narrow_the_queue_and_show_counts_per_value(
    alice: Any, story: dict[str, Any]
) -> None:
    client = _client(alice)
    made = _list(client, "?made_in=cn")
    assert "Plastic doll" in made and "USB charger" in made and "Desk lamp" not in made
    assert "中国制造（大陆）（2）" in made and "中国香港（1）" in made
    chemical = _list(client, "?risk_type=Chemical")
    assert "Plastic doll" in chemical and "USB charger" not in chemical
    # The risk-type facet is counted under the other filters: two made in China, one of
    # them chemical, one electric shock.
    both = _list(client, "?made_in=cn&risk_type=Electric+shock")
    assert "USB charger" in both and "Plastic doll" not in both
    assert "符合条件 1 条" in both
    review = _list(client, "?matched=review")
    assert "Desk lamp" in review and "Plastic doll" not in review
    unmatched = _list(client, "?matched=no")
    assert "Desk lamp" not in unmatched and "HYPERLINK" in unmatched
    firm = _list(client, "?firm=浦江灯饰")
    assert "Desk lamp" in firm and "Plastic doll" not in firm
    country = _list(client, "?country=Germany&status=review")
    assert "Desk lamp" in country and "USB charger" not in country
    dated = _list(client, "?since=2026-01-01&until=2026-01-31")
    assert "Desk lamp" in dated and "Plastic doll" not in dated
    bad = _list(client, "?since=2026-13-45")
    assert "筛选条件有误" in bad and "Plastic doll" in bad  # a bad date is said, not a 500
    category = _list(client, "?category=-")
    assert "符合条件 0 条" in category  # every alert here has a category


def test_pages_keep_the_filters(alice: Any, story: dict[str, Any]) -> None:
    for i in range(31):
        alert(f"Charger {i}", made_in_china=True, origin_region="CN", country="China")
    page = _list(_client(alice), "?made_in=cn")
    assert "made_in=cn&amp;page=2" in page
    second = _list(_client(alice), "?made_in=cn&page=2")
    assert "第 2 / 2 页，共 33 条" in second


def test_export_is_filtered_and_formula_safe(alice: Any, story: dict[str, Any]) -> None:
    client = _client(alice)
    response = client.get(reverse("web:foreign_export", args=["csv"]) + "?made_in=hk")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["通报编号", "通报来源", "通报日期"]
    assert len(rows) == 2
    assert rows[1][6].startswith("'=HYPERLINK")  # never a live formula
    assert rows[1][2] == "31/02/2026"  # the source's unreadable date, kept
    xlsx = client.get(reverse("web:foreign_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    names = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 4 and '\'=HYPERLINK("http://evil.example","click")' in names
    assert client.get(reverse("web:foreign_export", args=["pdf"])).status_code == 404


# ---------------------------------------------------------------- one alert


def test_detail_shows_the_original_beside_the_summary_with_evidence(
    alice: Any, story: dict[str, Any]
) -> None:
    page = _client(alice).get(reverse("web:foreign_detail", args=[story["toy"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "通报原文" in html and "中文摘要" in html
    assert "bis(2-ethylhexyl)" in html
    assert '<mark class="ev ev-hazard"' in html  # the tagger's evidence, marked
    assert "化学危害" in html  # the risk type in Chinese, in the tag table
    assert "上海浦江玩具有限公司" in html
    assert "立案评估" in html


def test_detail_escapes_hostile_text_and_links_only_web_addresses(
    alice: Any, story: dict[str, Any]
) -> None:
    html = (
        _client(alice)
        .get(reverse("web:foreign_detail", args=[story["hostile"].pk]))
        .content.decode()
    )
    assert '<script>alert("x")</script>' not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and "非网页地址" in html
    assert "31/02/2026" in html
    # Unmatched: no case may be opened, and the page says why.
    assert "尚未关联本地企业" in html


def test_a_long_description_is_cut_on_the_page(alice: Any, story: dict[str, Any]) -> None:
    big = alert("Huge", product_description="Lead paint. " * 500_000)  # ~6 MB
    html = _client(alice).get(reverse("web:foreign_detail", args=[big.pk])).content.decode()
    assert "仅显示前 20000 字符" in html
    assert len(html) < 200_000


# ---------------------------------------------------------------- review


def test_a_district_officer_confirms_a_candidate_of_their_district(
    bob: Any, story: dict[str, Any]
) -> None:
    client = _client(bob)
    queue = client.get(reverse("web:foreign_review")).content.decode()
    assert "Desk lamp" in queue and "上海浦江灯饰有限公司" in queue
    response = client.post(
        reverse("web:foreign_match_confirm", args=[story["pending"].pk]), {"back": "review"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:foreign_review")
    story["pending"].refresh_from_db()
    assert story["pending"].state == "confirmed" and story["pending"].reviewer == bob
    lamp = ForeignAlert.objects.get(pk=story["lamp"].pk)
    assert lamp.enterprise == story["pd_other"]
    assert AuditEvent.objects.filter(
        action="foreign_match_confirm", object_id=str(story["pending"].pk), actor=bob
    ).exists()
    assert "没有待复核的候选企业" in client.get(reverse("web:foreign_review")).content.decode()
    # The alert's page shows the decision in its audit trail.
    detail = client.get(reverse("web:foreign_detail", args=[lamp.pk])).content.decode()
    assert "确认关联企业" in detail and "已确认" in detail


def test_rejecting_needs_a_reason_and_is_audited(dana: Any, story: dict[str, Any]) -> None:
    client = _client(dana)
    url = reverse("web:foreign_match_reject", args=[story["pending"].pk])
    refused = client.post(url, {"reason": "  "}, follow=True)
    assert "提交内容有误" in refused.content.decode()
    story["pending"].refresh_from_db()
    assert story["pending"].state == "pending"
    client.post(url, {"reason": "品牌不属于该企业"})
    story["pending"].refresh_from_db()
    assert story["pending"].state == "rejected"
    assert story["pending"].reason == "品牌不属于该企业"
    event = AuditEvent.objects.get(
        action="foreign_match_reject", object_id=str(story["pending"].pk)
    )
    assert event.actor == dana and "品牌不属于该企业" in event.message
    # Decided once: a second decision is refused with the reason.
    again = client.post(url, {"reason": "再次驳回"}, follow=True)
    assert "不能再次复核" in again.content.decode()


def test_districts_are_kept_apart(bob: Any, charlie: Any, story: dict[str, Any]) -> None:
    # charlie (嘉定) does not see the toy matched to a Pudong firm, nor bob Jiading's charger.
    assert (
        _client(charlie).get(reverse("web:foreign_detail", args=[story["toy"].pk])).status_code
        == 404
    )
    assert (
        _client(bob).get(reverse("web:foreign_detail", args=[story["charger"].pk])).status_code
        == 404
    )
    charlie_list = _list(_client(charlie))
    assert "USB charger" in charlie_list and "Plastic doll" not in charlie_list
    assert "Desk lamp" in charlie_list  # unmatched alerts are read by every district
    # ... but its Pudong candidate is neither named to charlie nor his to decide.
    lamp = _client(charlie).get(reverse("web:foreign_detail", args=[story["lamp"].pk]))
    html = lamp.content.decode()
    assert "上海浦江灯饰有限公司" not in html and "另有其他区候选企业 1 个" in html
    refused = _client(charlie).post(
        reverse("web:foreign_match_confirm", args=[story["pending"].pk])
    )
    assert refused.status_code == 403
    story["pending"].refresh_from_db()
    assert story["pending"].state == "pending"
    assert "Desk lamp" not in _client(charlie).get(reverse("web:foreign_review")).content.decode()
    # An alert matched in Jiading with a Pudong candidate: bob reads it, Jiading's firm unnamed.
    shared = alert("Power bank", enterprise=story["jd_firm"], status="matched")
    ForeignMatch.objects.create(
        alert=shared, enterprise=story["pd_firm"], confidence=0.6, method="fuzzy_name"
    )
    bob_list = _list(_client(bob), "?q=Power")
    assert "Power bank" in bob_list and "其他区企业" in bob_list
    assert "上海嘉禾电子有限公司" not in bob_list
    shared_page = _client(bob).get(reverse("web:foreign_detail", args=[shared.pk]))
    assert "上海嘉禾电子有限公司" not in shared_page.content.decode()
    assert "已关联（其他区企业）" in shared_page.content.decode()
    # The export follows the same rule.
    export = (
        _client(bob).get(reverse("web:foreign_export", args=["csv"])).content.decode("utf-8-sig")
    )
    assert "Plastic doll" in export and "USB charger" not in export


def test_an_alias_is_added_from_the_alert(bob: Any, story: dict[str, Any]) -> None:
    client = _client(bob)
    url = reverse("web:foreign_alias_add", args=[story["toy"].pk])
    html = client.get(reverse("web:foreign_detail", args=[story["toy"].pk])).content.decode()
    assert "添加企业别名" in html
    client.post(
        url, {"enterprise": story["pd_firm"].pk, "alias": "Pujiang Toys", "kind": "english_name"}
    )
    alias = EnterpriseAlias.objects.get(enterprise=story["pd_firm"])
    assert alias.alias == "Pujiang Toys" and alias.created_by == bob
    assert AuditEvent.objects.filter(action="foreign_alias_add", actor=bob).exists()
    # A firm that is not this alert's cannot be chosen.
    client.post(url, {"enterprise": story["jd_firm"].pk, "alias": "Jiahe", "kind": "brand"})
    assert not EnterpriseAlias.objects.filter(enterprise=story["jd_firm"]).exists()


# ---------------------------------------------------------------- 立案评估


def test_the_analyst_opens_a_case_from_a_matched_alert(dana: Any, story: dict[str, Any]) -> None:
    client = _client(dana)
    response = client.post(reverse("web:foreign_case", args=[story["toy"].pk]))
    case = AssessmentCase.objects.get()
    assert response["Location"] == reverse("web:case_detail", args=[case.pk])
    assert list(case.risk_infos.all()) == [story["toy"].risk_info]
    assert case.district is not None and case.district.code == PUDONG
    assert "境外通报" in case.title
    toy = ForeignAlert.objects.get(pk=story["toy"].pk)
    assert toy.case == case and toy.status == "case_opened"
    assert AuditEvent.objects.filter(action="open", object_id=str(case.pk)).exists()
    assert AuditEvent.objects.filter(action="foreign_case", object_id=str(toy.pk)).exists()
    # Pressing again leads to the same case.
    again = client.post(reverse("web:foreign_case", args=[story["toy"].pk]))
    assert again["Location"] == reverse("web:case_detail", args=[case.pk])
    assert AssessmentCase.objects.count() == 1


def test_no_case_without_a_local_firm_or_for_a_district_officer(
    dana: Any, bob: Any, story: dict[str, Any]
) -> None:
    refused = _client(dana).post(reverse("web:foreign_case", args=[story["lamp"].pk]), follow=True)
    assert "不能立案" in refused.content.decode() and "尚未关联本地企业" in refused.content.decode()
    by_district = _client(bob).post(
        reverse("web:foreign_case", args=[story["toy"].pk]), follow=True
    )
    assert "需要以下角色之一" in by_district.content.decode()
    assert not AssessmentCase.objects.exists()
    assert ForeignAlert.objects.get(pk=story["toy"].pk).status == "matched"


# ---------------------------------------------------------------- dashboard and profile


def test_dashboard_counts_by_month_and_risk_type(
    alice: Any, bob: Any, story: dict[str, Any]
) -> None:
    city = foreign_months_panel(scope_for(alice))
    this_month = timezone.localdate().strftime("%Y-%m")
    row = next(r for r in city.rows if r["month"] == this_month)
    assert (row["made_in_china"], row["other"]) == (2, 0)
    assert len(city.rows) == 12 and city.summary["undated"] == 1
    risks = {r["risk_type"]: r for r in foreign_risks_panel(scope_for(alice)).rows}
    assert risks["Electric shock"]["count"] == 2 and risks["Electric shock"]["made_in_china"] == 1
    assert risks["Chemical"]["label"] == "化学危害"
    # Pudong's version: the alerts matched to Pudong firms.
    pudong = foreign_months_panel(scope_for(bob))
    assert sum(r["total"] for r in pudong.rows) == 1
    page = _client(alice).get(reverse("web:dashboard")).content.decode()
    assert 'id="panel-foreign_months"' in page and 'id="panel-data-foreign_risks"' in page
    partial = _client(bob).get(reverse("web:dashboard_panel", args=["foreign_risks"]))
    assert partial.status_code == 200 and "化学危害" in partial.content.decode()
    download = _client(bob).get(reverse("web:dashboard_download", args=["foreign_months", "csv"]))
    assert download.content.decode("utf-8-sig").splitlines()[0] == "月份,中国制造,其他原产地,合计"


def test_the_enterprise_profile_lists_its_foreign_alerts(bob: Any, story: dict[str, Any]) -> None:
    html = (
        _client(bob)
        .get(reverse("web:enterprise_detail", args=[story["pd_other"].pk]))
        .content.decode()
    )
    assert 'id="foreign-alerts"' in html and "Desk lamp" in html and "待复核" in html
    assert reverse("web:foreign_detail", args=[story["lamp"].pk]) in html


# ---------------------------------------------------------------- in a browser

# A canvas with something drawn on it: not every pixel is transparent.
DRAWN = """(el) => {
  const c = el.querySelector('canvas');
  if (!c) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; }
  return false;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (make test installs it)")
@pytest.mark.usefixtures("allow_async_unsafe")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queue_detail_and_dashboard_in_a_browser(
    browser: Any, live_server: Any, dana: Any, story: dict[str, Any]
) -> None:
    """The pages under the content security policy: no console error, the hostile text
    stays text, the foreign charts draw, 立案评估 leads to the case."""
    page = login(browser, live_server, "dana", viewport={"width": 1400, "height": 1000})
    errors = ConsoleErrors(page)
    page.goto(f"{live_server.url}{reverse('web:foreign_list')}?made_in=cn")
    assert page.locator("table tbody tr").count() == 2
    screenshot(page, "foreign-list")
    page.goto(f"{live_server.url}{reverse('web:foreign_detail', args=[story['hostile'].pk])}")
    assert HOSTILE in page.locator("#original").inner_text()
    assert page.locator("#original img").count() == 0
    page.goto(f"{live_server.url}{reverse('web:foreign_detail', args=[story['toy'].pk])}")
    assert page.locator("#original mark.ev-hazard").count() >= 1
    screenshot(page, "foreign-detail")
    page.click("text=立案评估")
    page.wait_for_url("**/cases/*/")
    assert AssessmentCase.objects.count() == 1
    page.goto(f"{live_server.url}{reverse('web:dashboard')}")
    for name in ("foreign_months", "foreign_risks"):
        chart = page.locator(f'.dash-chart[data-panel="{name}"]')
        chart.wait_for()
        page.wait_for_function(
            f"() => {{ const el = document.querySelector('.dash-chart[data-panel=\"{name}\"]');"
            f" return el && ({DRAWN})(el); }}",
            timeout=10_000,
        )
    screenshot(page, "foreign-dashboard")
    assert errors.errors == []
