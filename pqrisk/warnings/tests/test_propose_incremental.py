"""Proposals judge only the product × hazard groups that gained candidates since the last
run, and read a group in full only to act on it."""

from __future__ import annotations

from typing import Any

import pytest

from pqrisk.assessment.services import assess_pending
from pqrisk.screening.tests.records import complaint, screened
from pqrisk.warnings import services
from pqrisk.warnings.models import Warning

pytestmark = pytest.mark.django_db

HEATER = "浦东新区消费者投诉，购买的电暖器使用一小时后外壳过热冒烟起火，家中孩子被烧伤，送医治疗。"
HEATER_2 = "闵行区居民反映，同款电暖器通电后机身起火燃烧，烧毁了窗帘，老人手臂被烧伤住院。"
HEATER_3 = "宝山区又有用户报告电暖器突然起火，火焰引燃沙发，一名儿童面部烧伤，已送医院救治。"


@pytest.fixture
def trigger_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = services._trigger_index

    def counting(rows: list[Any]) -> int | None:
        calls.append(len(rows))
        return real(rows)

    monkeypatch.setattr(services, "_trigger_index", counting)
    # Complaints are assessed as medium risks: let them count, three of them needed.
    monkeypatch.setattr(services, "PROPOSE_FROM_LEVELS", ("medium", "high", "serious"))
    monkeypatch.setattr(services, "MIN_CORROBORATING", 3)
    return calls


def test_an_unchanged_group_is_not_read_again_and_a_new_item_reopens_it(
    trigger_calls: list[int],
) -> None:
    screened(complaint("H-1", HEATER, occurred_at="2026-03-01"))
    assess_pending()
    assert services.propose_pending() == {"new": 0, "joined": 0}
    assert trigger_calls == [1]
    assert services.propose_pending() == {"new": 0, "joined": 0}
    assert trigger_calls == [1]  # the group did not change: not read, not judged
    screened(complaint("H-2", HEATER_2, occurred_at="2026-03-03"))
    assess_pending()
    services.propose_pending()
    assert trigger_calls == [1, 2]
    screened(complaint("H-3", HEATER_3, occurred_at="2026-03-05"))
    assess_pending()
    assert services.propose_pending()["new"] == 1
    assert trigger_calls == [1, 2, 3, 3]  # judged on light rows, then read in full to act
    assert Warning.objects.count() == 1


def test_every_group_is_judged_again_after_the_quiet_period(
    trigger_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    screened(complaint("H-1", HEATER, occurred_at="2026-03-01"))
    assess_pending()
    services.propose_pending()
    monkeypatch.setattr(services, "QUIET_TTL", -1.0)
    services.propose_pending()
    assert trigger_calls == [1, 1]


HEATER_4 = "徐汇区消费者称电暖器插电后开关处冒火花并起火，手指被烧伤，要求商家召回该批产品。"


def test_a_group_warned_by_another_process_joins_only_what_is_left(
    trigger_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    screened(complaint("H-1", HEATER, occurred_at="2026-03-01"))
    screened(complaint("H-2", HEATER_2, occurred_at="2026-03-03"))
    assess_pending()
    assert services.propose_pending() == {"new": 0, "joined": 0}  # this process: 2 of 3
    mine = services._memos
    monkeypatch.setattr(services, "_memos", {})  # another worker process
    screened(complaint("H-3", HEATER_3, occurred_at="2026-03-05"))
    assess_pending()
    assert services.propose_pending() == {"new": 1, "joined": 0}
    monkeypatch.setattr(services, "_memos", mine)  # back here: H-1 and H-2 are stale
    screened(complaint("H-4", HEATER_4, occurred_at="2026-03-06"))
    assess_pending()
    assert services.propose_pending() == {"new": 0, "joined": 1}
    warning = Warning.objects.get()
    assert warning.risk_infos.count() == 4
    assert services.propose_pending() == {"new": 0, "joined": 0}
