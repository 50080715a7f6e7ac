"""The warning and disposal workflows as explicit transition tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.workflow import (
    DISPOSAL_MACHINE,
    ROLES,
    WARNING_MACHINE,
    StateMachine,
    Transition,
    TransitionNotAllowed,
)

MACHINES = (WARNING_MACHINE, DISPOSAL_MACHINE)
ALICE = frozenset({"city_supervisor"})  # 市局监管处
DANA = frozenset({"analyst"})  # 评估中心
BOB = frozenset({"district_officer"})  # 区局
EVE: frozenset[str] = frozenset()


def test_a_warning_from_draft_to_lifted() -> None:
    state = WARNING_MACHINE.initial
    for action, roles in [
        ("submit", DANA),
        ("approve", ALICE),
        ("publish", ALICE),
        ("update", ALICE),
        ("lift", ALICE),
    ]:
        state = WARNING_MACHINE.apply(state, action, roles).target
    assert state == "lifted"


def test_rejected_warning_is_revised_to_draft() -> None:
    t = WARNING_MACHINE.apply("in_review", "reject", ALICE)
    assert t.target == "rejected"
    assert WARNING_MACHINE.apply("rejected", "revise", BOB).target == "draft"


def test_an_analyst_cannot_approve() -> None:
    with pytest.raises(TransitionNotAllowed) as info:
        WARNING_MACHINE.apply("in_review", "approve", DANA)
    assert info.value.message_zh == "您的角色无权在“待审批”状态下执行“批准”操作"
    assert (info.value.state, info.value.action) == ("in_review", "approve")


def test_wrong_state_is_named() -> None:
    with pytest.raises(TransitionNotAllowed) as info:
        WARNING_MACHINE.apply("draft", "publish", ALICE)
    assert info.value.message_zh == "当前状态为“草稿”，不能执行“发布”操作"


def test_unknown_state_and_action() -> None:
    with pytest.raises(TransitionNotAllowed, match="未知状态"):
        WARNING_MACHINE.apply("nowhere", "submit", ALICE)
    with pytest.raises(TransitionNotAllowed, match="未知操作"):
        WARNING_MACHINE.apply("draft", "explode", ALICE)


def test_available_lists_what_the_user_may_do() -> None:
    assert [t.action for t in WARNING_MACHINE.available("in_review", ALICE)] == [
        "approve",
        "reject",
    ]
    assert WARNING_MACHINE.available("in_review", DANA) == []
    assert WARNING_MACHINE.available("in_review", EVE) == []
    assert [t.action for t in DISPOSAL_MACHINE.available("reported", ALICE)] == [
        "close",
        "reopen",
    ]
    assert [t.action for t in DISPOSAL_MACHINE.available("reported", BOB)] == []


def test_a_disposal_with_its_written_report() -> None:
    state = DISPOSAL_MACHINE.initial
    for action, roles in [
        ("start", BOB),
        ("complete", BOB),
        ("report", BOB),
        ("reopen", ALICE),
        ("complete", BOB),
        ("report", BOB),
        ("close", ALICE),
    ]:
        state = DISPOSAL_MACHINE.apply(state, action, roles).target
    assert state == "closed"


def test_escalation_keeps_the_state_and_is_for_the_system() -> None:
    system = frozenset({"system"})
    assert DISPOSAL_MACHINE.apply("open", "escalate", system).target == "open"
    assert DISPOSAL_MACHINE.apply("in_progress", "escalate", ALICE).target == "in_progress"
    with pytest.raises(TransitionNotAllowed):
        DISPOSAL_MACHINE.apply("in_progress", "escalate", BOB)
    with pytest.raises(TransitionNotAllowed):
        DISPOSAL_MACHINE.apply("completed", "escalate", system)


def test_state_labels() -> None:
    assert WARNING_MACHINE.states == {
        "draft": "草稿",
        "in_review": "待审批",
        "approved": "已批准",
        "published": "已发布",
        "lifted": "已解除",
        "rejected": "已退回",
    }
    assert DISPOSAL_MACHINE.states == {
        "open": "待处置",
        "in_progress": "处置中",
        "completed": "处置完成",
        "reported": "已报告",
        "closed": "已办结",
    }


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_is_reachable_from_the_initial_one(machine: StateMachine) -> None:
    assert machine.reachable() == set(machine.states)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_no_transition_to_an_unknown_state_and_known_roles_only(machine: StateMachine) -> None:
    for t in machine.transitions:
        assert t.source in machine.states and t.target in machine.states
        assert t.roles and t.roles <= ROLES
        assert t.label


def test_the_table_is_checked_when_built() -> None:
    t = Transition("go", "a", "b", "前往", frozenset({"analyst"}))
    with pytest.raises(ValueError, match="unknown state"):
        StateMachine("m", {"a": "甲"}, "a", [t])
    with pytest.raises(ValueError, match="two transitions"):
        StateMachine("m", {"a": "甲", "b": "乙"}, "a", [t, t])


role_sets = st.frozensets(st.sampled_from(sorted(ROLES)))


@given(st.sampled_from(MACHINES), st.data())
def test_apply_is_deterministic_and_stays_in_known_states(
    machine: StateMachine, data: st.DataObject
) -> None:
    state = machine.initial
    actions = sorted(machine.actions)
    for _ in range(data.draw(st.integers(0, 12))):
        action = data.draw(st.sampled_from(actions))
        roles = data.draw(role_sets)
        outcomes = []
        for _ in range(2):
            try:
                outcomes.append(machine.apply(state, action, roles))
            except TransitionNotAllowed as exc:
                assert exc.message_zh
                outcomes.append(exc.message_zh)  # type: ignore[arg-type]
        assert outcomes[0] == outcomes[1]
        allowed = {t.action for t in machine.available(state, roles)}
        assert isinstance(outcomes[0], Transition) == (action in allowed)
        if isinstance(outcomes[0], Transition):
            state = outcomes[0].target
        assert state in machine.states
