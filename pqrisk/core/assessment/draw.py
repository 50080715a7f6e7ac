"""Random draw of experts for an assessment case (专家随机抽取), with avoidance rules (回避).

The pool is the experts whose fields match the case (product family and/or hazard). From the
pool, the avoidance rules remove, each with its reason in Chinese:

- availability: retired from the library (已退出专家库), or unavailable (暂不可参加), until the
  date given (none: until further notice);
- conflict of interest (利益冲突): the expert declared the case's enterprise among the
  enterprises they worked with or for, their employer is the enterprise, or their free-text
  declaration names it;
- same organisation (同一单位): the expert's organisation is the case's enterprise (or one of
  its departments or branches);
- recently drawn (近期已抽取): drawn for another case, and not declined, within the last
  ``recent_days`` days (default ``RECENT_DRAW_DAYS``), so that the same few people do not sit
  on every panel and panels are hard to predict.

The experts left are put in a seeded order and the first ``size`` are drawn; the rest, in the
same order, are the reserve from which a declining expert is replaced. The order is each
expert's SHA-256 of ``"<seed>:<expert id>"``: anyone can recompute it from the recorded seed
with any SHA-256 tool, it does not depend on Python's random module or on the order the
experts are read in, and leaving an expert out does not change the others' relative order.

Names are compared as ``pqrisk.core.text.company`` matches enterprise names: place and
organisation form dropped (上海晶澜电器有限公司 and 晶澜电器（上海）有限公司 are one name).
Over-matching is the safe side of an avoidance rule: a wrongly avoided expert costs a
replacement, a missed conflict costs the assessment its credibility.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from pqrisk.core.text.company import clean_company_name, normalize_company_name

# Our choice: an expert who served on a panel within the last 30 days is not drawn again
# (a month spreads the load over a library of a few dozen experts per field). 0 disables.
RECENT_DRAW_DAYS = 30
# Our choice: five experts give a median that one outlier cannot move (METHODS has no figure).
DEFAULT_PANEL_SIZE = 5
MAX_PANEL_SIZE = 15
# Seeds are drawn below this bound: twelve digits are easy to read out and to write down.
SEED_BOUND = 10**12
# A name shorter than this is too general to look for in a free-text declaration.
MIN_NAME_IN_TEXT = 4


class DrawError(ValueError):
    """A draw that cannot be made; ``message_zh`` says why, for the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


class Availability(StrEnum):
    """Whether an expert can be drawn."""

    ACTIVE = "active"
    UNAVAILABLE = "unavailable"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return AVAILABILITY_LABELS[self]


AVAILABILITY_LABELS = {
    Availability.ACTIVE: "可参加",
    Availability.UNAVAILABLE: "暂不可参加",
    Availability.RETIRED: "已退出专家库",
}


class MatchMode(StrEnum):
    """How the experts' fields must match the case's product family and hazard."""

    ANY = "any"
    ALL = "all"
    FAMILY = "family"
    HAZARD = "hazard"

    @property
    def label(self) -> str:
        return MATCH_LABELS[self]


MATCH_LABELS = {
    MatchMode.ANY: "产品类别或危害相符",
    MatchMode.ALL: "产品类别和危害均相符",
    MatchMode.FAMILY: "仅按产品类别",
    MatchMode.HAZARD: "仅按危害",
}


class Rule(StrEnum):
    """An avoidance rule; the label names it on the draw page."""

    RETIRED = "retired"
    UNAVAILABLE = "unavailable"
    CONFLICT_DECLARED = "conflict_declared"
    CONFLICT_EMPLOYER = "conflict_employer"
    CONFLICT_STATEMENT = "conflict_statement"
    SAME_ORGANISATION = "same_organisation"
    RECENTLY_DRAWN = "recently_drawn"

    @property
    def label(self) -> str:
        return RULE_LABELS[self]


RULE_LABELS = {
    Rule.RETIRED: "已退出专家库",
    Rule.UNAVAILABLE: "暂不可参加",
    Rule.CONFLICT_DECLARED: "利益冲突：申报的关联企业",
    Rule.CONFLICT_EMPLOYER: "利益冲突：任职单位",
    Rule.CONFLICT_STATEMENT: "利益冲突：书面声明",
    Rule.SAME_ORGANISATION: "与涉事企业同一单位",
    Rule.RECENTLY_DRAWN: "近期已抽取",
}


