"""The expert library (专家库): the assessment centre and the city bureau register and update
experts, every change audited; a district officer or an expert cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from pqrisk.audit.models import AuditEvent
from pqrisk.experts.models import Expert
from pqrisk.experts.policy import expert_policy
from pqrisk.experts.services import ExpertError, family_of, parse_tags, update_expert
from pqrisk.reference.models import ProductCategory

from .conftest import add_expert, expert_user

pytestmark = pytest.mark.django_db


def test_dana_registers_and_updates_an_expert(dana: Any, alice: Any) -> None:
    account = expert_user("erin")
    expert = add_expert(
        dana, "王工", title="高级工程师", disciplines="电气安全、阻燃材料", account=account
    )
    assert (expert.user, expert.title, expert.disciplines) == (
        account,
        "高级工程师",
        ["电气安全", "阻燃材料"],
    )
    assert [c.code for c in expert.product_families.all()] == ["01"]
    event = AuditEvent.objects.get(action="register_expert")
    assert event.actor == dana and "王工" in event.message

    update_expert(expert, alice, availability="unavailable", title="正高级工程师")
    expert.refresh_from_db()
    assert expert.availability == "unavailable" and expert.unavailable_until is None
    change = AuditEvent.objects.get(action="update_expert")
    assert change.message == "修改：职称、可参加情况" and change.to_state == "unavailable"
    update_expert(expert, alice, title="正高级工程师")  # nothing changed: nothing recorded
    assert AuditEvent.objects.filter(action="update_expert").count() == 1


def test_who_may_keep_the_library(bob: Any, dana: Any) -> None:
    with pytest.raises(PermissionDenied, match="评估中心"):
        add_expert(bob, "王工")
    with pytest.raises(PermissionDenied):
        add_expert(expert_user("erin"), "王工")
    expert = add_expert(dana, "王工")
    with pytest.raises(PermissionDenied):
        update_expert(expert, bob, name="改名")
    assert Expert.objects.get().name == "王工"


def test_bad_records_are_refused(dana: Any, eve: Any) -> None:
    with pytest.raises(ExpertError, match="姓名"):
        add_expert(dana, " ")
    with pytest.raises(ExpertError, match=r"一级类别.*电暖器"):
        add_expert(dana, "王工", families=("010302",))
    with pytest.raises(ExpertError, match="没有专家角色"):
        add_expert(dana, "王工", account=eve)
    with pytest.raises(ExpertError, match="可参加情况"):
        add_expert(dana, "王工", availability="sometimes")
    erin = expert_user("erin")
    add_expert(dana, "王工", account=erin)
    with pytest.raises(ExpertError, match="已关联专家“王工”"):
        add_expert(dana, "李工", account=erin)
    assert Expert.objects.count() == 1


def test_the_family_of_a_catalogue_node() -> None:
    heater = ProductCategory.objects.get(code="010302")
    assert family_of(heater).code == "01"  # type: ignore[union-attr]
    assert family_of(heater.parent).code == "01"  # type: ignore[union-attr]
    assert family_of(None) is None


def test_tags() -> None:
    assert parse_tags("电气安全、阻燃材料，电气安全; 儿童用品") == [
        "电气安全",
        "阻燃材料",
        "儿童用品",
    ]
    assert parse_tags(["a", " a ", ""]) == ["a"]


def test_the_policy_comes_from_settings() -> None:
    assert expert_policy().recent_draw_days == 30 and expert_policy().delphi.max_rounds == 2
    with override_settings(PQRISK_POLICY={"experts": {"recent_draw_days": 45, "consult_gap": 3}}):
        policy = expert_policy()
        assert policy.recent_draw_days == 45 and policy.delphi.consult_gap == 3
    with (
        override_settings(PQRISK_POLICY={"experts": {"colour": "red"}}),
        pytest.raises(Exception, match="cannot set"),
    ):
        expert_policy()
