"""The draw of experts (pqrisk.core.assessment.draw): who is in the pool, who must stand
aside and why, the seeded order and replacements. No database."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pqrisk.core.assessment.draw import (
    Availability,
    Candidate,
    CaseFacts,
    Criteria,
    DrawError,
    MatchMode,
    Rule,
    draw,
    exclusion_reasons,
    mentions,
    new_seed,
    next_replacement,
    same_organisation,
    seeded_order,
)

TODAY = date(2026, 3, 10)
MAKER = "上海晶澜电器有限公司"
HEATER = CaseFacts(family=1, hazard=7, enterprise_id=42, enterprise_name=MAKER)


def expert(i: int, **changes: object) -> Candidate:
    base = Candidate(i, f"专家{i}", organisation="上海某大学", families=frozenset({1}))
    return replace(base, **changes)  # type: ignore[arg-type]


def rules(c: Candidate, case: CaseFacts = HEATER, today: date = TODAY) -> set[Rule]:
    return {r.rule for r in exclusion_reasons(c, case, today=today)}


# ---------------------------------------------------------------- avoidance rules


def test_a_clean_expert_has_no_reason_to_stand_aside() -> None:
    assert rules(expert(1)) == set()


def test_conflicts_of_interest_are_found_three_ways() -> None:
    assert rules(expert(1, conflict_enterprises=frozenset({42}))) == {Rule.CONFLICT_DECLARED}
    assert rules(expert(1, employer="晶澜电器（上海）有限公司")) == {Rule.CONFLICT_EMPLOYER}
    declared = expert(1, declaration="2024年曾为上海晶澜电器有限公司提供产品设计咨询")
    assert rules(declared) == {Rule.CONFLICT_STATEMENT}
    by_short_name = expert(1, declaration="与晶澜电器有长期合作")
    assert rules(by_short_name) == {Rule.CONFLICT_STATEMENT}


def test_the_same_organisation_is_recognised_by_its_name() -> None:
    assert rules(expert(1, organisation=MAKER)) == {Rule.SAME_ORGANISATION}
    assert rules(expert(1, organisation="上海晶澜电器有限公司质量部")) == {Rule.SAME_ORGANISATION}
    assert rules(expert(1, organisation="晶澜电器（上海）有限公司")) == {Rule.SAME_ORGANISATION}
    assert rules(expert(1, organisation="上海华东电器有限公司")) == set()
    # without an enterprise on the case nothing can conflict
    assert rules(expert(1, organisation=MAKER), CaseFacts(family=1)) == set()


@pytest.mark.parametrize(
    ("organisation", "enterprise", "same"),
    [
        (MAKER, MAKER, True),
        ("晶澜电器", MAKER, True),
        ("上海晶澜电器有限公司浦东分公司", MAKER, True),
        ("同济大学", MAKER, False),
        ("", MAKER, False),
        (MAKER, "", False),
    ],
)
def test_same_organisation(organisation: str, enterprise: str, same: bool) -> None:
    assert same_organisation(organisation, enterprise) is same


def test_a_short_name_is_not_looked_for_in_a_declaration() -> None:
    assert not mentions("与某公司无利益关系", "某公司")
    assert mentions("曾任上海晶澜电器有限公司顾问", MAKER)


def test_availability() -> None:
    assert rules(expert(1, availability=Availability.RETIRED)) == {Rule.RETIRED}
    away = expert(1, availability=Availability.UNAVAILABLE, unavailable_until=TODAY)
    assert rules(away) == {Rule.UNAVAILABLE}  # until and including that day
    assert rules(away, today=TODAY + timedelta(days=1)) == set()
    assert rules(expert(1, availability=Availability.UNAVAILABLE)) == {Rule.UNAVAILABLE}


def test_recently_drawn_for_another_case() -> None:
    drawn = expert(1, last_drawn_on=TODAY - timedelta(days=29), last_drawn_case="PG-2026-0001")
    (reason,) = exclusion_reasons(drawn, HEATER, today=TODAY, recent_days=30)
    assert reason.rule is Rule.RECENTLY_DRAWN and "PG-2026-0001" in reason.text
    month_ago = expert(1, last_drawn_on=TODAY - timedelta(days=30))
    assert exclusion_reasons(month_ago, HEATER, today=TODAY, recent_days=30) == ()
    assert exclusion_reasons(drawn, HEATER, today=TODAY, recent_days=0) == ()


def test_every_reason_is_kept_most_serious_first() -> None:
    c = expert(
        1,
        availability=Availability.RETIRED,
        organisation=MAKER,
        last_drawn_on=TODAY,
        conflict_enterprises=frozenset({42}),
    )
    got = [r.rule for r in exclusion_reasons(c, HEATER, today=TODAY)]
    assert got == [
        Rule.RETIRED,
        Rule.CONFLICT_DECLARED,
        Rule.SAME_ORGANISATION,
        Rule.RECENTLY_DRAWN,
    ]


# ---------------------------------------------------------------- the pool


def test_matching_modes() -> None:
    family_only = expert(1)
    hazard_only = expert(2, families=frozenset(), hazards=frozenset({7}))
    both = expert(3, hazards=frozenset({7}))
    neither = expert(4, families=frozenset({9}))
    experts = [family_only, hazard_only, both, neither]

    def pool(mode: MatchMode, case: CaseFacts = HEATER) -> tuple[int, ...]:
        return draw(experts, case, Criteria(size=5, match=mode), seed=1, today=TODAY).pool

    assert pool(MatchMode.ANY) == (1, 2, 3)
    assert pool(MatchMode.ALL) == (3,)
    assert pool(MatchMode.FAMILY) == (1, 3)
    assert pool(MatchMode.HAZARD) == (2, 3)
    # a case without a hazard: "all" falls back to the family, with a note
    no_hazard = CaseFacts(family=1)
    result = draw(experts, no_hazard, Criteria(size=5, match=MatchMode.ALL), seed=1, today=TODAY)
    assert result.pool == (1, 3) and "未确定危害" in result.notes[0]
    with pytest.raises(DrawError, match="未确定危害类型"):
        pool(MatchMode.HAZARD, no_hazard)
    # a case with neither: everyone
    assert pool(MatchMode.ANY, CaseFacts()) == (1, 2, 3, 4)


def test_a_draw_takes_the_first_of_the_seeded_order_and_records_the_rest() -> None:
    experts = [expert(i) for i in range(1, 9)] + [expert(9, organisation=MAKER)]
    result = draw(experts, HEATER, Criteria(size=3), seed=2026, today=TODAY)
    assert result.pool == tuple(range(1, 10))
    assert [x.expert_id for x in result.excluded] == [9]
    assert result.order == tuple(seeded_order(range(1, 9), 2026))
    assert result.selected == result.order[:3] and result.reserve == result.order[3:]
    assert result.shortfall == 0 and result.notes == ()


def test_the_order_is_sha256_of_seed_and_id() -> None:
    ids = [3, 1, 2]
    by_hand = sorted(ids, key=lambda i: hashlib.sha256(f"77:{i}".encode()).hexdigest())
    assert seeded_order(ids, 77) == by_hand


def test_too_few_experts_is_said() -> None:
    result = draw([expert(1), expert(2)], HEATER, Criteria(size=5), seed=3, today=TODAY)
    assert len(result.selected) == 2 and result.shortfall == 3
    assert "仅2人" in result.notes[0]


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"size": 0}, "抽取人数"),
        ({"size": 99}, "抽取人数"),
        ({"recent_days": -1}, "回避天数"),
        ({"match": "some"}, "匹配方式"),
    ],
)
def test_bad_criteria(criteria: dict[str, object], message: str) -> None:
    with pytest.raises(DrawError, match=message):
        Criteria(**criteria)  # type: ignore[arg-type]


def test_bad_seed_and_duplicate_ids() -> None:
    with pytest.raises(DrawError, match="随机种子"):
        draw([expert(1)], HEATER, Criteria(), seed=-1, today=TODAY)
    with pytest.raises(DrawError, match="重复"):
        draw([expert(1), expert(1)], HEATER, Criteria(), seed=1, today=TODAY)


def test_new_seeds_differ() -> None:
    assert len({new_seed() for _ in range(20)}) > 1


# ---------------------------------------------------------------- replacement


def test_replacement_skips_the_used_and_those_now_excluded() -> None:
    order = [5, 3, 8, 1]
    away = {8: (exclusion_reasons(expert(8, availability="retired"), HEATER, today=TODAY))}
    found = next_replacement(order, used=[5, 3], reasons_for=lambda i: away.get(i, ()))
    assert (found.expert_id, found.position) == (1, 4)
    assert [x.expert_id for x in found.skipped] == [8]
    assert next_replacement(order, used=order, reasons_for=lambda i: ()).expert_id is None


# ---------------------------------------------------------------- properties

ids = st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=40)
seeds = st.integers(min_value=0, max_value=10**12)


@given(ids, seeds)
def test_seeded_order_is_a_permutation_and_repeatable(xs: list[int], seed: int) -> None:
    order = seeded_order(xs, seed)
    assert sorted(order) == sorted(xs)
    assert seeded_order(list(reversed(xs)), seed) == order


@given(ids, seeds, st.data())
def test_leaving_an_expert_out_keeps_the_others_order(
    xs: list[int], seed: int, data: st.DataObject
) -> None:
    subset = data.draw(st.lists(st.sampled_from(xs), unique=True) if xs else st.just([]))
    assert seeded_order(subset, seed) == [i for i in seeded_order(xs, seed) if i in subset]


candidates = st.builds(
    Candidate,
    id=st.integers(min_value=1, max_value=60),
    name=st.just("专家"),
    organisation=st.sampled_from(["同济大学", MAKER, "上海晶澜电器有限公司质量部", ""]),
    employer=st.sampled_from(["", "晶澜电器（上海）有限公司", "华东电器有限公司"]),
    families=st.frozensets(st.integers(1, 3), max_size=2),
    hazards=st.frozensets(st.integers(6, 8), max_size=2),
    conflict_enterprises=st.frozensets(st.sampled_from([41, 42, 43]), max_size=2),
    declaration=st.sampled_from(["", "无", "曾为上海晶澜电器有限公司提供咨询"]),
    availability=st.sampled_from(list(Availability)),
    unavailable_until=st.none() | st.dates(TODAY - timedelta(days=5), TODAY + timedelta(days=5)),
    last_drawn_on=st.none() | st.dates(TODAY - timedelta(days=60), TODAY),
)
pools = st.lists(candidates, unique_by=lambda c: c.id, max_size=25)


@given(pools, st.integers(1, 15), st.sampled_from(list(MatchMode)), seeds)
def test_a_draw_never_picks_an_excluded_expert(
    experts: list[Candidate], size: int, mode: MatchMode, seed: int
) -> None:
    result = draw(experts, HEATER, Criteria(size=size, match=mode), seed=seed, today=TODAY)
    by_id = {c.id: c for c in experts}
    excluded = {x.expert_id for x in result.excluded}
    assert excluded | set(result.order) == set(result.pool)
    assert not excluded & set(result.order)
    for i in result.selected:
        assert exclusion_reasons(by_id[i], HEATER, today=TODAY) == ()
    assert len(result.selected) == min(size, len(result.order))
    assert result.selected == result.order[: len(result.selected)]
    # the same seed over the same experts, in any order, draws the same
    again = draw(list(reversed(experts)), HEATER, Criteria(size, mode), seed=seed, today=TODAY)
    assert again == result
