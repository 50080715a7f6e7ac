"""Matching alerts to local firms: the evidence kinds in their order of trust, ambiguity
left to a reviewer, and every candidate with its evidence. Pure Python: no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.foreign.matching import (
    AlertFacts,
    AliasEntry,
    FirmEntry,
    ForeignMatcher,
    ForeignRegister,
    ProductEntry,
    Thresholds,
    brand_key,
    facts_of,
    name_key,
)

FIRMS = [
    FirmEntry(1, "上海乐兔玩具有限公司", 15, frozenset({"08"})),
    FirmEntry(2, "上海动力电器有限公司", 15),
    FirmEntry(3, "上海星光儿童用品有限公司", 14),
    FirmEntry(4, "上海明亮灯饰有限公司", 14),
]
ALIASES = [
    AliasEntry(3, "Starlet", "brand"),
    AliasEntry(3, "Shanghai Xingguang Children Products Co., Ltd.", "english_name"),
    AliasEntry(4, "Brightly", "brand"),
    AliasEntry(2, "Brightly", "brand"),  # two firms use the brand
    AliasEntry(2, "Shanghai Dongli Dianqi", "pinyin"),
]
PRODUCTS = [
    ProductEntry(10, 1, "毛绒兔", "Happy Bunny", "HB-2024", frozenset({"6901234567892"})),
    ProductEntry(11, 2, "USB充电器", "", "PG-U2"),
    ProductEntry(12, 1, "积木", "Happy Bunny", "BK-100"),
    ProductEntry(13, 4, "灯串", "Brightly", "FL-100"),
    ProductEntry(14, 2, "灯串", "Dongli", "FL-100"),  # the same model at two firms
]


def matcher(**kw: float) -> ForeignMatcher:
    return ForeignMatcher(ForeignRegister(FIRMS, ALIASES, PRODUCTS), Thresholds(**kw))


def test_keys_fold_case_marks_and_legal_forms() -> None:
    assert brand_key("ACME®") == brand_key("acme") == "acme"
    assert brand_key("Super-Kid brand") == "superkid"
    assert name_key("Ningbo Acme Co., Ltd.") == "ningbo acme"
    assert name_key("Acme Group Inc. (Shenzhen)") == "acme"
    assert name_key("上海乐兔玩具有限公司") == "上海乐兔玩具"


def test_a_barcode_beats_everything_and_names_the_product() -> None:
    (c,) = matcher().match(AlertFacts(barcodes=("6901234567892",), brands=("Other",)))
    assert (c.enterprise_id, c.product_id, c.method, c.decision) == (1, 10, "barcode", "accept")
    assert c.confidence >= 0.98
    assert c.evidence["items"][0]["alert_value"] == "6901234567892"
    assert "商品条码" in c.evidence["explanation"]


def test_an_invalid_check_digit_is_no_barcode() -> None:
    assert matcher().match(AlertFacts(barcodes=("6901234567891",))) == []


def test_model_with_brand_is_confirmed_model_alone_waits() -> None:
    (c,) = matcher().match(AlertFacts(models=("hb 2024",), brands=("HAPPY BUNNY",)))
    assert (c.method, c.decision, c.product_id) == ("model_brand", "accept", 10)
    (m,) = matcher().match(AlertFacts(models=("PG-U2",)))
    assert (m.method, m.decision, m.enterprise_id) == ("model", "review", 2)
    (x,) = matcher().match(AlertFacts(models=("HB-2024",), brands=("Sunny",)))
    assert x.method == "model" and x.confidence == 0.55 and "品牌不同" in x.evidence["explanation"]


def test_a_model_or_brand_of_two_firms_is_left_to_a_reviewer() -> None:
    found = matcher().match(AlertFacts(models=("FL-100",)))
    assert {c.enterprise_id for c in found} == {2, 4}
    assert all(c.decision == "review" and c.confidence <= 0.6 for c in found)
    by_brand = matcher().match(AlertFacts(brands=("Brightly",)))
    assert {c.enterprise_id for c in by_brand} == {2, 4}
    assert all("2家企业" in c.evidence["explanation"] for c in by_brand)


def test_brand_alias_and_names() -> None:
    (c,) = matcher().match(AlertFacts(brands=("STARLET",)))
    assert (c.enterprise_id, c.method, c.decision) == (3, "brand_alias", "review")
    (n,) = matcher().match(
        AlertFacts(manufacturers=("Shanghai Xingguang Children Products Co. Ltd",))
    )
    assert (n.enterprise_id, n.method, n.decision) == (3, "name_exact", "accept")
    (both,) = matcher().match(
        AlertFacts(
            brands=("Starlet",), manufacturers=("Shanghai Xingguang Children Products Ltd.",)
        )
    )
    assert both.confidence > n.confidence and both.evidence["agree"]
    (f,) = matcher().match(AlertFacts(manufacturers=("Shanghai Xinguang Childrens Products",)))
    assert (f.enterprise_id, f.method, f.decision) == (3, "fuzzy_name", "review")
    assert 0.5 <= f.confidence < 0.85
    (cn,) = matcher().match(AlertFacts(manufacturers=("上海乐兔玩具有限公司",)))
    assert (cn.enterprise_id, cn.method) == (1, "name_exact")


def test_unrelated_alerts_find_nothing() -> None:
    assert matcher().match(AlertFacts()) == []
    assert (
        matcher().match(
            AlertFacts(
                brands=("Klinge",),
                manufacturers=("Klingenwerk GmbH",),
                models=("KS-3",),
                barcodes=("4006381333931",),
            )
        )
        == []
    )


def test_category_agreement_adds_a_little() -> None:
    (plain,) = matcher().match(AlertFacts(models=("BK-100",)))
    (agrees,) = matcher().match(AlertFacts(models=("BK-100",), catalogue_code="080101"))
    assert round(agrees.confidence - plain.confidence, 3) == 0.03


def test_thresholds_decide() -> None:
    (c,) = matcher(auto_confirm=0.99, review=0.5).match(
        AlertFacts(models=("HB-2024",), brands=("Happy Bunny",))
    )
    assert c.decision == "review"
    assert matcher(auto_confirm=0.9, review=0.8).match(AlertFacts(brands=("Starlet",))) == []


def test_facts_from_cpsc_fields() -> None:
    facts = facts_of(
        {
            "brand": "TOETOL HOME",
            "trade_names": ["Evajoy"],
            "manufacturers": ["Shenzhen Danya Tech Co., Ltd."],
            "importer": "TOETOL HOME",
            "recalling_firm": "",
            "model": "A-1, A-2 / B-3",
            "barcodes": ["6901234567892"],
        }
    )
    assert facts.brands == ("TOETOL HOME", "Evajoy")
    assert facts.manufacturers == ("Shenzhen Danya Tech Co., Ltd.", "TOETOL HOME")
    assert facts.models == ("A-1", "A-2", "B-3")


@given(
    st.lists(st.sampled_from(["Starlet", "Brightly", "Happy Bunny", "Zoom", ""]), max_size=3),
    st.lists(st.sampled_from(["HB-2024", "PG-U2", "FL-100", "XX"]), max_size=3),
    st.lists(st.sampled_from(["6901234567892", "4006381333931", "123"]), max_size=2),
)
def test_confidence_in_range_and_at_most_one_auto_confirmed(
    brands: list[str], models: list[str], barcodes: list[str]
) -> None:
    found = matcher().match(
        AlertFacts(brands=tuple(brands), models=tuple(models), barcodes=tuple(barcodes))
    )
    assert all(0.5 <= c.confidence <= 0.99 for c in found)
    assert sum(c.decision == "accept" for c in found) <= 1
    assert all(c.evidence["items"] for c in found)
    assert found == matcher().match(
        AlertFacts(brands=tuple(brands), models=tuple(models), barcodes=tuple(barcodes))
    )
