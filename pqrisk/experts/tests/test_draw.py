"""Drawing experts for a case: dana draws for the heater-fire case against 上海晶澜电器有限公司;
conflicted, same-organisation, unavailable and recently used experts stand aside with their
reasons; the seed reproduces the draw; a declining expert is replaced in the seeded order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pqrisk.audit.models import AuditEvent
from pqrisk.core.assessment import draw as core_draw
from pqrisk.core.assessment.draw import Criteria, seeded_order
from pqrisk.experts.models import DrawnExpert, Expert, ExpertDraw, RatingRound
from pqrisk.experts.services import (
    ExpertError,
    candidates_for,
    case_facts,
    draw_experts,
    order_verified,
    respond_to_draw,
)

from .conftest import KETTLE, add_expert, expert_user, new_case

pytestmark = pytest.mark.django_db
SEED = 20260310


def _rules(draw: ExpertDraw) -> dict[str, list[str]]:
    return {x["name"]: [r["rule"] for r in x["reasons"]] for x in draw.excluded}


def test_conflicted_and_unavailable_experts_stand_aside(
    dana: Any, case: Any, maker: Any, panel: list[Expert]
) -> None:
    add_expert(dana, "孙工", employer="晶澜电器（上海）有限公司")
    declared = add_expert(dana, "周工")
    declared.conflict_enterprises.add(maker)
    add_expert(dana, "吴工", organisation="上海晶澜电器有限公司质量部")
    add_expert(dana, "郑工", conflict_declaration="2025年曾为上海晶澜电器有限公司提供技术咨询")
    add_expert(
        dana,
        "冯工",
        availability="unavailable",
        unavailable_until=timezone.localdate() + timedelta(days=10),
    )
    add_expert(dana, "陈老", availability="retired")
    add_expert(dana, "褚工", families=("02",), hazards=("chemical",))  # another field

    draw = draw_experts(case, dana, size=3, seed=SEED)

    assert _rules(draw) == {
        "孙工": ["conflict_employer"],
        "周工": ["conflict_declared"],
        "吴工": ["same_organisation"],
        "郑工": ["conflict_statement"],
        "冯工": ["unavailable"],
        "陈老": ["retired"],
    }
    assert draw.pool_size == 11  # 褚工's fields do not match
    assert len(draw.order) == 5 and set(draw.order) == {e.pk for e in panel}
    members = list(draw.members.order_by("position"))
    assert [m.expert_id for m in members] == draw.order[:3]
    assert [m.position for m in members] == [1, 2, 3]
    assert draw.seed == str(SEED) and order_verified(draw)
    assert draw.criteria["family"]["name"] == "家用电器"
    assert draw.criteria["hazard"]["name"] == "火灾"
    assert draw.criteria["enterprise"]["name"] == "上海晶澜电器有限公司"
    # the case moved on to the experts, round 1 is open, all of it audited
    case.refresh_from_db()
    assert case.status == "expert_review"
    assert RatingRound.objects.get(case=case).number == 1
    assert AuditEvent.objects.filter(action="expert_draw", object_id=str(draw.pk)).exists()
    assert AuditEvent.objects.filter(action="to_experts", object_id=str(case.pk)).exists()


def test_the_seed_reproduces_the_draw(dana: Any, case: Any, panel: list[Expert]) -> None:
    draw = draw_experts(case, dana, size=3, seed=SEED)
    today = timezone.localdate()
    again = core_draw.draw(
        candidates_for(case, today, 30), case_facts(case), Criteria(size=3), seed=SEED, today=today
    )
    assert list(again.order) == draw.order
    assert [m.expert_id for m in draw.members.order_by("position")] == list(again.selected)
    assert seeded_order(draw.order, SEED) == draw.order
    other = core_draw.draw(
        candidates_for(case, today, 30),
        case_facts(case),
        Criteria(size=3),
        seed=SEED + 1,
        today=today,
    )
    assert sorted(other.order) == sorted(draw.order)


def test_experts_drawn_recently_for_another_case_stand_aside(
    dana: Any, case: Any, panel: list[Expert], settings: Any
) -> None:
    first = draw_experts(case, dana, size=2, seed=SEED)
    busy = {m.expert.name for m in first.members.all()}
    second_case = new_case(dana, KETTLE)
    second = draw_experts(second_case, dana, size=2, seed=SEED)
    assert {n for n, rules in _rules(second).items() if rules == ["recently_drawn"]} == busy
    assert all(case.code in x["reasons"][0]["text"] for x in second.excluded)
    assert not busy & {m.expert.name for m in second.members.all()}

    # a month later they can be drawn again; the window is a setting
    DrawnExpert.objects.update(created_at=timezone.now() - timedelta(days=30))
    settings.PQRISK_POLICY = {"experts": {"recent_draw_days": 60}}
    third = draw_experts(new_case(dana, KETTLE), dana, size=1, seed=SEED)
    assert len(third.excluded) == 4 and third.criteria["recent_days"] == 60
    settings.PQRISK_POLICY = {}
    fourth = draw_experts(new_case(dana, KETTLE), dana, size=1, seed=SEED)
    assert [x["expert_id"] for x in fourth.excluded] == [third.members.get().expert_id]


def test_a_declined_expert_does_not_count_as_recently_drawn(
    dana: Any, case: Any, panel: list[Expert]
) -> None:
    draw = draw_experts(case, dana, size=1, seed=SEED)
    member = draw.members.get()
    respond_to_draw(member, dana, accept=False, reason="出差")
    second = draw_experts(new_case(dana, KETTLE), dana, size=1, seed=SEED)
    excluded = {x["expert_id"] for x in second.excluded}
    assert member.expert_id not in excluded  # declined: did not serve
    assert draw.members.get(status="drawn").expert_id in excluded  # the replacement did


def test_a_declining_expert_is_replaced_by_the_next_in_the_seeded_order(
    dana: Any, case: Any, panel: list[Expert]
) -> None:
    draw = draw_experts(case, dana, size=3, seed=SEED)
    first = draw.members.get(position=1)
    erin = first.expert.user
    with pytest.raises(ExpertError, match="拒绝参加的理由"):
        respond_to_draw(first, erin, accept=False, reason=" ")
    first.refresh_from_db()
    assert first.status == "drawn"  # nothing changed

    replacement = respond_to_draw(
        first, erin, accept=False, reason="与涉事企业负责人系亲属，申请回避"
    )
    assert replacement is not None
    first.refresh_from_db()
    assert first.status == "replaced" and first.decline_reason.startswith("与涉事企业")
    assert replacement.expert_id == draw.order[3] and replacement.position == 4
    assert replacement.replaces == first and replacement.status == "drawn"
    draw.refresh_from_db()
    (log,) = draw.replacements
    assert log["declined"]["expert_id"] == first.expert_id
    assert log["replacement"]["position"] == 4
    assert AuditEvent.objects.filter(action="decline_draw").count() == 1
    assert AuditEvent.objects.filter(action="replace_expert").count() == 1

    # staff record a decline for an expert without a login; then the reserve runs out
    second = draw.members.get(position=2)
    respond_to_draw(second, dana, accept=False, reason="电话告知：时间冲突")
    last = draw.members.get(position=5)
    assert last.replaces == second
    third = draw.members.get(position=3)
    assert respond_to_draw(third, dana, accept=False, reason="身体原因") is None
    third.refresh_from_db()
    assert third.status == "declined"  # nobody left to replace them
    draw.refresh_from_db()
    assert draw.replacements[-1]["replacement"] is None


def test_replacement_skips_an_expert_who_became_unavailable(
    dana: Any, case: Any, panel: list[Expert]
) -> None:
    from pqrisk.experts.services import update_expert

    draw = draw_experts(case, dana, size=3, seed=SEED)
    fourth = Expert.objects.get(pk=draw.order[3])
    update_expert(fourth, dana, availability="retired")
    replacement = respond_to_draw(draw.members.get(position=1), dana, accept=False, reason="回避")
    assert replacement is not None and replacement.expert_id == draw.order[4]
    draw.refresh_from_db()
    assert draw.replacements[0]["skipped"][0]["reasons"][0]["rule"] == "retired"


def test_only_the_expert_or_staff_respond(
    dana: Any, bob: Any, case: Any, panel: list[Expert]
) -> None:
    draw = draw_experts(case, dana, size=2, seed=SEED)
    first, second = draw.members.order_by("position")
    other_expert = second.expert.user
    with pytest.raises(PermissionDenied, match="被抽取的专家本人"):
        respond_to_draw(first, other_expert, accept=False, reason="代他拒绝")
    with pytest.raises(PermissionDenied):
        respond_to_draw(first, bob, accept=True)
    respond_to_draw(first, first.expert.user, accept=True)
    first.refresh_from_db()
    assert first.status == "accepted" and first.responded_by == first.expert.user
    with pytest.raises(ExpertError, match="不能再确认参加"):
        respond_to_draw(first, first.expert.user, accept=True)


def test_who_may_draw_and_when(dana: Any, bob: Any, alice: Any, panel: list[Expert]) -> None:
    from pqrisk.assessment.cases import open_case

    from .conftest import FIRE, screened

    opened = open_case(dana, risk_infos=screened(FIRE))
    with pytest.raises(ExpertError, match="已立项"):
        draw_experts(opened, dana)
    case = new_case(dana)
    with pytest.raises(PermissionDenied, match="评估中心"):
        draw_experts(case, bob)
    with pytest.raises(PermissionDenied):
        draw_experts(case, expert_user("nina"))
    draw_experts(case, alice, size=2)
    with pytest.raises(ExpertError, match="已抽取专家"):
        draw_experts(case, dana)
    assert ExpertDraw.objects.count() == 1


def test_a_draw_with_nobody_eligible_saves_nothing(dana: Any, case: Any) -> None:
    with pytest.raises(ExpertError, match="没有与本任务产品类别或危害相符的专家"):
        draw_experts(case, dana)
    add_expert(dana, "吴工", organisation="上海晶澜电器有限公司")
    with pytest.raises(ExpertError, match=r"均须回避.*吴工"):
        draw_experts(case, dana)
    with pytest.raises(ExpertError, match="抽取人数"):
        draw_experts(case, dana, size=0)
    case.refresh_from_db()
    assert case.status == "assessing" and not ExpertDraw.objects.exists()
    assert not RatingRound.objects.exists()
