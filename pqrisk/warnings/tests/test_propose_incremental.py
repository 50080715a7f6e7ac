"""Proposals read only the product × hazard groups that changed since the last run."""

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
    real = services.proposal_trigger

    def counting(group: list[Any]) -> int | None:
        calls.append(len(group))
        return real(group)

    monkeypatch.setattr(services, "proposal_trigger", counting)
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
    assert trigger_calls == [1, 2, 3]
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
