"""Explicit transition tables for the warning and disposal workflows.

A workflow is a table of transitions (action, source, target, Chinese label, roles allowed).
The Django side asks ``available()`` what a user may do and calls ``apply()`` before saving a
new state; nothing else decides who may move what. The procedure draft → review → approve →
publish → update → lift is the Shanghai guidance's (METHODS.md §2); disposal with its written
report after completion is METHODS.md §3. Who may issue a red warning is checked separately
(``pqrisk.core.warning.rules.may_issue``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

# Role codes as the accounts app spells them.
CITY_ADMIN = "city_admin"
CITY_SUPERVISOR = "city_supervisor"
ANALYST = "analyst"
DISTRICT_OFFICER = "district_officer"
EXPERT = "expert"
STATION = "station"
SYSTEM = "system"
ROLES = frozenset({CITY_ADMIN, CITY_SUPERVISOR, ANALYST, DISTRICT_OFFICER, EXPERT, STATION, SYSTEM})


class TransitionNotAllowed(Exception):
    """An action that may not be taken now; ``message_zh`` says why, for the user."""

    def __init__(self, message_zh: str, state: str, action: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.state = state
        self.action = action


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    label: str
    roles: frozenset[str]


def _role_codes(roles: Iterable[str]) -> frozenset[str]:
    """Role codes as plain strings (an Enum member counts by its value)."""
    return frozenset(str(r.value) if isinstance(r, Enum) else str(r) for r in roles)


class StateMachine:
    """A workflow: states with Chinese labels, an initial state and a transition table."""

    def __init__(
        self,
        name: str,
        states: Mapping[str, str],
        initial: str,
        transitions: Iterable[Transition],
    ) -> None:
        self.name = name
        self.states: dict[str, str] = dict(states)
        self.initial = initial
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        if initial not in self.states:
            raise ValueError(f"{name}: initial state {initial!r} is not a state")
        self._table: dict[tuple[str, str], Transition] = {}
        for t in self.transitions:
            for s in (t.source, t.target):
                if s not in self.states:
                    raise ValueError(f"{name}: transition {t.action!r} uses unknown state {s!r}")
            if not t.roles:
                raise ValueError(f"{name}: transition {t.action!r} allows no role")
            if (t.source, t.action) in self._table:
                raise ValueError(f"{name}: two transitions for {t.action!r} from {t.source!r}")
            self._table[(t.source, t.action)] = t

    def __repr__(self) -> str:
        return f"StateMachine({self.name!r})"

    @property
    def actions(self) -> dict[str, str]:
        """Every action with its Chinese label (the first label given in the table)."""
        out: dict[str, str] = {}
        for t in self.transitions:
            out.setdefault(t.action, t.label)
        return out

    def label(self, state: str) -> str:
        return self.states.get(state, state)

    def transition(self, state: str, action: str) -> Transition | None:
        """The transition for ``action`` from ``state`` whoever asks, or None."""
        return self._table.get((state, action))

    def available(self, state: str, roles: Iterable[str]) -> list[Transition]:
        """Transitions from ``state`` that a user with ``roles`` may take, in table order."""
        codes = _role_codes(roles)
        return [t for t in self.transitions if t.source == state and t.roles & codes]

    def apply(self, state: str, action: str, roles: Iterable[str]) -> Transition:
        """The transition to take, or TransitionNotAllowed with a reason in Chinese."""
        if state not in self.states:
            raise TransitionNotAllowed(f"未知状态“{state}”，不能执行操作", state, action)
        t = self._table.get((state, action))
        if t is None:
            what = self.actions.get(action)
            if what is None:
                message = f"未知操作“{action}”"
            else:
                message = f"当前状态为“{self.states[state]}”，不能执行“{what}”操作"
            raise TransitionNotAllowed(message, state, action)
        if not t.roles & _role_codes(roles):
            raise TransitionNotAllowed(
                f"您的角色无权在“{self.states[state]}”状态下执行“{t.label}”操作", state, action
            )
        return t

    def reachable(self, start: str | None = None) -> set[str]:
        """States reachable from ``start`` (default the initial state), ignoring roles."""
        seen = {start or self.initial}
        frontier = list(seen)
        while frontier:
            s = frontier.pop()
            for t in self.transitions:
                if t.source == s and t.target not in seen:
                    seen.add(t.target)
                    frontier.append(t.target)
        return seen


_DRAFTERS = frozenset({ANALYST, CITY_SUPERVISOR, CITY_ADMIN, DISTRICT_OFFICER})
_CITY = frozenset({CITY_SUPERVISOR, CITY_ADMIN})

WARNING_MACHINE = StateMachine(
    "warning",
    states={
        "draft": "草稿",
        "in_review": "待审批",
        "approved": "已批准",
        "published": "已发布",
        "lifted": "已解除",
        "rejected": "已退回",
    },
    initial="draft",
    transitions=(
        Transition("submit", "draft", "in_review", "提交审核", _DRAFTERS),
        Transition("approve", "in_review", "approved", "批准", _CITY),
        Transition("reject", "in_review", "rejected", "退回", _CITY),
        Transition("revise", "rejected", "draft", "修改", _DRAFTERS),
        Transition("publish", "approved", "published", "发布", _CITY),
        Transition("update", "published", "published", "更新", _CITY),
        Transition("lift", "published", "lifted", "解除", _CITY),
    ),
)

_DISPOSERS = frozenset({DISTRICT_OFFICER, CITY_SUPERVISOR, CITY_ADMIN})
_ESCALATORS = frozenset({SYSTEM, CITY_SUPERVISOR})

DISPOSAL_MACHINE = StateMachine(
    "disposal",
    states={
        "open": "待处置",
        "in_progress": "处置中",
        "completed": "处置完成",
        "reported": "已报告",
        "closed": "已办结",
    },
    initial="open",
    transitions=(
        Transition("start", "open", "in_progress", "开始处置", _DISPOSERS),
        Transition("complete", "in_progress", "completed", "处置完成", _DISPOSERS),
        # The written report (书面报告) after completion, METHODS §3; a report filed while
        # still in progress completes the disposal with it.
        Transition("report", "completed", "reported", "提交处置报告", _DISPOSERS),
        Transition("report", "in_progress", "reported", "提交处置报告", _DISPOSERS),
        Transition("close", "reported", "closed", "办结", _CITY),
        Transition("reopen", "reported", "in_progress", "重新处置", _CITY),
        # Deadline escalation (督办) keeps the state; the audit trail records it.
        Transition("escalate", "open", "open", "督办", _ESCALATORS),
        Transition("escalate", "in_progress", "in_progress", "督办", _ESCALATORS),
    ),
)

_ASSESSORS = frozenset({ANALYST, CITY_SUPERVISOR, CITY_ADMIN})

# The assessment case (评估任务) of the assessment centre (guidance tasks 4–7): opened from
# items, an event or a signal; assessed by the model and the matrix; reviewed by drawn
# experts; discussed at a consultation meeting (会商研判) when needed; concluded with a level.
CASE_MACHINE = StateMachine(
    "assessment_case",
    states={
        "opened": "已立项",
        "assessing": "评估中",
        "expert_review": "专家评估",
        "consultation": "会商研判",
        "concluded": "已结论",
        "cancelled": "已撤销",
    },
    initial="opened",
    transitions=(
        Transition("start", "opened", "assessing", "开始评估", _ASSESSORS),
        Transition("to_experts", "assessing", "expert_review", "提交专家评估", _ASSESSORS),
        Transition("to_meeting", "assessing", "consultation", "提交会商", _ASSESSORS),
        Transition("to_meeting", "expert_review", "consultation", "提交会商", _ASSESSORS),
        Transition("back", "expert_review", "assessing", "退回评估", _ASSESSORS),
        # A meeting cancelled or the case taken off its agenda: back to the assessors.
        Transition("back", "consultation", "assessing", "退回评估", _ASSESSORS),
        Transition("conclude", "assessing", "concluded", "形成结论", _ASSESSORS),
        Transition("conclude", "expert_review", "concluded", "形成结论", _ASSESSORS),
        # A meeting's decision concludes the case (the meeting's chair acts).
        Transition("conclude", "consultation", "concluded", "形成结论", _ASSESSORS),
        Transition("reopen", "concluded", "assessing", "重新评估", _CITY),
        Transition("cancel", "opened", "cancelled", "撤销", _ASSESSORS),
        Transition("cancel", "assessing", "cancelled", "撤销", _ASSESSORS),
    ),
)
