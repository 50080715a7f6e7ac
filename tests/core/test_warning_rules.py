"""Warning colour, modes, issuers, deadlines, disposal and routing (METHODS §2, §3)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.levels import (
    WARNING_TERMS,
    Attention,
    DisposalRoute,
    RiskLevel,
    Scope,
    Urgency,
    WarningLevel,
    WarningMode,
)
from pqrisk.core.warning.rules import (
    DEFAULT_POLICY,
    IssuerNotAllowed,
    PolicyError,
    WarningPolicy,
    check_issuer,
    decide_colour,
    disposal_plan,
    may_issue,
    policy_with_overrides,
    propose_warning,
    publication_deadline,
    raise_colour,
    route_for_finding,
    rules_tables,
    urgency_of,
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


# Every combination's colour under the default rules (METHODS §2): serious → red, high →
# orange, medium → yellow, low → green; one colour up when the scope is city-wide, attention
# very high or urgency 紧急 — one colour in all however many hold; never above red.
# Columns: attention 一般 | 较高 | 很高, each with urgency 一般 较急 紧急.
COLOUR_TABLE = """
serious city            r r r  r r r  r r r
serious multi_district  r r r  r r r  r r r
serious district        r r r  r r r  r r r
serious enterprise      r r r  r r r  r r r
high    city            r r r  r r r  r r r
high    multi_district  o o r  o o r  r r r
high    district        o o r  o o r  r r r
high    enterprise      o o r  o o r  r r r
medium  city            o o o  o o o  o o o
medium  multi_district  y y o  y y o  o o o
medium  district        y y o  y y o  o o o
medium  enterprise      y y o  y y o  o o o
low     city            y y y  y y y  y y y
low     multi_district  g g y  g g y  y y y
low     district        g g y  g g y  y y y
low     enterprise      g g y  g g y  y y y
"""
_LETTER = {"r": RED, "o": ORANGE, "y": YELLOW, "g": GREEN}
_ATTENTIONS = (Attention.NORMAL, Attention.HIGH, Attention.VERY_HIGH)
_URGENCIES = (Urgency.ROUTINE, Urgency.PRESSING, Urgency.URGENT)


def _table_rows() -> list[tuple[RiskLevel, Scope, Attention, Urgency, WarningLevel]]:
    rows = []
    for line in COLOUR_TABLE.strip().splitlines():
        risk, scope, *letters = line.split()
        cells = iter(letters)
        for attention in _ATTENTIONS:
            for urgency in _URGENCIES:
                colour = _LETTER[next(cells)]
                rows.append((RiskLevel(risk), Scope(scope), attention, urgency, colour))
    return rows


def test_table_covers_every_combination() -> None:
    rows = _table_rows()
    assert len(rows) == len(RiskLevel) * len(Scope) * len(Attention) * len(Urgency) == 144
    assert len({r[:4] for r in rows}) == 144


@pytest.mark.parametrize(("risk", "scope", "attention", "urgency", "colour"), _table_rows())
def test_colour_of_every_combination(
    risk: RiskLevel, scope: Scope, attention: Attention, urgency: Urgency, colour: WarningLevel
) -> None:
    assert decide_colour(risk, scope, attention, urgency).level is colour
    assert propose_warning(risk, scope, attention, urgency=urgency).level is colour


def _rules(risk: RiskLevel, scope: Scope, attention: Attention, urgency: Urgency) -> list[str]:
    return [r.rule for r in decide_colour(risk, scope, attention, urgency).fired]


def test_city_wide_scope_raises_one_colour() -> None:
    d = decide_colour(RiskLevel.MEDIUM, Scope.CITY, Attention.NORMAL, Urgency.ROUTINE)
    assert (d.base, d.level) == (YELLOW, ORANGE)
    assert [r.rule for r in d.fired] == ["base", "scope"]
    assert d.fired[1].explanation == "影响范围为全市，上调1级"
    # Several districts is not city-wide.
    assert decide_colour(RiskLevel.MEDIUM, Scope.MULTI_DISTRICT, Attention.NORMAL).level is YELLOW


def test_very_high_attention_raises_one_colour() -> None:
    d = decide_colour(RiskLevel.LOW, Scope.ENTERPRISE, Attention.VERY_HIGH)
    assert (d.base, d.level) == (GREEN, YELLOW)
    assert [r.rule for r in d.fired] == ["base", "attention"]
    assert d.fired[1].explanation == "社会关注度很高，上调1级"
    assert decide_colour(RiskLevel.LOW, Scope.ENTERPRISE, Attention.HIGH).level is GREEN


def test_urgent_raises_one_colour_pressing_does_not() -> None:
    assert (
        decide_colour(RiskLevel.HIGH, Scope.DISTRICT, Attention.NORMAL, Urgency.URGENT).level is RED
    )
    assert _rules(RiskLevel.HIGH, Scope.DISTRICT, Attention.NORMAL, Urgency.URGENT) == [
        "base",
        "urgency",
    ]
    assert (
        decide_colour(RiskLevel.HIGH, Scope.DISTRICT, Attention.NORMAL, Urgency.PRESSING).level
        is ORANGE
    )


def test_several_raising_rules_raise_one_colour_in_all() -> None:
    d = decide_colour(RiskLevel.LOW, Scope.CITY, Attention.VERY_HIGH, Urgency.URGENT)
    assert d.level is YELLOW
    assert [r.rule for r in d.fired] == ["base", "scope", "attention", "urgency", "max_raise"]
    assert d.fired[-1].explanation == "上调合计不超过1级，按1级上调"


def test_never_above_red() -> None:
    d = decide_colour(RiskLevel.SERIOUS, Scope.CITY, Attention.VERY_HIGH, Urgency.URGENT)
    assert d.level is RED
    assert d.fired[-1].rule == "red_cap"
    assert d.fired[-1].explanation == "红色预警已为最高预警等级，不再上调"
    policy = policy_with_overrides({"raise_steps": 3, "max_raise_steps": 9})
    assert (
        decide_colour(RiskLevel.HIGH, Scope.CITY, Attention.VERY_HIGH, policy=policy).level is RED
    )


def test_inputs_and_fired_rules_are_reported() -> None:
    p = propose_warning(RiskLevel.HIGH, Scope.CITY, Attention.HIGH, urgency=Urgency.PRESSING)
    assert [(i.name, i.value) for i in p.inputs] == [
        ("risk_level", "high"),
        ("urgency", "pressing"),
        ("scope", "city"),
        ("attention", "high"),
    ]
    assert [i.explanation for i in p.inputs] == [
        "风险等级：高风险（需要尽快采取措施）",
        "紧急程度：较急（风险信号呈上升趋势，短期内可能造成伤害）",
        "影响范围：全市（涉及全市或多数区）",
        "社会关注度：较高（媒体有报道或投诉集中）",
    ]
    assert [(r.rule, r.steps, r.explanation) for r in p.fired] == [
        ("base", 0, "风险等级为高风险，对应橙色预警"),
        ("scope", 1, "影响范围为全市，上调1级"),
    ]
    d = decide_colour(RiskLevel.HIGH, Scope.CITY, Attention.HIGH, Urgency.PRESSING)
    assert d.basis.startswith("依据：风险等级：高风险（需要尽快采取措施）；紧急程度：较急")
    assert d.basis.endswith("风险等级为高风险，对应橙色预警；影响范围为全市，上调1级。")
    assert "影响范围为全市，预警等级由橙色预警上调为红色预警" in p.reasons


def test_no_raise_is_explained() -> None:
    p = propose_warning(RiskLevel.MEDIUM, Scope.DISTRICT, Attention.HIGH)
    assert [r.rule for r in p.fired] == ["base"]
    assert "影响范围为单区，社会关注度较高，紧急程度一般，不上调预警等级" in p.reasons


@pytest.mark.parametrize(
    ("injury", "rising", "urgency"),
    [
        (True, True, Urgency.URGENT),
        (True, False, Urgency.URGENT),
        (False, True, Urgency.PRESSING),
        (False, False, Urgency.ROUTINE),
    ],
)
def test_urgency_from_evidence(injury: bool, rising: bool, urgency: Urgency) -> None:
    assert urgency_of(injury_occurred=injury, signals_rising=rising) is urgency


_RISKS = st.sampled_from(list(RiskLevel))
_SCOPES = st.sampled_from(list(Scope))
_ATTENTION = st.sampled_from(list(Attention))
_URGENCY = st.sampled_from(list(Urgency))


@st.composite
def _policies(draw: st.DrawFn) -> WarningPolicy:
    """Policies with any thresholds, steps and cap (the default mapping)."""
    return policy_with_overrides(
        {
            "raise_for_scopes": draw(st.sampled_from([None, *(s.value for s in Scope)])),
            "raise_for_attention": draw(st.sampled_from([None, *(a.value for a in Attention)])),
            "raise_for_urgency": draw(st.sampled_from([None, *(u.value for u in Urgency)])),
            "raise_steps": draw(st.integers(0, 3)),
            "max_raise_steps": draw(st.sampled_from([None, 0, 1, 2, 3])),
        }
    )


_M = TypeVar("_M", RiskLevel, Scope, Attention, Urgency)


def _higher(x: _M, y: _M) -> _M:
    return x if x.rank >= y.rank else y


@given(
    st.tuples(_RISKS, _SCOPES, _ATTENTION, _URGENCY),
    st.tuples(_RISKS, _SCOPES, _ATTENTION, _URGENCY),
    st.one_of(st.just(DEFAULT_POLICY), _policies()),
)
def test_colour_is_monotone(
    a: tuple[RiskLevel, Scope, Attention, Urgency],
    b: tuple[RiskLevel, Scope, Attention, Urgency],
    policy: WarningPolicy,
) -> None:
    # ``high`` takes the higher of each input: at least as much risk, breadth, attention and
    # urgency as ``a``, so never a lower colour.
    high = (_higher(a[0], b[0]), _higher(a[1], b[1]), _higher(a[2], b[2]), _higher(a[3], b[3]))
    low_colour = decide_colour(*a, policy=policy).level
    high_colour = decide_colour(*high, policy=policy).level
    assert high_colour.rank >= low_colour.rank
    base = policy.colour_for[a[0]]
    assert base.rank <= low_colour.rank <= min(base.rank + policy.raise_cap, RED.rank)


def test_policy_overrides_change_thresholds() -> None:
    policy = policy_with_overrides(
        {
            "colour_for": {"medium": "orange"},
            "raise_for_scopes": "multi_district",
            "raise_for_attention": ["high", "very_high"],
            "raise_for_urgency": [],
            "max_raise_steps": 2,
        }
    )
    assert policy.raise_for_scopes == {Scope.CITY, Scope.MULTI_DISTRICT}
    assert (
        decide_colour(RiskLevel.MEDIUM, Scope.DISTRICT, Attention.NORMAL, policy=policy).level
        is ORANGE
    )
    assert (
        decide_colour(RiskLevel.LOW, Scope.MULTI_DISTRICT, Attention.HIGH, policy=policy).level
        is ORANGE
    )
    assert (
        decide_colour(
            RiskLevel.LOW, Scope.ENTERPRISE, Attention.NORMAL, Urgency.URGENT, policy
        ).level
        is GREEN
    )
    # Unchanged settings keep their defaults.
    assert policy.publish_within_hours == DEFAULT_POLICY.publish_within_hours
    assert policy_with_overrides({}) is DEFAULT_POLICY


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"raise_when": "city"}, "unknown warning policy setting 'raise_when'"),
        ({"colour_for": {"high": "purple"}}, "'colour_for'"),
        ({"colour_for": {"low": "red"}}, "must not give 'medium' a lower colour than 'low'"),
        ({"raise_for_scopes": ["district"]}, "raise_for_scopes must include every value above"),
        ({"raise_steps": -1}, "must not be negative"),
    ],
)
def test_bad_policy_overrides_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy_with_overrides(overrides)


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


@pytest.mark.parametrize("level", [RED, ORANGE])
def test_district_may_not_issue_city_colours(level: WarningLevel) -> None:
    with pytest.raises(IssuerNotAllowed) as raised:
        check_issuer(level, issuer_is_city=False)
    assert raised.value.message_zh == f"{level.label}只能由市局发布，区局不能发布{level.label}"
    check_issuer(level, issuer_is_city=True)


def test_red_refused_to_a_district_officer() -> None:
    with pytest.raises(IssuerNotAllowed, match="红色预警只能由市局发布，区局不能发布红色预警"):
        check_issuer(RED, issuer_is_city=False)


@pytest.mark.parametrize("level", [YELLOW, GREEN])
def test_city_or_district_may_issue(level: WarningLevel) -> None:
    check_issuer(level, issuer_is_city=False)
    check_issuer(level, issuer_is_city=True)


def test_terms_table_is_the_one_source() -> None:
    assert [WARNING_TERMS[lv].issuer_label for lv in WarningLevel] == [
        "仅市局",
        "仅市局",
        "市局或区局",
        "市局或区局",
    ]
    for level, terms in WARNING_TERMS.items():
        assert level.terms is terms
        assert (level.issuer, level.publish_within_hours, level.disposal) == (
            terms.issuer,
            terms.publish_within_hours,
            terms.disposal,
        )
        assert [step for step, _ in terms.procedure] == [
            "draft",
            "review",
            "approve",
            "publish",
            "update",
            "lift",
        ]
        assert DEFAULT_POLICY.modes_for[level] == terms.modes
        assert DEFAULT_POLICY.publish_within_hours[level] == terms.publish_within_hours
        assert may_issue(level, issuer_is_city=False) is (terms.issuer == "district")
    assert RED.terms.procedure_label == "起草 → 审核 → 市局批准 → 发布 → 更新 → 解除"
    assert GREEN.terms.audience_label == "风险通报（监管部门）"


@pytest.mark.parametrize(("level", "hours"), [(RED, 2), (ORANGE, 12), (YELLOW, 24), (GREEN, 72)])
def test_deadline_per_colour_from_the_decision(level: WarningLevel, hours: int) -> None:
    decided = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)
    assert publication_deadline(level, decided) == decided + timedelta(hours=hours)
    faster = policy_with_overrides({"publish_within_hours": {level.value: 1}})
    assert publication_deadline(level, decided, faster) == decided + timedelta(hours=1)


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


def test_docs_show_the_tables_of_the_code() -> None:
    # Regenerate with: python -m pqrisk.core.warning.rules
    doc = Path(__file__).resolve().parents[2] / "docs" / "warnings.md"
    text = doc.read_text(encoding="utf-8")
    assert "## 预警分级规则" in text
    assert rules_tables() in text
