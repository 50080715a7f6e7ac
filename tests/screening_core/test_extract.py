"""Structuring with evidence: every field of an item, and the span of text that says so."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pqrisk.core.screening.extract import (
    DEATH,
    F_AMBIGUOUS,
    F_BATCH,
    F_BRAND,
    F_DATE,
    F_ENTERPRISE,
    F_HAZARD,
    F_MODEL,
    F_PRODUCT,
    F_REGION,
    F_SEVERITY,
    F_UNITS,
    F_VICTIMS,
    FIELDS,
    INJURY,
    Evidence,
    Extraction,
    Extractor,
    default_extractor,
    extract,
)
from pqrisk.core.screening.tagging import Vocabulary


def spans(x: Extraction, field: str) -> list[tuple[str, str, int, int]]:
    """(value, text, start, end) of the evidence of one field."""
    return [(e.value, e.text, e.start, e.end) for e in x.evidence_for(field)]


def assert_evidence_slices(x: Extraction) -> None:
    for e in x.evidence:
        assert e.field in FIELDS
        assert 0 <= e.start < e.end <= len(x.text)
        assert x.text[e.start : e.end] == e.text, e


# --- a spot-check report, every field -----------------------------------------------------

SPOT_CHECK = (
    "2026年11月30日，宝山区市场监督管理局对上海橙岚实业有限公司生产的橙岚牌燃气热水器"
    "（规格型号：JSQ-9493 12L，生产日期/批号：2026-11-12）进行监督抽查，发现熄火保护失效，"
    "存在燃气泄漏隐患，已责令召回同批次产品3000余台。"
)


def test_a_spot_check_report() -> None:
    x = extract(SPOT_CHECK, "燃气热水器产品质量监督抽查检验报告")
    assert_evidence_slices(x)
    assert x.title == "燃气热水器产品质量监督抽查检验报告"
    assert x.body.startswith("2026年11月30日,宝山区")  # cleaned: full-width punctuation narrowed
    assert x.products[0] == "060102"  # 家用燃气热水器 (product level first)
    assert "explosion" in x.hazards  # 燃气泄漏
    assert x.brands == ("橙岚",)
    assert x.models == ("JSQ-9493",)
    assert x.batches == ("2026-11-12",)
    assert x.dates == (date(2026, 11, 30),)  # the production date is a batch, not a date
    assert x.region is not None and (x.region.path, x.region.code) == ("上海市/宝山区", "310113")
    assert x.units == 3000
    assert x.enterprises == ("上海橙岚实业有限公司",)

    def at(word: str) -> tuple[int, int]:
        start = x.text.index(word)
        return start, start + len(word)

    brand_start = x.text.index("橙岚牌")
    assert spans(x, F_BRAND) == [("橙岚", "橙岚", brand_start, brand_start + 2)]
    assert spans(x, F_MODEL) == [("JSQ-9493", "JSQ-9493", *at("JSQ-9493"))]
    assert [e.note for e in x.evidence_for(F_MODEL)] == ["规格型号"]
    assert spans(x, F_BATCH) == [("2026-11-12", "2026-11-12", *at("2026-11-12"))]
    assert spans(x, F_DATE) == [("2026-11-30", "2026年11月30日", *at("2026年11月30日"))]
    (units,) = x.evidence_for(F_UNITS)
    assert (units.value, units.text, units.note) == ("3000", "3000余台", "台，约数")
    assert (x.counts[0].approximate, x.counts[0].unit) == (True, "台")
    assert spans(x, F_ENTERPRISE) == [
        ("上海橙岚实业有限公司", "上海橙岚实业有限公司", *at("上海橙岚实业有限公司"))
    ]


def test_locate_maps_evidence_back_to_title_or_body() -> None:
    x = extract("闵行区一台电暖器起火。", "电暖器起火")
    title_hit = x.evidence_for(F_PRODUCT)[0]
    assert x.locate(title_hit) == ("title", 0, 3)
    region = x.evidence_for(F_REGION)[0]
    assert x.locate(region) == ("body", 0, 3)
    assert x.text == "电暖器起火\n闵行区一台电暖器起火。"
    assert (x.title_end, x.body_start) == (5, 6)


def test_without_a_title_the_body_starts_at_zero() -> None:
    x = extract("电暖器起火")
    assert (x.title_end, x.body_start, x.title, x.body) == (0, 0, "", "电暖器起火")


# --- products and hazards -------------------------------------------------------------------


def test_products_and_hazards_with_their_terms() -> None:
    x = extract("一辆电动自行车充电时起火,电池鼓包")
    assert x.products[0] == "030101"
    assert x.hazards == ("fire",)
    (bike,) = [e for e in x.evidence_for(F_PRODUCT) if e.value == "030101"]
    assert (bike.text, bike.start, bike.end, bike.note) == ("电动自行车", 2, 7, "电动自行车")
    assert spans(x, F_HAZARD) == [("fire", "起火", 10, 12), ("fire", "鼓包", 15, 17)]


def test_traditional_input_is_read_in_simplified_form() -> None:
    x = extract("閔行區一輛電動自行車充電時起火,造成三名兒童受傷。")
    assert x.text == "闵行区一辆电动自行车充电时起火,造成三名儿童受伤。"
    assert x.region is not None and x.region.district == "闵行区"
    assert x.victims == 3
    assert_evidence_slices(x)


def test_boilerplate_and_urls_do_not_reach_extraction() -> None:
    x = extract("转发微博//@张三:电热毯自燃了 http://t.cn/A6 (责任编辑:王五)")
    assert x.text == "电热毯自燃了"
    assert x.products == ("010303",)


# --- brands and models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "brand", "span"),
    [
        ("家中的暖小象牌电暖器起火", "暖小象", (3, 6)),  # 的 ends the words before the brand
        ("购买了Aoke牌插线板", "Aoke", (3, 7)),
        ("该产品是九阳品牌,型号DJ13", "九阳", (4, 6)),  # in the brand list as well
        ("品牌:速骑宝电动自行车,车架断裂", "速骑宝", (3, 6)),  # cut where the product starts
        ("格力空调漏电", "格力", (0, 2)),  # the known-brand list
    ],
)
def test_brands(text: str, brand: str, span: tuple[int, int]) -> None:
    x = extract(text)
    assert x.brands == (brand,)
    (e,) = x.evidence_for(F_BRAND)
    assert (e.start, e.end) == span


@pytest.mark.parametrize(
    "text",
    [
        "这个牌子的电暖器起火",
        "杂牌充电器冒烟",
        "知名品牌也有问题",
        "车牌号沪A12345",
        "大品牌电饭煲",
    ],
)
def test_words_with_pai_are_not_brands(text: str) -> None:
    assert extract(text).brands == ()


def test_brands_from_the_caller_extend_the_list() -> None:
    custom = Extractor([Vocabulary("010302", ("电暖器",), 3)], [], ["橙岚"])
    assert custom.extract("橙岚电暖器").brands == ("橙岚",)
    assert default_extractor().extract("橙岚电暖器").brands == ()


@pytest.mark.parametrize(
    ("text", "models"),
    [
        ("型号:XH-2000,发热严重", ("XH-2000",)),
        ("(型号NX-2000)", ("NX-2000",)),
        ("规格型号为KFR-35GW/BP2", ("KFR-35GW/BP2",)),
        ("一台X100型电动车", ("X100",)),
        ("款号C2231", ("C2231",)),
        ("暖小象电暖器(NX-2000)冒烟", ("NX-2000",)),  # right after a product
        ("检验报告(QC202611344493)", ()),  # a report number, not after a product
        ("型号不详", ()),
        ("依据GB 6675.2-2014", ()),
    ],
)
def test_models(text: str, models: tuple[str, ...]) -> None:
    assert extract(text).models == models


@pytest.mark.parametrize(
    ("text", "batches"),
    [
        ("批号:B20260301", ("B20260301",)),
        ("生产日期/批号:2026-01-14", ("2026-01-14",)),
        ("生产日期:2025-12-01", ("2025-12-01",)),
        ("同批次产品", ()),
    ],
)
def test_batches(text: str, batches: tuple[str, ...]) -> None:
    x = extract(text)
    assert x.batches == batches
    assert x.dates == ()


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference", "dates"),
    [
        ("2026年3月5日发生", None, (date(2026, 3, 5),)),
        ("二〇二六年三月五日", None, (date(2026, 3, 5),)),
        ("2026-03-05与2026/3/6", None, (date(2026, 3, 5), date(2026, 3, 6))),
        ("3月5日购买", None, ()),  # no year and no reference: not guessed
        ("3月5日购买", date(2026, 4, 1), (date(2026, 3, 5),)),
        ("12月28日购买", date(2026, 1, 3), (date(2025, 12, 28),)),  # last year's
        ("十二月五日", date(2026, 12, 20), (date(2026, 12, 5),)),
        ("2026年2月30日", None, ()),  # no such day
        ("依据GB 6675.2-2014检验", None, ()),
    ],
)
def test_dates(text: str, reference: date | None, dates: tuple[date, ...]) -> None:
    assert extract(text, reference_date=reference).dates == dates


def test_a_year_less_date_says_it_was_inferred() -> None:
    x = extract("3月5日购买", reference_date=date(2026, 4, 1))
    (e,) = x.evidence_for(F_DATE)
    assert (e.value, e.text, e.start, e.end) == ("2026-03-05", "3月5日", 0, 4)
    assert e.note == "年份按参考日期2026-04-01推定"


# --- severity and counts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("患儿经抢救无效死亡", 4),
        ("两人重伤被送医", 3),
        ("收治入院观察", 3),
        ("到医院急诊缝了三针", 2),
        ("手背起了水泡", 1),
        ("所幸没有造成人员死亡", None),  # negated
        ("严重时可能导致死亡", None),  # only possible
        ("存在触电死亡风险", None),  # a risk, not an outcome
        ("差点住院", None),
        ("产品外观划痕", None),
    ],
)
def test_severity_hint(text: str, severity: int | None) -> None:
    assert extract(text).severity_hint == severity


def test_severity_evidence_names_every_cue() -> None:
    x = extract("送至医院急诊,经抢救无效死亡")
    assert x.severity_hint == 4
    assert [(e.value, e.text) for e in x.evidence_for(F_SEVERITY)] == [
        ("2", "送至医院"),
        ("2", "急诊"),
        ("3", "抢救"),
        ("4", "抢救无效"),
        ("4", "死亡"),
    ]


def test_counts_of_units_and_victims() -> None:
    x = extract(
        "某公司召回1.2万件儿童外套,另有3批次产品不合格。十余名消费者投诉,"
        "其中三名儿童被拉链划伤,一名住院治疗。"
    )
    assert x.units == 12_000
    assert x.victims == 3 and x.deaths is None
    assert spans(x, F_UNITS) == [("12000", "1.2万件", 5, 10), ("3", "3批次", 17, 20)]
    # 十余名消费者 complained: no harm in their clause, so they are not counted as victims.
    assert spans(x, F_VICTIMS) == [("3", "三名", 37, 39), ("1", "一名", 47, 49)]
    assert [c.outcome for c in x.counts if c.kind == F_VICTIMS] == [INJURY, INJURY]


def test_deaths_and_injuries_add_up() -> None:
    x = extract("楼道电动车起火,造成2人死亡、5人受伤")
    assert (x.deaths, x.victims) == (2, 7)
    assert [(c.value, c.outcome) for c in x.counts] == [(2, DEATH), (5, INJURY)]


@pytest.mark.parametrize(
    ("text", "units", "victims"),
    [
        ("一台电暖器起火", None, None),  # one product is not a count of scale
        ("近百名学生出现过敏", None, 100),
        ("两部门联合约谈企业", None, None),  # 部门 is not a unit
        ("第3批抽查", None, None),  # an ordinal
        ("10万人使用该产品", None, None),  # exposure, not harm
        ("上千件产品被召回", 1000, None),
        ("共收到伤害病例12例", None, 12),
    ],
)
def test_count_edge_cases(text: str, units: int | None, victims: int | None) -> None:
    x = extract(text)
    assert (x.units, x.victims) == (units, victims)


# --- regions ----------------------------------------------------------------------------------


def test_region_is_the_most_specific_place_and_every_mention_is_evidence() -> None:
    x = extract("上海市闵行区一居民家中电暖器起火")
    assert x.region is not None and x.region.code == "310112"
    assert spans(x, F_REGION) == [("上海市", "上海市", 0, 3), ("上海市/闵行区", "闵行区", 3, 6)]


def test_an_ambiguous_place_is_marked_not_guessed() -> None:
    x = extract("鼓楼区一商场")
    assert x.region is None
    (e,) = x.evidence_for(F_AMBIGUOUS)
    assert e.text == "鼓楼区" and "江苏省/南京市/鼓楼区" in e.note


# --- enterprises ------------------------------------------------------------------------------


def test_any_company_finder_can_be_plugged_in() -> None:
    def finder(text: str) -> list[tuple[int, int, str]]:
        i = text.find("橙岚公司")
        return [(i, i + 4, "上海橙岚实业有限公司")] if i >= 0 else []

    custom = Extractor([], [], company_finder=finder)
    x = custom.extract("橙岚公司的燃气热水器")
    assert x.enterprises == ("上海橙岚实业有限公司",)
    assert spans(x, F_ENTERPRISE) == [("上海橙岚实业有限公司", "橙岚公司", 0, 4)]
    assert Extractor([], []).extract("橙岚公司").enterprises == ()


# --- output -----------------------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    x = extract(SPOT_CHECK, "燃气热水器抽查")
    data = orjson.loads(orjson.dumps(x.to_dict()))
    assert data["region"]["code"] == "310113"
    assert data["dates"] == ["2026-11-30"]
    assert data["evidence"][0].keys() == {"field", "value", "start", "end", "text", "note"}


def test_empty_input() -> None:
    x = extract("")
    assert x == Extraction("", 0)
    assert extract("  ", "  ").evidence == ()


def test_evidence_is_a_small_record() -> None:
    e = Evidence(F_BRAND, "橙岚", 0, 2, "橙岚")
    assert e.note == "" and e.to_dict()["value"] == "橙岚"


# --- properties -------------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "閔行區", "闵行", "电动自行车", "起火", "三名儿童", "受伤", "1.2万件", "型号:XH-2000",
        "批号:B1", "2026年3月5日", "3月5日", "苹果", "手机", "一斤", "电池", "暖小象牌",
        "品牌:", "死亡", "没有", "可能", "转发微博", "//@张三:", "http://t.cn/x", ",", "。",
        "\n", " ", "<p>", "Ａ", "上海橙岚实业有限公司", "生产的", "鼓楼区", "南京东路",
    ]
)  # fmt: skip
items = st.lists(PIECES, max_size=30).map("".join)


@settings(deadline=None, max_examples=150)
@given(items, st.one_of(st.none(), items))
def test_evidence_always_slices_the_returned_text(text: str, title: str | None) -> None:
    x = extract(text, title, reference_date=date(2026, 6, 1))
    assert_evidence_slices(x)
    assert list(x.evidence) == sorted(x.evidence, key=lambda e: (e.start, e.end, e.field))
    assert extract(x.body, x.title or None, reference_date=date(2026, 6, 1)) == x


@settings(deadline=None, max_examples=100)
@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    assert_evidence_slices(extract(text))
