"""Matching in the core: USCC before names, names before brands, never a guess."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.screening.matching import (
    Decision,
    EnterpriseEntry,
    Method,
    ProductEntry,
    RecordFacts,
    RecordMatcher,
    Register,
    Target,
    Thresholds,
    decide,
    exact_name_baseline,
    gtin_valid,
    gtins_in,
    normalize_model,
)
from pqrisk.core.uscc import complete_uscc

HUADONG = complete_uscc("91310115MA1H0000A")
XINGTONG = complete_uscc("91310114MA1H0000B")
GTIN = "6901234567892"

REGISTER = Register(
    [
        EnterpriseEntry(1, "上海华东电器有限公司", HUADONG, "310115", frozenset({"010101"})),
        EnterpriseEntry(2, "上海兴通家具有限公司", XINGTONG, "310114"),
        EnterpriseEntry(3, "江苏兴通家具有限公司", "", ""),
        EnterpriseEntry(4, "上海光明玩具有限公司", "", "310115"),
    ],
    [
        ProductEntry(10, 1, "电热水壶", "华东", "HD-1708", "010101", frozenset({GTIN})),
        ProductEntry(11, 1, "电暖器", "华东", "HD-2200"),
        ProductEntry(12, 4, "毛绒玩具", "光明", "GM-01"),
    ],
)
MATCHER = RecordMatcher(REGISTER)


def only(proposals: list, target: Target) -> list:
    return [p for p in proposals if p.target == target]


def test_uscc_beats_the_name() -> None:
    facts = RecordFacts(uscc=HUADONG.lower(), names=("上海兴通家具有限公司",))
    [p] = MATCHER.enterprise(facts)
    assert (p.candidate_id, p.method, p.confidence, p.decision) == (
        1,
        Method.USCC,
        1.0,
        Decision.ACCEPT,
    )
    assert "以信用代码为准" in p.evidence["conflict"]


def test_a_name_only_match_is_less_sure_and_says_why() -> None:
    [p] = MATCHER.enterprise(RecordFacts(names=("华东电器（上海）有限公司",)))
    assert p.candidate_id == 1 and p.method == Method.NAME_NORMALISED
    assert p.confidence < 1.0
    assert p.evidence["record"]["parts"]["brand"] == "华东"
    assert "华东电器（上海）有限公司" in p.evidence["explanation"]
    exact = MATCHER.enterprise(RecordFacts(names=("上海华东电器有限公司",)))[0]
    assert p.confidence < exact.confidence < 1.0


def test_an_unknown_code_falls_back_to_the_name_and_notes_it() -> None:
    [p] = MATCHER.enterprise(
        RecordFacts(uscc=complete_uscc("91310101MA1H0000C"), names=("上海华东电器有限公司",))
    )
    assert p.method == Method.NAME_EXACT
    assert "改按名称匹配" in p.evidence["notes"][0]


def test_an_ambiguous_name_goes_to_review_never_guessed() -> None:
    proposals = MATCHER.enterprise(RecordFacts(names=("兴通家具公司",)))
    assert {p.candidate_id for p in proposals} == {2, 3}
    assert all(p.decision == Decision.REVIEW for p in proposals)
    assert all(p.confidence <= 0.6 for p in proposals)


def test_place_rules_out_a_candidate() -> None:
    [p] = MATCHER.enterprise(RecordFacts(names=("江苏兴通家具有限公司",)))
    assert p.candidate_id == 3


def test_agreeing_fields_raise_confidence_but_never_to_certainty() -> None:
    plain = MATCHER.enterprise(RecordFacts(names=("华东电器公司",)))[0]
    backed = MATCHER.enterprise(
        RecordFacts(names=("华东电器公司",), district="310115", brand="华东", category="010101")
    )[0]
    assert plain.candidate_id == backed.candidate_id == 1
    assert plain.confidence < backed.confidence < 1.0
    assert len(backed.evidence["agree"]) == 3


def test_products_by_gtin_model_and_brand() -> None:
    [g] = MATCHER.product(RecordFacts(gtins=(GTIN,)))
    assert (g.candidate_id, g.method, g.decision) == (10, Method.GTIN, Decision.ACCEPT)
    [m] = MATCHER.product(RecordFacts(brand="华东牌", model="hd 1708"), enterprise_id=1)
    assert (m.candidate_id, m.method, m.decision) == (10, Method.MODEL, Decision.ACCEPT)
    assert m.evidence["register"]["enterprise"] == "上海华东电器有限公司"
    [b] = MATCHER.product(RecordFacts(brand="光明"), enterprise_id=4)
    assert (b.candidate_id, b.method, b.decision) == (12, Method.BRAND, Decision.REVIEW)
    several = MATCHER.product(RecordFacts(brand="华东"), enterprise_id=1)
    assert {p.candidate_id for p in several} == {10, 11}
    assert all(p.decision == Decision.REVIEW for p in several)
    [same] = MATCHER.product(RecordFacts(brand="光明", product_name="毛绒玩具"), enterprise_id=4)
    assert (same.candidate_id, same.decision) == (12, Decision.REVIEW)  # GM-01 has a model
    # A model under another brand is not that product.
    assert MATCHER.product(RecordFacts(brand="兴通", model="HD-1708")) == []


def test_match_narrows_products_to_the_accepted_enterprise() -> None:
    proposals = MATCHER.match(RecordFacts(uscc=HUADONG, brand="华东", model="HD-2200"))
    [e] = only(proposals, Target.ENTERPRISE)
    [p] = only(proposals, Target.PRODUCT)
    assert (e.candidate_id, p.candidate_id) == (1, 11)


def test_gtin_check_digit_and_text() -> None:
    assert gtin_valid(GTIN) and not gtin_valid("6901234567893")
    assert gtins_in(f"商品条码：{GTIN}，另 条码 6901234567893") == [GTIN]
    assert normalize_model("ＨＤ－1708 a") == "HD1708A"


def test_baseline_needs_the_exact_name() -> None:
    baseline = exact_name_baseline(REGISTER)
    assert baseline(RecordFacts(names=("上海华东电器有限公司",))) == 1
    assert baseline(RecordFacts(names=("华东电器公司",))) is None


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_decisions_are_monotone_in_confidence(a: float, b: float, x: float) -> None:
    t = Thresholds(high=max(a, b), low=min(a, b))
    order = {Decision.REJECT: 0, Decision.REVIEW: 1, Decision.ACCEPT: 2}
    assert order[decide(x, t)] <= order[decide(min(1.0, x + 0.1), t)]


def test_a_product_with_the_records_name_and_brand_and_no_model_is_its_own() -> None:
    register = Register(
        [EnterpriseEntry(1, "上海宇棠实业有限公司")],
        [
            ProductEntry(20, 1, "电动自行车充电器", "悦然", ""),
            ProductEntry(21, 1, "电动自行车充电器", "悦然", "YR-48V"),
        ],
    )
    facts = RecordFacts(brand="悦然", product_name="电动自行车充电器")
    [p] = RecordMatcher(register).product(facts, enterprise_id=1)
    assert (p.candidate_id, p.method, p.decision) == (20, Method.BRAND, Decision.ACCEPT)


def test_products_added_later_match_as_if_registered_at_once() -> None:
    enterprises = list(REGISTER.enterprises.values())
    products = list(REGISTER.products.values())
    grown = Register(enterprises, products[:1])
    grown.add_products(products[1:])
    grown.add_products(products[1:])  # the same ids again change nothing
    assert len(grown.products) == len(products)
    later = RecordMatcher(grown)
    for facts in (
        RecordFacts(uscc=HUADONG, brand="华东", model="HD-2200"),
        RecordFacts(uscc=HUADONG, brand="华东牌", product_name="电暖器"),
        RecordFacts(names=("上海光明玩具有限公司",), brand="光明"),
        RecordFacts(gtins=(GTIN,)),
    ):
        ent = MATCHER.enterprise(facts)
        accepted = next((p.candidate_id for p in ent if p.decision == Decision.ACCEPT), None)
        assert later.product(facts, accepted) == MATCHER.product(facts, accepted), facts
