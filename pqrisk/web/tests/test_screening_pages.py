"""A screened item's page: its fields with highlighted evidence, its duplicates, its event.

Items are built as they arrive: ingested as records and screened by the screening service.
alice (市局监管处) sees the whole city, bob the Pudong district and charlie Jiading.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from conftest import JIADING, PUDONG
from pqrisk.accounts.models import User
from pqrisk.screening.models import Event, RiskInfo
from pqrisk.screening.tests.records import complaint, screened
from pqrisk.web.evidence import (
    Names,
    Span,
    field_rows,
    highlight,
    legend,
    region_text,
    segment,
    snippet,
    spans_of,
)

from . import factories as f
from .test_pages import login

FIRM = "上海暖阳电器有限公司"
COMPLAINT = (
    f"消费者投诉称，2026年3月1日在本市浦东新区购买的{FIRM}生产的取暖器（型号：NY-2000，"
    "批号：20260114）使用两小时后外壳过热熔化并冒出黑烟，三名儿童被烫伤起了水泡，"
    "要求商家退货赔偿并请监管部门调查处理。"
)


def _screen(*records: dict[str, Any]) -> None:
    screened(*records)


def _info(external_id: str) -> RiskInfo:
    return RiskInfo.objects.select_related("event").get(raw_item__external_id=external_id)


def _page(client: Client, user: User, info: RiskInfo) -> str:
    response = login(client, user).get(reverse("web:riskinfo_detail", args=[info.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def heater(db: Any) -> dict[str, RiskInfo]:
    """A Pudong firm's heater: a complaint, a repost of it, and a later post about the same
    fire hazard (one event)."""
    f.enterprise(PUDONG, FIRM)
    _screen(
        complaint("C-1", COMPLAINT, title="暖阳取暖器起火"),
        complaint("C-2", "转发：" + COMPLAINT, occurred_at="2026-03-03"),
        complaint(
            "M-1",
            f"{FIRM}的取暖器在使用中起火冒烟，有网友爆料。",
            source="media",
            occurred_at="2026-03-05",
        ),
    )
    return {"complaint": _info("C-1"), "repost": _info("C-2"), "post": _info("M-1")}


# ---------------------------------------------------------------- the highlighter


def _span(name: str, start: int, end: int, value: str = "v", note: str = "") -> Span:
    return Span(name, value, start, end, note)


def test_overlapping_spans_are_split_and_the_innermost_decides_the_colour() -> None:
    text = f"{FIRM}取暖器"
    spans = [
        _span("enterprise", 0, 10, FIRM),
        _span("region", 0, 2, "上海市"),
        _span("product", 10, 13, "010302"),
    ]
    pieces = segment(text, spans)
    assert [(p.text, p.field) for p in pieces] == [
        ("上海", "region"),
        ("暖阳电器有限公司", "enterprise"),
        ("取暖器", "product"),
    ]
    assert [s.field for s in pieces[0].spans] == ["region", "enterprise"]
    marked = highlight(text, spans, Names(products={"010302": "电暖器"}))
    assert (
        '<mark class="ev ev-region ev-nested" title="地区：上海市；企业：上海暖阳电器有限公司">'
        "上海</mark>" in marked
    )
    assert '<mark class="ev ev-product" title="产品类别：电暖器">取暖器</mark>' in marked


def test_partly_overlapping_spans_make_three_pieces() -> None:
    pieces = segment("abcdefgh", [_span("brand", 1, 5), _span("model", 3, 7)])
    assert [(p.text, [s.field for s in p.spans]) for p in pieces] == [
        ("a", []),
        ("bc", ["brand"]),
        ("de", ["brand", "model"]),  # the same length: the fields table's order decides
        ("fg", ["model"]),
        ("h", []),
    ]


@given(
    text=st.text(alphabet="取暖器起火<&>\n ab", max_size=40),
    raw=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=8),
)
def test_pieces_rebuild_the_text_and_know_every_span_covering_them(
    text: str, raw: list[tuple[int, int]]
) -> None:
    spans = [
        _span("product", min(a, b), max(a, b)) for a, b in raw if min(a, b) < max(a, b) <= len(text)
    ]
    pieces = segment(text, spans)
    assert "".join(p.text for p in pieces) == text
    for p in pieces:
        end = p.start + len(p.text)
        covering = {s for s in spans if s.start <= p.start and end <= s.end}
        assert set(p.spans) == covering
        assert [s.length for s in p.spans] == sorted(s.length for s in p.spans)
    assert html.unescape(re.sub(r"<[^>]+>", "", highlight(text, spans))) == text


def test_the_text_is_escaped_inside_and_outside_the_marks() -> None:
    text = '<script>alert("x")</script>取暖器<b>起火</b>'
    spans = spans_of(
        text,
        [
            {"field": "product", "value": "x", "start": 27, "end": 30, "text": "取暖器"},
            {"field": "hazard", "value": "<i>", "start": 27, "end": 39, "text": text[27:39]},
        ],
    )
    marked = highlight(text, spans)
    assert "<script>" not in marked and "<b>" not in marked and "<i>" not in marked
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in marked
    assert (
        '<mark class="ev ev-hazard" title="危害：&lt;i&gt;">&lt;b&gt;起火&lt;/b&gt;</mark>'
        in marked
    )
    assert "<b>" not in snippet(text, spans[1])


def test_evidence_that_does_not_point_into_the_text_is_left_out() -> None:
    text = "取暖器起火"
    spans = spans_of(
        text,
        [
            {"field": "product", "value": "010302", "start": 0, "end": 3, "text": "取暖器"},
            {"field": "hazard", "value": "fire", "start": 3, "end": 5, "text": "冒烟"},
            {"field": "hazard", "value": "fire", "start": 3, "end": 9, "text": "起火"},
            {"field": "hazard", "value": "fire", "start": 4, "end": 4, "text": ""},
            {"field": "hazard", "start": "3", "end": 5},
            "起火",
        ],
    )
    assert spans == [Span("product", "010302", 0, 3, "")]


def test_a_snippet_shows_a_few_characters_around_the_span() -> None:
    text = "一二三四五六七八九十\n取暖器起火冒烟甲乙丙丁戊己庚辛壬癸"
    s = snippet(text, _span("hazard", 14, 16), context=4)
    assert s == '… 取暖器<mark class="ev ev-hazard">起火</mark>冒烟甲乙…'
    assert snippet("起火", _span("hazard", 0, 2)) == '<mark class="ev ev-hazard">起火</mark>'


def test_values_read_as_names_levels_places_and_counts() -> None:
    names = Names(products={"010302": "电暖器"}, hazards={"fire": "火灾"})
    assert names.value("product", "010302") == "电暖器"
    assert names.code("product", "010302") == "010302"
    assert names.value("hazard", "fire") == "火灾"
    assert names.value("severity", "3").startswith("3 级（需住院治疗")
    assert names.value("region", "上海市/浦东新区") == "上海市 / 浦东新区"
    assert names.value("victims", "3", "名，受伤") == "3 名（受伤）"
    assert names.value("units", "500", "台，约数") == "500 台（约数）"
    assert names.value("sense", "apple_fruit", "水果（苹果）（依据：一斤）") == "水果（苹果）"
    assert region_text({"province": "上海市", "city": "上海市", "district": "嘉定区"}) == (
        "上海市 / 嘉定区"
    )


def test_field_rows_follow_the_table_order_and_screenings_ranking() -> None:
    text = "取暖器起火，苹果"
    spans = [
        _span("hazard", 3, 5, "fire"),
        _span("product", 0, 3, "0103"),
        _span("product", 0, 3, "010302"),
        _span("ambiguous", 6, 8, "苹果", "待定：苹果（Apple）品牌、水果（苹果）"),
    ]
    rows = field_rows(
        text,
        spans,
        Names(products={"0103": "取暖电器", "010302": "电暖器"}),
        ranking={"product": ["010302", "0103"]},
        chosen={"product": "010302"},
    )
    assert [(r.label, r.value, r.chosen) for r in rows] == [
        ("产品类别", "电暖器", True),
        ("产品类别", "取暖电器", False),
        ("危害", "fire", False),
        ("未判定", "苹果", False),
    ]
    assert rows[-1].undecided and rows[-1].notes == ["待定：苹果（Apple）品牌、水果（苹果）"]
    assert [label for _css, label in legend(spans)] == ["产品类别", "危害", "未判定"]


# ---------------------------------------------------------------- the item's page


def test_the_page_marks_the_evidence_of_a_screened_item(
    client: Client, alice: User, heater: dict[str, RiskInfo]
) -> None:
    info = heater["complaint"]
    page = _page(client, alice, info)
    assert "筛查结果" in page
    for name in ("product", "hazard", "enterprise", "region", "date", "model", "batch"):
        assert f'<mark class="ev ev-{name}' in page, name
    assert info.product_category is not None and info.hazard is not None
    assert f"产品类别：{info.product_category.name}" in page  # names, not codes
    assert f"危害：{info.hazard.name}" in page
    assert "上海市 / 浦东新区" in page
    assert "1 级（可逆伤害" in page  # 水泡
    assert "3 名（受伤）" in page
    assert "NY-2000" in page and "20260114" in page
    assert "企业匹配" in page and "名称一致" in page
    # the enterprise name holds a place name: split, and both fields in the tooltip
    assert f'title="地区：上海市；企业：{FIRM}">上海</mark>' in page


def test_untrusted_text_is_escaped_on_the_page(client: Client, alice: User, db: Any) -> None:
    # Cleaning drops whole tags; what is left of broken markup reaches the page as text.
    _screen(
        complaint(
            "X-1",
            '<script>alert("x")</script>浦东新区居民投诉取暖器 <img src=x onerror=alert(1) '
            "过热起火。",
            title='取暖器"><svg onload=alert(2)>起火',
        )
    )
    info = _info("X-1")
    assert "<img src=x" in info.screened_text and info.evidence
    page = _page(client, alice, info)
    assert "<img src=x" not in page and "<svg" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)" in page
    assert '<mark class="ev ev-product' in page


def test_a_stored_script_is_shown_as_text(client: Client, alice: User, db: Any) -> None:
    text = '<script>alert("x")</script>取暖器起火'
    info = f.risk_info(
        PUDONG,
        title="<script>alert(1)</script>",
        screened_text=text,
        evidence=[
            {"field": "product", "value": "010302", "start": 27, "end": 30, "text": "取暖器"},
            {
                "field": "brand",
                "value": "<b>",
                "start": 0,
                "end": 8,
                "text": "<script>",
                "note": "<i>",
            },
        ],
    )
    page = _page(client, alice, info)
    assert "<script>alert" not in page and "<b>" not in page and "<i>" not in page
    assert (
        '<mark class="ev ev-brand" title="品牌：&lt;b&gt;">&lt;script&gt;</mark>'
        "alert(&quot;x&quot;)&lt;/script&gt;"
    ) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title


def test_an_undecided_word_is_shown_as_such(client: Client, alice: User, db: Any) -> None:
    _screen(complaint("A-1", "浦东新区居民投诉，买的苹果有问题，取暖器也过热起火，要求调查。"))
    info = _info("A-1")
    assert any(ev["field"] == "ambiguous" for ev in info.evidence)
    page = _page(client, alice, info)
    assert '<tr class="undecided">' in page
    assert "待定：" in page
    assert '<mark class="ev ev-ambiguous' in page


def test_a_duplicate_shows_its_similarity_and_the_original_lists_it(
    client: Client, alice: User, heater: dict[str, RiskInfo]
) -> None:
    original, repost = heater["complaint"], heater["repost"]
    assert repost.duplicate_of == original and repost.similarity is not None
    percent = f"{math.floor(repost.similarity * 100 + 1e-9)}%"
    page = _page(client, alice, repost)
    assert "重复于" in page and f"相似度 {percent}" in page
    assert reverse("web:riskinfo_detail", args=[original.pk]) in page
    page = _page(client, alice, original)
    link = reverse("web:riskinfo_detail", args=[repost.pk])
    assert f'<a href="{link}">#{repost.pk}</a> 相似度 {percent} · 投诉举报 · 2026-03-03' in page


def test_duplicates_in_another_district_are_counted_not_linked(
    client: Client, bob: User, db: Any
) -> None:
    original = f.risk_info(PUDONG, title="浦东取暖器起火")
    elsewhere = f.risk_info(
        JIADING, title="嘉定转发", status="duplicate", duplicate_of=original, similarity=0.9
    )
    page = _page(client, bob, original)
    assert "另有 1 条在其他区" in page
    assert reverse("web:riskinfo_detail", args=[elsewhere.pk]) not in page


def test_the_event_card_shows_the_event_and_its_other_items(
    client: Client, alice: User, heater: dict[str, RiskInfo]
) -> None:
    info, post = heater["complaint"], heater["post"]
    event = info.event
    assert event is not None and post.event == event
    page = _page(client, alice, info)
    assert "所属事件" in page
    assert html.escape(event.title) in page
    assert reverse("web:event_detail", args=[event.pk]) in page
    assert reverse("web:riskinfo_detail", args=[post.pk]) in page
    assert "投诉举报 2" in page and "网络舆情 1" in page
    assert "2026-03-02" in page and "2026-03-05" in page  # first and last seen


def test_an_item_screened_before_evidence_was_kept_still_renders(
    client: Client, alice: User, db: Any
) -> None:
    old = f.risk_info(PUDONG, title="电热水壶抽查不合格")  # tags of the first screening
    assert old.screened_text == "" and old.evidence == []
    page = _page(client, alice, old)
    assert "尚未保存筛查文本和证据" in page
    assert '<span class="tag">电热水壶</span>' in page
    assert "所属事件" in page and "未归入事件" in page


def test_an_item_that_could_not_be_screened_shows_why(client: Client, alice: User, db: Any) -> None:
    _screen(complaint("E-1", "😀😀😀👍👍"))
    page = _page(client, alice, _info("E-1"))
    assert "未能筛查：没有可识别的文字" in page


# ---------------------------------------------------------------- event pages


def test_the_event_list_and_page(client: Client, alice: User, heater: dict[str, RiskInfo]) -> None:
    event = heater["complaint"].event
    assert event is not None
    login(client, alice)
    page = client.get(reverse("web:event_list")).content.decode()
    assert "风险事件" in page
    assert html.escape(event.title) in page
    assert "投诉举报 2" in page
    response = client.get(reverse("web:event_detail", args=[event.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for info in heater.values():
        assert reverse("web:riskinfo_detail", args=[info.pk]) in page
    assert f"重复于 #{heater['complaint'].pk}" in page
    assert "首条信息" in page and FIRM in page


def test_the_event_list_filters_by_hazard_category_and_days(
    client: Client, alice: User, heater: dict[str, RiskInfo]
) -> None:
    event = heater["complaint"].event
    assert event is not None
    login(client, alice)
    url = reverse("web:event_list")

    def titles(**query: Any) -> str:
        response = client.get(url, query)
        assert response.status_code == 200
        return response.content.decode()

    shown = html.escape(event.title)
    assert shown in titles(hazard=event.hazard_id, product_category=event.product_category_id)
    assert shown in titles(since="2026-03-05", until="2026-03-05")
    assert shown not in titles(since="2026-03-06")
    assert shown not in titles(until="2026-02-28")
    assert shown not in titles(q="不存在的企业")
    assert shown in titles(since="不是日期")  # a bad filter is ignored, with its error shown


def test_district_officers_see_only_their_districts_events(
    client: Client, bob: User, charlie: User, heater: dict[str, RiskInfo]
) -> None:
    event = heater["complaint"].event
    assert event is not None and event.district is not None
    assert event.district.code == PUDONG
    detail = reverse("web:event_detail", args=[event.pk])
    login(client, charlie)
    assert client.get(detail).status_code == 404
    assert html.escape(event.title) not in client.get(reverse("web:event_list")).content.decode()
    client.logout()
    login(client, bob)
    assert client.get(detail).status_code == 200
    assert html.escape(event.title) in client.get(reverse("web:event_list")).content.decode()


def test_an_events_items_in_another_district_are_counted_not_shown(
    client: Client, bob: User, heater: dict[str, RiskInfo]
) -> None:
    event = heater["complaint"].event
    assert event is not None
    stray = f.risk_info(JIADING, title="嘉定的同类信息", event=event)
    login(client, bob)
    page = client.get(reverse("web:event_detail", args=[event.pk])).content.decode()
    assert "另有 1 条属于其他区" in page
    assert reverse("web:riskinfo_detail", args=[stray.pk]) not in page
    page = _page(client, bob, heater["complaint"])
    assert "另有 1 条属于其他区" in page


def test_event_pages_need_a_role(client: Client, eve: User, heater: dict[str, RiskInfo]) -> None:
    event = heater["complaint"].event
    assert event is not None
    assert client.get(reverse("web:event_list")).status_code == 302  # to the login
    login(client, eve)
    assert client.get(reverse("web:event_list")).status_code == 403
    assert client.get(reverse("web:event_detail", args=[event.pk])).status_code == 403
    assert Event.objects.count() >= 1


def test_an_event_with_an_item_in_the_officers_district_is_shown_to_them(
    client: Client, charlie: User, heater: dict[str, RiskInfo]
) -> None:
    event = heater["complaint"].event
    assert event is not None
    mine = f.risk_info(JIADING, title="嘉定的同类信息", event=event)
    login(client, charlie)
    page = client.get(reverse("web:event_detail", args=[event.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("web:riskinfo_detail", args=[mine.pk]) in text
    assert reverse("web:riskinfo_detail", args=[heater["complaint"].pk]) not in text
    assert html.escape(event.title) in client.get(reverse("web:event_list")).content.decode()
