"""Warning colour, modes, issuers, deadlines, disposal and routing (METHODS §2, §3)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.levels import Attention, DisposalRoute, RiskLevel, Scope, WarningLevel, WarningMode
from pqrisk.core.warning.rules import (
    DEFAULT_POLICY,
    WarningPolicy,
    disposal_plan,
    may_issue,
    propose_warning,
    publication_deadline,
    raise_colour,
    route_for_finding,
)

RED, ORANGE, YELLOW, GREEN = (
    WarningLevel.RED,
    WarningLevel.ORANGE,
    WarningLevel.YELLOW,
    WarningLevel.GREEN,
)
IN = WarningMode.INTERNAL_NOTICE
IW = WarningMode.INDUSTRY_WARNING
CA = WarningMode.CONSUMER_ADVISORY


@pytest.mark.parametrize(
    ("risk", "colour"),
    [
        (RiskLevel.SERIOUS, RED),
        (RiskLevel.HIGH, ORANGE),
        (RiskLevel.MEDIUM, YELLOW),
        (RiskLevel.LOW, GREEN),
    ],
)
def test_default_mapping(risk: RiskLevel, colour: WarningLevel) -> None:
    p = propose_warning(risk, Scope.DISTRICT, Attention.NORMAL)
    assert p.level is colour
    assert p.reasons[0] == f"风险等级为{risk.label}，对应{colour.label}"


@pytest.mark.parametrize(
    ("risk", "scope", "attention", "colour"),
    [
        (RiskLevel.HIGH, Scope.CITY, Attention.NORMAL, RED),
        (RiskLevel.MEDIUM, Scope.DISTRICT, Attention.VERY_HIGH, ORANGE),
        (RiskLevel.LOW, Scope.CITY, Attention.VERY_HIGH, YELLOW),  # one raise only
        (RiskLevel.SERIOUS, Scope.CITY, Attention.VERY_HIGH, RED),  # never above red
        (RiskLevel.MEDIUM, Scope.MULTI_DISTRICT, Attention.HIGH, YELLOW),
    ],
)
def test_raise_one_colour(
    risk: RiskLevel, scope: Scope, attention: Attention, colour: WarningLevel
) -> None:
    assert propose_warning(risk, scope, attention).level is colour


def test_raise_is_explained() -> None:
    p = propose_warning(RiskLevel.HIGH, Scope.CITY, Attention.VERY_HIGH)
    assert "影响范围为全市且社会关注度很高，预警等级由橙色预警上调为红色预警" in p.reasons
    assert "红色预警由市局发布" in p.reasons


@pytest.mark.parametrize(
    ("risk", "modes"),
    [
        (RiskLevel.SERIOUS, (IN, IW, CA)),
        (RiskLevel.HIGH, (IN, IW, CA)),
        (RiskLevel.MEDIUM, (IN, IW)),
        (RiskLevel.LOW, (IN,)),
    ],
)
def test_modes_by_colour(risk: RiskLevel, modes: tuple[WarningMode, ...]) -> None:
    assert propose_warning(risk, Scope.DISTRICT, Attention.NORMAL).modes == modes


@given(
    st.sampled_from(list(RiskLevel)),
    st.sampled_from(list(Scope)),
    st.sampled_from(list(Attention)),
)
def test_proposal_properties(risk: RiskLevel, scope: Scope, attention: Attention) -> None:
    p = propose_warning(risk, scope, attention)
    base = DEFAULT_POLICY.colour_for[risk]
    assert base.rank <= p.level.rank <= min(base.rank + 1, RED.rank)
    assert IN in p.modes
    assert p.reasons and all(p.reasons)
    # More risk never gives a lower colour.
    for other in RiskLevel:
        if other.rank >= risk.rank:
            assert propose_warning(other, scope, attention).level.rank >= p.level.rank


def test_policy_can_be_overridden() -> None:
    policy = dataclasses.replace(DEFAULT_POLICY, raise_for_scopes=frozenset())
    assert propose_warning(RiskLevel.HIGH, Scope.CITY, Attention.NORMAL, policy).level is ORANGE
    assert WarningPolicy().raise_steps == 1


def test_raise_colour_caps_at_red() -> None:
    assert raise_colour(GREEN) is YELLOW
    assert raise_colour(GREEN, 3) is RED
    assert raise_colour(RED, 5) is RED


@pytest.mark.parametrize(
    ("level", "city", "allowed"),
    [
        (RED, True, True),
        (RED, False, False),
        (ORANGE, True, True),
        (ORANGE, False, False),
        (YELLOW, False, True),
        (GREEN, False, True),
        (YELLOW, True, True),
    ],
)
def test_may_issue(level: WarningLevel, city: bool, allowed: bool) -> None:
    assert may_issue(level, issuer_is_city=city) is allowed


def test_publication_deadline() -> None:
    approved = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    assert publication_deadline(RED, approved) == approved + timedelta(hours=2)
    assert publication_deadline(ORANGE, approved) == approved + timedelta(hours=12)
    assert publication_deadline(YELLOW, approved) == approved + timedelta(hours=24)
    assert publication_deadline(GREEN, approved) == approved + timedelta(hours=72)


def test_disposal_plans() -> None:
    for level in (RED, ORANGE):
        plan = disposal_plan(level)
        assert plan.organiser == "city" and plan.immediate and plan.needs_task
        assert plan.due_within_hours == 72
        assert plan.report_within_hours_after_completion is None
    yellow = disposal_plan(YELLOW)
    assert yellow.organiser == "district" and not yellow.immediate and yellow.needs_task
    assert yellow.report_within_hours_after_completion == 24
    assert yellow.due_within_hours == 168
    green = disposal_plan(GREEN)
    assert not green.needs_task and green.due_within_hours is None


NO_FINDING = dict(
    licensed_producer=False,
    ccc_product=False,
    suspected_violation=False,
    defect_endangers_safety=False,
    standard_gap=False,
    cross_region=False,
)


@pytest.mark.parametrize(
    ("flag", "route"),
    [
        ("licensed_producer", DisposalRoute.INSPECTION),
        ("ccc_product", DisposalRoute.CERTIFICATION),
        ("suspected_violation", DisposalRoute.ENFORCEMENT),
        ("defect_endangers_safety", DisposalRoute.RECALL),
        ("standard_gap", DisposalRoute.STANDARDS),
        ("cross_region", DisposalRoute.YRD_SHARING),
    ],
)
def test_each_finding_has_its_route(flag: str, route: DisposalRoute) -> None:
    assert route_for_finding(**{**NO_FINDING, flag: True}) == (route,)


def test_nothing_found_means_monitoring() -> None:
    assert route_for_finding(**NO_FINDING) == (DisposalRoute.MONITOR,)


@given(st.fixed_dictionaries({k: st.booleans() for k in NO_FINDING}))
def test_routes_are_unique_and_ordered(flags: dict[str, bool]) -> None:
    routes = route_for_finding(**flags)
    order = list(DisposalRoute)
    assert routes and len(set(routes)) == len(routes)
    assert [order.index(r) for r in routes] == sorted(order.index(r) for r in routes)
    assert (DisposalRoute.MONITOR in routes) == (not any(flags.values()))
