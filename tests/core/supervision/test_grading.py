"""Explained credit-risk grades: the contributions add up, and more findings never help."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.supervision.grading import (
    CategoryTier,
    EnterpriseFacts,
    Grade,
    GradingPolicy,
    ProductTier,
    Record,
    RecordKind,
    SupervisionError,
    Thresholds,
    Weights,
    explain,
    inputs_version,
    policy_from,
    product_tier,
)

TODAY = date(2026, 11, 27)
KETTLES = CategoryTier("1101", "电热水壶", ProductTier.MEDIUM_LOW)
HEATERS = CategoryTier("1102", "电暖器", ProductTier.SERIOUS, licensed=True)

records = st.builds(
    Record,
    kind=st.sampled_from(list(RecordKind)),
    ref=st.integers(1, 10**6).map(lambda i: f"riskinfo:{i}"),
    title=st.just("记录"),
    occurred_on=st.integers(0, 1500).map(lambda d: TODAY - timedelta(days=d)),
    match=st.sampled_from(["", "uscc", "exact", "normalized", "brand"]),
    confidence=st.one_of(st.none(), st.integers(0, 100)),
)
facts = st.builds(
    EnterpriseFacts,
    enterprise_id=st.just(1),
    name=st.just("上海晶澜电器有限公司"),
    licensed=st.booleans(),
    categories=st.lists(st.sampled_from([KETTLES, HEATERS]), max_size=2).map(tuple),
    records=st.lists(records, max_size=25, unique_by=lambda r: r.ref).map(tuple),
)


def failed_check(ref: str, days_ago: int = 10, match: str = "uscc") -> Record:
    when = TODAY - timedelta(days=days_ago)
    return Record(RecordKind.FAILED_SPOT_CHECK, ref, "电热水壶抽查不合格", when, match)


def test_a_firm_with_no_records_and_low_risk_products_is_a() -> None:
    quiet = EnterpriseFacts(1, "上海晶澜电器有限公司", licensed=True, categories=(KETTLES,))
    explained = explain(quiet, today=TODAY)
    assert explained.grade is Grade.A
    assert explained.score == Decimal("8.00")
    assert [c.key for c in explained.contributions] == ["product_tier"]
    assert "未发现与该企业匹配的风险记录" in explained.notes


def test_name_only_matches_count_with_their_confidence_and_say_so() -> None:
    firm = EnterpriseFacts(
        1,
        "上海晶澜电器有限公司",
        licensed=True,
        categories=(KETTLES,),
        records=(
            failed_check("riskinfo:1", match="uscc"),
            failed_check("riskinfo:2", match="normalized"),
            Record(RecordKind.PENALTY, "riskinfo:3", "处罚", TODAY - timedelta(days=400), "exact"),
        ),
    )
    explained = explain(firm, today=TODAY)
    rows = {c.ref: c for c in explained.contributions}
    assert rows["riskinfo:1"].points == Decimal("25.00")
    assert rows["riskinfo:2"].points == Decimal("17.50")  # 25 × 70 %
    assert "置信度70%" in rows["riskinfo:2"].note
    assert rows["riskinfo:3"].points == Decimal("8.00")  # 20 × 50 % (second year) × 80 %
    assert explained.score == Decimal("58.50")
    assert explained.grade is Grade.C
    assert sum(c.points for c in explained.contributions) == explained.score


def test_complaints_are_capped() -> None:
    many = tuple(
        Record(RecordKind.COMPLAINT, f"riskinfo:{i}", "投诉", TODAY - timedelta(days=i))
        for i in range(1, 10)
    )
    explained = explain(EnterpriseFacts(1, "甲", True, records=many), today=TODAY)
    assert explained.score == Decimal("15.00")
    assert any("上限" in c.note for c in explained.contributions)


def test_unlicensed_maker_of_licensed_product_is_scored() -> None:
    explained = explain(EnterpriseFacts(1, "甲", False, categories=(HEATERS,)), today=TODAY)
    assert {c.key for c in explained.contributions} == {"product_tier", "unlicensed"}
    assert explained.score == Decimal("45.00")


@given(facts)
def test_contributions_sum_exactly_to_the_score(f: EnterpriseFacts) -> None:
    explained = explain(f, today=TODAY)
    assert sum((c.points for c in explained.contributions), Decimal(0)) == explained.score
    assert explained.grade is Thresholds().grade(explained.score)
    assert all(c.points >= 0 for c in explained.contributions)
    json = explained.to_json()
    assert sum(Decimal(c["points"]) for c in json["contributions"]) == Decimal(json["score"])


@given(facts, st.integers(0, 1500), st.sampled_from(["", "uscc", "exact", "brand"]))
def test_adding_a_failed_spot_check_never_improves_the_grade(
    f: EnterpriseFacts, days_ago: int, match: str
) -> None:
    before = explain(f, today=TODAY)
    more = EnterpriseFacts(
        f.enterprise_id,
        f.name,
        f.licensed,
        f.categories,
        (*f.records, failed_check("riskinfo:new", days_ago, match)),
    )
    after = explain(more, today=TODAY)
    assert after.score >= before.score
    assert after.grade.rank >= before.grade.rank


def test_policy_overrides_and_refusals() -> None:
    p = policy_from(
        {"weights": {"records": {"penalty": 40}}, "thresholds": {"B": 5, "C": 20, "D": 50}}
    )
    assert p.weights.records[RecordKind.PENALTY] == 40
    assert p.weights.records[RecordKind.RECALL] == 15  # the rest stays
    assert p.thresholds.grade(Decimal(20)) is Grade.C
    assert p.version() != GradingPolicy().version()
    with pytest.raises(SupervisionError):
        policy_from({"weights": {"nonsense": 1}})
    with pytest.raises(SupervisionError):
        Thresholds(Decimal(30), Decimal(20), Decimal(50))
    with pytest.raises(SupervisionError):
        Weights(unlicensed=-1)


def test_inputs_version_changes_with_records_only() -> None:
    f = EnterpriseFacts(1, "甲", True, (KETTLES,), (failed_check("riskinfo:1"),))
    same = EnterpriseFacts(1, "甲", True, (KETTLES,), (failed_check("riskinfo:1"),))
    more = EnterpriseFacts(
        1, "甲", True, (KETTLES,), (failed_check("riskinfo:1"), failed_check("riskinfo:2"))
    )
    p = GradingPolicy()
    assert inputs_version(f, p, TODAY) == inputs_version(same, p, TODAY)
    assert inputs_version(f, p, TODAY) != inputs_version(more, p, TODAY)


def test_product_tier_from_assessments_and_signals() -> None:
    assert product_tier(["low", "serious"], 0) is ProductTier.SERIOUS
    assert product_tier(["medium"], 0) is ProductTier.MEDIUM_LOW
    assert product_tier(["medium"], 2) is ProductTier.HIGH
    assert product_tier([], 0) is ProductTier.NONE