@dataclass(frozen=True)
class Candidate:
    """An expert as the draw sees them. ``last_drawn_on`` is the last day they were drawn for
    another case and did not decline (``last_drawn_case`` names that case)."""

    id: int
    name: str
    organisation: str = ""
    employer: str = ""
    families: frozenset[int] = frozenset()
    hazards: frozenset[int] = frozenset()
    conflict_enterprises: frozenset[int] = frozenset()
    declaration: str = ""
    availability: str = Availability.ACTIVE
    unavailable_until: date | None = None
    last_drawn_on: date | None = None
    last_drawn_case: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What the draw needs to know of the case: its product family, hazard and enterprise."""

    family: int | None = None
    hazard: int | None = None
    enterprise_id: int | None = None
    enterprise_name: str = ""
    family_name: str = ""
    hazard_name: str = ""


@dataclass(frozen=True)
class Criteria:
    size: int = DEFAULT_PANEL_SIZE
    match: MatchMode = MatchMode.ANY
    recent_days: int = RECENT_DRAW_DAYS

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise DrawError(f"抽取人数应为整数，实际为{self.size!r}")
        if not 1 <= self.size <= MAX_PANEL_SIZE:
            raise DrawError(f"抽取人数应为1至{MAX_PANEL_SIZE}人，实际为{self.size}")
        if self.recent_days < 0:
            raise DrawError(f"回避天数不能为负数，实际为{self.recent_days}")
        try:
            MatchMode(self.match)
        except ValueError:
            raise DrawError(f"未知的匹配方式：{self.match!r}") from None


@dataclass(frozen=True)
class Reason:
    rule: Rule
    text: str


@dataclass(frozen=True)
class Exclusion:
    """An expert of the pool who was not drawn, with every rule that excluded them."""

    expert_id: int
    name: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class DrawResult:
    seed: int
    pool: tuple[int, ...]  # experts whose fields match, by id
    order: tuple[int, ...]  # the eligible experts in the seeded order
    selected: tuple[int, ...]  # the first ``size`` of ``order``
    excluded: tuple[Exclusion, ...]
    shortfall: int  # experts missing to reach ``size``
    notes: tuple[str, ...] = field(default=())

    @property
    def reserve(self) -> tuple[int, ...]:
        return self.order[len(self.selected) :]


def new_seed() -> int:
    """A fresh seed from the operating system's random source."""
    return secrets.randbelow(SEED_BOUND)


def rank_key(seed: int, expert_id: int) -> str:
    """The expert's place in the seeded order: SHA-256 of ``"<seed>:<id>"`` in hex."""
    return hashlib.sha256(f"{seed}:{expert_id}".encode()).hexdigest()


def seeded_order(ids: Iterable[int], seed: int) -> list[int]:
    """``ids`` in the order the seed gives them (ties impossible in practice; id breaks them)."""
    return sorted(set(ids), key=lambda i: (rank_key(seed, i), i))


def _key(name: str) -> str:
    """An enterprise or organisation name's match key, without a branch's tail."""
    return normalize_company_name(name).split("|", 1)[0]


def same_organisation(organisation: str, enterprise_name: str) -> bool:
    """Whether ``organisation`` is the enterprise ``enterprise_name``: the same match key
    (place and organisation form dropped), or the enterprise's full name inside it (a
    department or branch: 上海晶澜电器有限公司质量部)."""
    org, ent = clean_company_name(organisation), clean_company_name(enterprise_name)
    if not org or not ent:
        return False
    return ent in org or _key(org) == _key(ent)


def mentions(text: str, enterprise_name: str) -> bool:
    """Whether a free-text declaration names the enterprise (full name or match key)."""
    body = clean_company_name(text)
    if not body:
        return False
    ent = clean_company_name(enterprise_name)
    if not ent:
        return False
    names = {ent, _key(ent)}
    return any(len(n) >= MIN_NAME_IN_TEXT and n in body for n in names)


def matches(c: Candidate, case: CaseFacts, mode: MatchMode) -> bool:
    """Whether the expert's fields match the case under ``mode`` (see ``effective_mode``)."""
    family = case.family is not None and case.family in c.families
    hazard = case.hazard is not None and case.hazard in c.hazards
    if mode is MatchMode.FAMILY:
        return family
    if mode is MatchMode.HAZARD:
        return hazard
    if mode is MatchMode.ALL:
        return family and hazard
    return family or hazard


def effective_mode(case: CaseFacts, mode: MatchMode) -> tuple[MatchMode | None, str]:
    """The mode that can be applied to this case and a note when it differs from ``mode``;
    None means every expert is in the pool (the case names neither family nor hazard)."""
    if mode is MatchMode.FAMILY and case.family is None:
        raise DrawError("评估任务未确定产品类别，不能按产品类别抽取专家")
    if mode is MatchMode.HAZARD and case.hazard is None:
        raise DrawError("评估任务未确定危害类型，不能按危害抽取专家")
    if case.family is None and case.hazard is None:
        return None, "评估任务未确定产品类别和危害，在全部专家中抽取"
    if mode is MatchMode.ALL and (case.family is None or case.hazard is None):
        only = MatchMode.HAZARD if case.family is None else MatchMode.FAMILY
        return only, f"评估任务未确定{'产品类别' if case.family is None else '危害'}，{only.label}"
    return mode, ""


