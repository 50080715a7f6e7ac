"""Trigger rules: what fires for whom, with keys that are the same on every run."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.supervision.triggers import (
    EventFact,
    FirmFacts,
    Rule,
    TriggerSettings,
    complaint_clusters,
    evaluate,
)

TODAY = date(2026, 11, 27)
QUIET = FirmFacts(1, "甲", "A", categories=frozenset({10}), suppliers=frozenset({3}))
BUSY = FirmFacts(2, "乙", "C", categories=frozenset({10}))
SUPPLIER = FirmFacts(3, "丙", "B", categories=frozenset({20}))


def complaint(ref: str, days_ago: int, firm: int = 1) -> EventFact:
    return EventFact(ref, "complaint", TODAY - timedelta(days=days_ago), "投诉", enterprise_id=firm)


def test_each_rule_fires_for_the_quiet_firm() -> None:
    events = [
        complaint("riskinfo:1", 20),
        complaint("riskinfo:2", 15),
        complaint("riskinfo:3", 5),
        EventFact("riskinfo:4", "failed_spot_check", TODAY, "抽查不合格", 2, 10, "电热水壶"),
        EventFact("warning:5", "warning", TODAY, "电热水壶风险警示", None, 10, "电热水壶"),
        EventFact("riskinfo:6", "recall", TODAY, "召回", 3, 20, "插头"),
        EventFact("riskinfo:7", "failed_spot_check", TODAY - timedelta(days=200), "旧", 2, 10),
    ]
    found = evaluate([QUIET, BUSY, SUPPLIER], events, today=TODAY)
    keys = {t.key for t in found}
    assert keys == {
        "complaint_cluster:1:riskinfo:1",
        "failed_elsewhere:1:riskinfo:4",
        "category_warning:1:warning:5",
        "supplier_recall:1:riskinfo:6",
    }
    # BUSY is graded C: others' records do not trigger it; its own failure is not "elsewhere".
    assert all(t.enterprise_id == 1 for t in found)
    assert {t.rule for t in found} == set(Rule)


def test_complaint_cluster_applies_to_every_grade() -> None:
    events = [complaint(f"riskinfo:{i}", i, firm=2) for i in range(1, 4)]
    found = evaluate([BUSY], events, today=TODAY)
    assert [t.rule for t in found] == [Rule.COMPLAINT_CLUSTER]


day_lists = st.lists(st.integers(0, 120), max_size=30)


@given(day_lists, day_lists)
def test_keys_are_stable_and_clusters_do_not_move_when_later_records_arrive(
    days: list[int], later: list[int]
) -> None:
    events = [complaint(f"riskinfo:{i}", d) for i, d in enumerate(days)]
    first = evaluate([QUIET], events, today=TODAY)
    again = evaluate([QUIET], list(reversed(events)), today=TODAY)
    assert [t.key for t in first] == [t.key for t in again]
    assert len({t.key for t in first}) == len(first)
    # Records dated after every existing one leave the earlier clusters (their keys) as they
    # were: the old cluster starts are a prefix of the new ones.
    settings = TriggerSettings()
    base = [s.ref for s, _ in complaint_clusters(events, settings)]
    newest = min(days, default=0)
    extra = [complaint(f"riskinfo:x{i}", newest - 1 - gap) for i, gap in enumerate(later)]
    extended = [s.ref for s, _ in complaint_clusters(events + extra, settings)]
    assert extended[: len(base)] == base