def exclusion_reasons(
    c: Candidate, case: CaseFacts, *, today: date, recent_days: int = RECENT_DRAW_DAYS
) -> tuple[Reason, ...]:
    """Every avoidance rule that keeps ``c`` off this case's panel, most serious first."""
    reasons: list[Reason] = []
    if c.availability == Availability.RETIRED:
        reasons.append(Reason(Rule.RETIRED, "已退出专家库"))
    elif c.availability == Availability.UNAVAILABLE:
        if c.unavailable_until is None:
            reasons.append(Reason(Rule.UNAVAILABLE, "暂不可参加（未定恢复日期）"))
        elif today <= c.unavailable_until:
            until = c.unavailable_until.isoformat()
            reasons.append(Reason(Rule.UNAVAILABLE, f"暂不可参加，至{until}"))
    ent = case.enterprise_name
    if case.enterprise_id is not None and case.enterprise_id in c.conflict_enterprises:
        reasons.append(
            Reason(
                Rule.CONFLICT_DECLARED, f"申报曾为涉事企业“{ent or case.enterprise_id}”工作或服务"
            )
        )
    if ent and c.employer and same_organisation(c.employer, ent):
        reasons.append(Reason(Rule.CONFLICT_EMPLOYER, f"任职单位“{c.employer}”即涉事企业"))
    if ent and mentions(c.declaration, ent):
        reasons.append(Reason(Rule.CONFLICT_STATEMENT, f"利益冲突声明提及涉事企业“{ent}”"))
    if ent and c.organisation and same_organisation(c.organisation, ent):
        reasons.append(
            Reason(Rule.SAME_ORGANISATION, f"所在单位“{c.organisation}”与涉事企业为同一单位")
        )
    if recent_days and c.last_drawn_on is not None:
        days = (today - c.last_drawn_on).days
        if 0 <= days < recent_days:
            where = f"（{c.last_drawn_case}）" if c.last_drawn_case else ""
            reasons.append(
                Reason(
                    Rule.RECENTLY_DRAWN,
                    f"{c.last_drawn_on.isoformat()}已被抽取参加其他评估任务{where}，"
                    f"{recent_days}天内不再抽取",
                )
            )
    return tuple(reasons)


def draw(
    candidates: Sequence[Candidate],
    case: CaseFacts,
    criteria: Criteria,
    *,
    seed: int,
    today: date,
) -> DrawResult:
    """Draw ``criteria.size`` experts for ``case``: match, avoid, order by the seed, take."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DrawError(f"随机种子应为非负整数，实际为{seed!r}")
    mode, note = effective_mode(case, MatchMode(criteria.match))
    notes = [note] if note else []
    by_id = {c.id: c for c in candidates}
    if len(by_id) != len(candidates):
        raise DrawError("候选专家中有重复的编号")
    pool = sorted(i for i, c in by_id.items() if mode is None or matches(c, case, mode))
    excluded: list[Exclusion] = []
    eligible: list[int] = []
    for i in pool:
        reasons = exclusion_reasons(by_id[i], case, today=today, recent_days=criteria.recent_days)
        if reasons:
            excluded.append(Exclusion(i, by_id[i].name, reasons))
        else:
            eligible.append(i)
    order = seeded_order(eligible, seed)
    selected = order[: criteria.size]
    shortfall = criteria.size - len(selected)
    if shortfall and selected:
        notes.append(f"符合条件且无需回避的专家仅{len(selected)}人，少于拟抽取的{criteria.size}人")
    return DrawResult(
        seed=seed,
        pool=tuple(pool),
        order=tuple(order),
        selected=tuple(selected),
        excluded=tuple(excluded),
        shortfall=shortfall,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Replacement:
    """The next expert in the seeded order for a declined one (None: the reserve is used up),
    and the reserve experts passed over because a rule now excludes them."""

    expert_id: int | None
    position: int | None  # 1-based place in the seeded order
    skipped: tuple[Exclusion, ...]


def next_replacement(
    order: Sequence[int],
    used: Iterable[int],
    reasons_for: Callable[[int], tuple[Reason, ...]],
    names: Callable[[int], str] = str,
) -> Replacement:
    """The first expert in ``order`` not yet ``used`` whom no rule excludes now (availability
    and recent draws may have changed since the draw); the ones passed over, with reasons."""
    taken = set(used)
    skipped: list[Exclusion] = []
    for position, expert_id in enumerate(order, start=1):
        if expert_id in taken:
            continue
        reasons = reasons_for(expert_id)
        if reasons:
            skipped.append(Exclusion(expert_id, names(expert_id), reasons))
            continue
        return Replacement(expert_id, position, tuple(skipped))
    return Replacement(None, None, tuple(skipped))
