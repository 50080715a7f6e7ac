"""Expert library (专家库), random draws for assessment cases and expert assessment.

Who does what:

- the assessment centre and the city bureau (``STAFF_ROLES``: 评估中心, 市局监管处, 市局管理员)
  register and update experts, draw experts for a case, aggregate a round, start a Delphi
  round and conclude a case from the experts' assessment;
- a drawn expert accepts or declines (staff may record it for them, with the reason); a
  declined expert is replaced by the next expert in the draw's seeded order;
- only a drawn, non-declined expert of the case rates it, once per round (a rating may be
  revised while the round is open).

The thinking is in the domain core: ``pqrisk.core.assessment.draw`` (pool, avoidance rules,
seeded order, replacement) and ``pqrisk.core.assessment.experts`` (aggregation, Delphi rule,
final level). This module feeds them plain data, saves the outcome and audits every change.
The case's workflow moves through ``pqrisk.assessment.cases``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.assessment.cases import CASE_ROLES, CaseError, act_on_case, conclude_case
from pqrisk.assessment.choices import CaseStatus
from pqrisk.assessment.models import AssessmentCase
from pqrisk.assessment.services import first_assessment_input
from pqrisk.audit.services import record as audit
from pqrisk.core.assessment import draw as core_draw
from pqrisk.core.assessment.draw import (
    Availability,
    Candidate,
    CaseFacts,
    Criteria,
    DrawError,
    MatchMode,
    Reason,
    Rule,
    exclusion_reasons,
    new_seed,
    next_replacement,
    seeded_order,
)
from pqrisk.core.assessment.experts import (
    Aggregate,
    FinalDecision,
    Rating,
    aggregate,
    final_level,
    needs_next_round,
    parse_probability,
    rate,
    ratings_required,
)
from pqrisk.core.assessment.matrix import AssessmentResult, InvalidAssessment, ScenarioStep
from pqrisk.core.levels import RiskLevel
from pqrisk.enterprises.models import Enterprise
from pqrisk.reference.models import HazardType, ProductCategory

from .choices import ACTIVE_STATUSES, DrawnStatus
from .models import FAMILY_LEVEL, DrawnExpert, Expert, ExpertDraw, ExpertRating, RatingRound
from .policy import expert_policy

STAFF_ROLES = CASE_ROLES
DRAW_STATES = (CaseStatus.ASSESSING, CaseStatus.EXPERT_REVIEW)
MAX_STEPS = 8  # scenario steps an expert may enter
# The scenario of a case without risk information (opened from a signal): the three steps of
# the system's first assessment (pqrisk.assessment.services), without its default values.
GENERIC_STEPS = ("产品存在缺陷", "缺陷在使用中导致危险状态", "危险状态导致该程度伤害")
_TAG_SPLIT = re.compile(r"[,，、;；\n]+")


class ExpertError(CaseError):
    """An expert action that cannot be done; ``message_zh`` is shown to the user."""


def _staff(user: Any, what: str) -> None:
    try:
        require_role(user, *STAFF_ROLES)
    except PermissionDenied:
        raise PermissionDenied(f"只有评估中心、市局监管处或市局管理员可以{what}") from None


def _status_label(case: AssessmentCase) -> str:
    return CaseStatus(case.status).label


def _lock(case: AssessmentCase) -> None:
    """Lock the case's row for this transaction and reload it (two draws at once must not
    both find the case without a draw)."""
    AssessmentCase.objects.select_for_update().filter(pk=case.pk).first()
    case.refresh_from_db()


# ---------------------------------------------------------------- the library


def family_of(category: ProductCategory | None) -> ProductCategory | None:
    """The product family (catalogue level 1) a category belongs to."""
    node = category
    while node is not None and node.level > FAMILY_LEVEL:
        node = node.parent
    return node if node is not None and node.level == FAMILY_LEVEL else None


def parse_tags(value: str | Iterable[str]) -> list[str]:
    """Free tags from "a，b、c" or a list: trimmed, without blanks or repeats, in order."""
    parts = _TAG_SPLIT.split(value) if isinstance(value, str) else list(value)
    tags: list[str] = []
    for part in parts:
        tag = str(part).strip()[:30]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


TEXT_FIELDS = (
    "name",
    "organisation",
    "title",
    "phone",
    "email",
    "employer",
    "conflict_declaration",
    "note",
)
FIELD_LABELS = {
    "name": "姓名",
    "organisation": "所在单位",
    "title": "职称",
    "phone": "电话",
    "email": "电子邮箱",
    "employer": "任职或兼职单位",
    "conflict_declaration": "利益冲突声明",
    "note": "备注",
    "disciplines": "专业方向",
    "availability": "可参加情况",
    "unavailable_until": "暂不可参加至",
    "account": "登录账户",
    "product_families": "熟悉的产品大类",
    "hazards": "熟悉的危害类型",
    "conflict_enterprises": "曾任职或提供服务的企业",
}


def _check_account(account: Any, expert: Expert | None) -> None:
    if account is None:
        return
    if not account.has_role(Role.EXPERT):
        raise ExpertError(f"账户“{account.get_username()}”没有专家角色，不能关联为专家账户")
    others = Expert.objects.filter(user=account)
    if expert is not None:
        others = others.exclude(pk=expert.pk)
    other = others.first()
    if other is not None:
        raise ExpertError(f"账户“{account.get_username()}”已关联专家“{other.name}”")


def _apply(expert: Expert, data: Mapping[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Validate ``data`` and set it on ``expert`` (not saved); the labels of the fields that
    changed and the many-to-many values to set once saved."""
    changed: list[str] = []
    for name in TEXT_FIELDS:
        if name in data:
            value = str(data[name] or "").strip()
            if value != getattr(expert, name):
                setattr(expert, name, value)
                changed.append(name)
    if not expert.name:
        raise ExpertError("请填写专家姓名")
    if not expert.organisation:
        raise ExpertError("请填写专家所在单位")
    if "disciplines" in data:
        tags = parse_tags(data["disciplines"] or [])
        if tags != expert.disciplines:
            expert.disciplines = tags
            changed.append("disciplines")
    if "availability" in data:
        try:
            availability = Availability(data["availability"] or Availability.ACTIVE)
        except ValueError:
            raise ExpertError(f"未知的可参加情况：{data['availability']}") from None
        if availability != expert.availability:
            expert.availability = availability.value
            changed.append("availability")
    if "unavailable_until" in data or "availability" in data:
        until = data.get("unavailable_until", expert.unavailable_until)
        if expert.availability != Availability.UNAVAILABLE:
            until = None
        if until is not None and not isinstance(until, date):
            raise ExpertError(f"暂不可参加日期无法识别：{until}")
        if until != expert.unavailable_until:
            expert.unavailable_until = until
            changed.append("unavailable_until")
    if "account" in data:
        account = data["account"]
        _check_account(account, expert if expert.pk else None)
        if (account.pk if account else None) != expert.user_id:
            expert.user = account
            changed.append("account")
    m2m: dict[str, Any] = {}
    if "product_families" in data:
        families = list(data["product_families"] or [])
        wrong = [c.name for c in families if c.level != FAMILY_LEVEL]
        if wrong:
            raise ExpertError(f"熟悉的产品大类须为一级类别，以下不是：{'、'.join(wrong)}")
        m2m["product_families"] = families
    if "hazards" in data:
        m2m["hazards"] = list(data["hazards"] or [])
    if "conflict_enterprises" in data:
        m2m["conflict_enterprises"] = list(data["conflict_enterprises"] or [])
    return changed, m2m


def _set_m2m(expert: Expert, m2m: Mapping[str, Sequence[Any]], changed: list[str]) -> None:
    for name, values in m2m.items():
        manager = getattr(expert, name)
        before = set(manager.values_list("pk", flat=True))
        after = {v.pk for v in values}
        if before != after:
            manager.set(values)
            changed.append(name)


@transaction.atomic
def register_expert(user: Any, **data: Any) -> Expert:
    """Add an expert to the library (专家库); audited. ``data``: the model's fields, with
    ``account`` for the login, ``product_families``, ``hazards`` and ``conflict_enterprises``
    as lists of rows and ``disciplines`` as a list or a "、"-separated string."""
    _staff(user, "登记专家")
    expert = Expert(created_by=user if getattr(user, "is_authenticated", False) else None)
    changed, m2m = _apply(expert, data)
    expert.save()
    _set_m2m(expert, m2m, changed)
    audit(
        "register_expert",
        expert,
        actor=user,
        to_state=expert.availability,
        message=f"登记专家：{expert.name}（{expert.organisation}）",
    )
    return expert


@transaction.atomic
def update_expert(expert: Expert, user: Any, **changes: Any) -> Expert:
    """Change an expert's record; audited with the fields that changed."""
    _staff(user, "修改专家信息")
    Expert.objects.select_for_update().filter(pk=expert.pk).first()
    expert.refresh_from_db()
    old_availability = expert.availability
    changed, m2m = _apply(expert, changes)
    expert.save()
    _set_m2m(expert, m2m, changed)
    if changed:
        audit(
            "update_expert",
            expert,
            actor=user,
            from_state=old_availability,
            to_state=expert.availability,
            message="修改：" + "、".join(FIELD_LABELS[c] for c in changed),
            detail={"fields": changed},
        )
    return expert


# ---------------------------------------------------------------- the draw


def case_facts(case: AssessmentCase) -> CaseFacts:
    family = family_of(case.product_category)
    hazard: HazardType | None = case.hazard
    enterprise: Enterprise | None = case.enterprise
    return CaseFacts(
        family=family.pk if family else None,
        hazard=hazard.pk if hazard else None,
        enterprise_id=enterprise.pk if enterprise else None,
        enterprise_name=enterprise.name if enterprise else "",
        family_name=family.name if family else "",
        hazard_name=hazard.name if hazard else "",
    )


def _last_draws(case: AssessmentCase, today: date, days: int) -> dict[int, tuple[date, str]]:
    """Each expert's last day drawn (not declined) for another case within ``days``."""
    if days <= 0:
        return {}
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days), time.min))
    rows = (
        DrawnExpert.objects.filter(status__in=ACTIVE_STATUSES, created_at__gte=since)
        .exclude(draw__case=case)
        .order_by("created_at")
        .values_list("expert_id", "created_at", "draw__case__code")
    )
    return {expert_id: (timezone.localdate(at), code) for expert_id, at, code in rows}


def _candidate(expert: Expert, last: tuple[date, str] | None) -> Candidate:
    return Candidate(
        id=expert.pk,
        name=expert.name,
        organisation=expert.organisation,
        employer=expert.employer,
        families=frozenset(c.pk for c in expert.product_families.all()),
        hazards=frozenset(h.pk for h in expert.hazards.all()),
        conflict_enterprises=frozenset(e.pk for e in expert.conflict_enterprises.all()),
        declaration=expert.conflict_declaration,
        availability=expert.availability,
        unavailable_until=expert.unavailable_until,
        last_drawn_on=last[0] if last else None,
        last_drawn_case=last[1] if last else "",
    )


def _experts(ids: Iterable[int] | None = None) -> QuerySet[Expert]:
    qs = Expert.objects.prefetch_related("product_families", "hazards", "conflict_enterprises")
    return qs if ids is None else qs.filter(pk__in=list(ids))


def candidates_for(case: AssessmentCase, today: date, recent_days: int) -> list[Candidate]:
    last = _last_draws(case, today, recent_days)
    return [_candidate(e, last.get(e.pk)) for e in _experts().order_by("pk")]


def _reasons_json(reasons: Iterable[Reason]) -> list[dict[str, str]]:
    return [{"rule": r.rule.value, "label": r.rule.label, "text": r.text} for r in reasons]


@transaction.atomic
def draw_experts(
    case: AssessmentCase,
    user: Any,
    *,
    size: int | None = None,
    match: str = MatchMode.ANY,
    seed: int | None = None,
    today: date | None = None,
) -> ExpertDraw:
    """Draw experts for ``case`` at random, avoiding conflicts (``pqrisk.core.assessment.draw``);
    record the draw, open round 1 and move an ``assessing`` case to ``expert_review``."""
    _staff(user, "抽取专家")
    _lock(case)
    if case.status not in DRAW_STATES:
        raise ExpertError(
            f"评估任务当前状态为“{_status_label(case)}”，只有“评估中”或“专家评估”的任务可以抽取专家"
        )
    if ExpertDraw.objects.filter(case=case).exists():
        raise ExpertError("本任务已抽取专家；专家拒绝参加时按抽取顺序自动替补，无需重新抽取")
    policy = expert_policy()
    today = today or timezone.localdate()
    seed = new_seed() if seed is None else seed
    try:
        mode = MatchMode(match)
    except ValueError:
        raise ExpertError(f"未知的匹配方式：{match}") from None
    try:
        criteria = Criteria(
            size=policy.panel_size if size is None else size,
            match=mode,
            recent_days=policy.recent_draw_days,
        )
        facts = case_facts(case)
        candidates = candidates_for(case, today, criteria.recent_days)
        result = core_draw.draw(candidates, facts, criteria, seed=seed, today=today)
    except DrawError as exc:
        raise ExpertError(exc.message_zh) from exc
    if not result.selected:
        if not result.pool:
            raise ExpertError(
                "专家库中没有与本任务产品类别或危害相符的专家，请先登记专家或改变匹配方式"
            )
        raise ExpertError(
            f"与本任务相符的专家{len(result.pool)}人均须回避（"
            + "；".join(f"{x.name}：{x.reasons[0].text}" for x in result.excluded[:5])
            + "），没有可抽取的专家"
        )
    names = {c.id: c.name for c in candidates}
    applied, _ = core_draw.effective_mode(facts, criteria.match)
    draw = ExpertDraw.objects.create(
        case=case,
        size=criteria.size,
        match=criteria.match.value,
        criteria={
            "size": criteria.size,
            "match": criteria.match.value,
            "match_label": criteria.match.label,
            "applied_match": applied.value if applied else "",
            "family": {"id": facts.family, "name": facts.family_name} if facts.family else None,
            "hazard": {"id": facts.hazard, "name": facts.hazard_name} if facts.hazard else None,
            "enterprise": {"id": facts.enterprise_id, "name": facts.enterprise_name}
            if facts.enterprise_id
            else None,
            "recent_days": criteria.recent_days,
            "date": today.isoformat(),
        },
        seed=str(seed),
        pool_size=len(result.pool),
        order=list(result.order),
        excluded=[
            {"expert_id": x.expert_id, "name": x.name, "reasons": _reasons_json(x.reasons)}
            for x in result.excluded
        ],
        notes=list(result.notes),
        drawn_by=user,
    )
    for position, expert_id in enumerate(result.selected, start=1):
        DrawnExpert.objects.create(draw=draw, expert_id=expert_id, position=position)
    RatingRound.objects.get_or_create(
        case=case, number=1, defaults={"started_by": user, "reason": "随机抽取专家后开始第一轮评估"}
    )
    audit(
        "expert_draw",
        draw,
        actor=user,
        message=(
            f"为{case.code}随机抽取专家{len(result.selected)}人（随机种子{seed}，"
            f"专业相符{len(result.pool)}人，回避{len(result.excluded)}人）："
            + "、".join(names[i] for i in result.selected)
        ),
        detail={"case": case.pk, "seed": seed, "selected": list(result.selected)},
    )
    if case.status == CaseStatus.ASSESSING:
        act_on_case(case, "to_experts", user, note="已随机抽取专家")
    return draw


def order_verified(draw: ExpertDraw) -> bool:
    """Whether the recorded order is the one the recorded seed gives (anyone can recompute it:
    SHA-256 of "<seed>:<expert id>", ascending)."""
    order = [int(i) for i in draw.order]
    return seeded_order(order, int(draw.seed)) == order


def is_own_member(member: DrawnExpert, user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and member.expert.user_id is not None
        and member.expert.user_id == user.pk
    )


def _replace(member: DrawnExpert, user: Any, today: date) -> DrawnExpert | None:
    """Replace a declined member by the next eligible expert in the draw's seeded order."""
    draw = ExpertDraw.objects.select_for_update().get(pk=member.draw_id)
    case = draw.case
    policy = expert_policy()
    facts = case_facts(case)
    order = [int(i) for i in draw.order]
    experts = {e.pk: e for e in _experts(order)}
    last = _last_draws(case, today, policy.recent_draw_days)

    def reasons_for(expert_id: int) -> tuple[Reason, ...]:
        expert = experts.get(expert_id)
        if expert is None:
            return (Reason(Rule.RETIRED, "已从专家库删除"),)
        candidate = _candidate(expert, last.get(expert_id))
        return exclusion_reasons(candidate, facts, today=today, recent_days=policy.recent_draw_days)

    used = draw.members.values_list("expert_id", flat=True)
    found = next_replacement(
        order, used, reasons_for, lambda i: experts[i].name if i in experts else str(i)
    )
    replacement = None
    if found.expert_id is not None and found.position is not None:
        replacement = DrawnExpert.objects.create(
            draw=draw, expert_id=found.expert_id, position=found.position, replaces=member
        )
        member.status = DrawnStatus.REPLACED
        member.save(update_fields=["status"])
    draw.replacements = [
        *draw.replacements,
        {
            "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "by": user.get_username() if getattr(user, "is_authenticated", False) else "",
            "declined": {"expert_id": member.expert_id, "name": member.expert.name},
            "reason": member.decline_reason,
            "replacement": {
                "expert_id": replacement.expert_id,
                "name": experts[replacement.expert_id].name,
                "position": replacement.position,
            }
            if replacement
            else None,
            "skipped": [
                {"expert_id": x.expert_id, "name": x.name, "reasons": _reasons_json(x.reasons)}
                for x in found.skipped
            ],
        },
    ]
    draw.save(update_fields=["replacements"])
    if replacement is not None:
        audit(
            "replace_expert",
            draw,
            actor=user,
            message=f"{member.expert.name}拒绝参加，按抽取顺序由第{replacement.position}顺位的"
            f"{experts[replacement.expert_id].name}替补"
            + (f"（跳过{len(found.skipped)}人：须回避）" if found.skipped else ""),
            detail={"declined": member.pk, "replacement": replacement.pk},
        )
    else:
        audit(
            "replace_expert",
            draw,
            actor=user,
            message=f"{member.expert.name}拒绝参加，备选专家已用尽，无人替补",
            detail={"declined": member.pk, "replacement": None},
        )
    return replacement


@transaction.atomic
def respond_to_draw(
    member: DrawnExpert, user: Any, *, accept: bool, reason: str = "", today: date | None = None
) -> DrawnExpert | None:
    """The drawn expert (or staff for them) accepts or declines. A decline needs a reason and
    brings in the next expert of the seeded order; the replacement is returned (None when the
    reserve is used up, or on accepting)."""
    member = (
        DrawnExpert.objects.select_for_update()
        .select_related("expert", "draw__case")
        .get(pk=member.pk)
    )
    own = is_own_member(member, user)
    if not own:
        try:
            require_role(user, *STAFF_ROLES)
        except PermissionDenied:
            raise PermissionDenied(
                "只有被抽取的专家本人，或评估中心、市局工作人员代为登记，可以确认是否参加"
            ) from None
    case = member.draw.case
    if case.status != CaseStatus.EXPERT_REVIEW:
        raise ExpertError(f"评估任务当前状态为“{_status_label(case)}”，不能再确认是否参加")
    on_behalf = "" if own else "（工作人员代为登记）"
    now = timezone.now()
    if accept:
        if member.status != DrawnStatus.DRAWN:
            raise ExpertError(f"当前状态为“{member.get_status_display()}”，不能再确认参加")
        member.status = DrawnStatus.ACCEPTED
        member.responded_by, member.responded_at = user, now
        member.save(update_fields=["status", "responded_by", "responded_at"])
        audit(
            "accept_draw",
            member,
            actor=user,
            from_state=DrawnStatus.DRAWN,
            to_state=member.status,
            message=f"{member.expert.name}接受参加{case.code}的评估{on_behalf}",
        )
        return None
    reason = reason.strip()
    if not reason:
        raise ExpertError("请填写拒绝参加的理由")
    if member.status not in ACTIVE_STATUSES:
        raise ExpertError(f"当前状态为“{member.get_status_display()}”，不能再拒绝")
    if member.ratings.exists():
        raise ExpertError("已提交评分，不能再拒绝参加；如需退出请联系评估中心")
    old = member.status
    member.status = DrawnStatus.DECLINED
    member.decline_reason = reason[:1000]
    member.responded_by, member.responded_at = user, now
    member.save(update_fields=["status", "decline_reason", "responded_by", "responded_at"])
    audit(
        "decline_draw",
        member,
        actor=user,
        from_state=old,
        to_state=member.status,
        message=f"{member.expert.name}拒绝参加{case.code}的评估{on_behalf}：{reason}",
    )
    return _replace(member, user, today or timezone.localdate())


# ---------------------------------------------------------------- ratings


def current_round(case: AssessmentCase) -> RatingRound | None:
    return RatingRound.objects.filter(case=case).order_by("-number").first()


def exposed_units(case: AssessmentCase) -> int | None:
    """Units in use, from the case's matrix assessment: experts' levels escalate for scope
    the same way."""
    matrix = case.matrix_assessment
    return matrix.exposed_units if matrix is not None else None


def case_steps(case: AssessmentCase) -> list[dict[str, Any]]:
    """The case's injury scenario for the rating form: the matrix assessment's steps if the
    case has one, else the system's first-assessment steps for its first risk information,
    else the three generic steps. Probabilities are shown for reference only."""
    if case.matrix_assessment is not None and case.matrix_assessment.steps:
        return [
            {
                "description": s.get("description", ""),
                "probability": s.get("probability"),
                "evidence": s.get("evidence", ""),
            }
            for s in case.matrix_assessment.steps
        ]
    info = (
        case.risk_infos.select_related("hazard", "product_category", "raw_item")
        .order_by("id")
        .first()
    )
    if info is not None:
        inp = first_assessment_input(info)
        return [
            {"description": s.description, "probability": s.probability, "evidence": s.evidence}
            for s in inp.steps
        ]
    return [{"description": d, "probability": None, "evidence": ""} for d in GENERIC_STEPS]


def panel_member(case: AssessmentCase, user: Any) -> DrawnExpert:
    """``user``'s place on the case's panel; PermissionDenied (Chinese) for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.EXPERT):
        raise PermissionDenied("只有本任务抽取的专家可以评分")
    member = (
        DrawnExpert.objects.filter(draw__case=case, expert__user=user)
        .select_related("expert", "draw")
        .order_by("-id")
        .first()
    )
    if member is None:
        raise PermissionDenied("您不是本评估任务抽取的专家，不能评分")
    if not member.active:
        raise PermissionDenied("您已拒绝参加本评估任务，不能评分")
    return member


def parse_steps(steps: Sequence[Mapping[str, Any]]) -> tuple[ScenarioStep, ...]:
    """The expert's scenario steps; rows without a description and probability are skipped.
    Raises ExpertError (Chinese) for anything that cannot be assessed."""
    parsed: list[ScenarioStep] = []
    for n, row in enumerate(steps, start=1):
        description = str(row.get("description") or "").strip()
        probability = row.get("probability")
        if not description and probability in (None, ""):
            continue
        if not description:
            raise ExpertError(f"第{n}个情景步骤缺少描述")
        if probability in (None, ""):
            raise ExpertError(f"请填写情景步骤“{description}”的概率")
        try:
            p = parse_probability(probability)
            parsed.append(
                ScenarioStep(description[:200], p, evidence=str(row.get("evidence") or "")[:500])
            )
        except InvalidAssessment as exc:
            raise ExpertError(f"情景步骤“{description}”：{exc.message_zh}") from exc
    if not parsed:
        raise ExpertError("伤害情景至少需要一个步骤")
    if len(parsed) > MAX_STEPS:
        raise ExpertError(f"伤害情景最多{MAX_STEPS}个步骤")
    return tuple(parsed)


def parse_severity(value: Any) -> int:
    try:
        severity = int(str(value).strip())
    except (TypeError, ValueError):
        raise ExpertError(f"伤害严重程度应为1至4级的整数，实际为“{value}”") from None
    if not 1 <= severity <= 4:
        raise ExpertError(f"伤害严重程度应为1至4级，实际为{severity}")
    return severity


def _checked(
    case: AssessmentCase, severity: Any, steps: Any
) -> tuple[int, tuple[ScenarioStep, ...], AssessmentResult]:
    level = parse_severity(severity)
    parsed = parse_steps(steps)
    try:
        return level, parsed, rate(level, parsed, exposed_units(case))
    except InvalidAssessment as exc:
        raise ExpertError(exc.message_zh) from exc


def preview_rating(case: AssessmentCase, *, severity: Any, steps: Any) -> AssessmentResult:
    """The level the matrix gives an expert's severity and steps (nothing saved)."""
    return _checked(case, severity, steps)[2]


@transaction.atomic
def submit_rating(
    case: AssessmentCase,
    user: Any,
    *,
    severity: Any,
    steps: Sequence[Mapping[str, Any]],
    stated_level: str = "",
    level_reason: str = "",
    suggestions: str = "",
    comment: str = "",
) -> ExpertRating:
    """A drawn, non-declined expert rates the case in the open round (revising their rating
    if they rated already); everything is checked before anything is saved."""
    member = panel_member(case, user)
    _lock(case)
    if case.status != CaseStatus.EXPERT_REVIEW:
        raise ExpertError(f"评估任务当前状态为“{_status_label(case)}”，不能提交专家评分")
    rnd = current_round(case)
    if rnd is None or not rnd.open:
        raise ExpertError("当前没有进行中的评估轮次")
    severity_level, parsed, result = _checked(case, severity, steps)
    stated = ""
    if stated_level:
        try:
            level = RiskLevel(stated_level)
        except ValueError:
            raise ExpertError(f"未知的风险等级：{stated_level}") from None
        if level is not result.level:
            if not level_reason.strip():
                raise ExpertError(
                    f"认定等级（{level.label}）与矩阵等级（{result.level.label}）不同，请说明理由"
                )
            stated = level.value
    rating, created = ExpertRating.objects.update_or_create(
        round=rnd,
        member=member,
        defaults={
            "severity": severity_level,
            "steps": [
                {"description": s.description, "probability": s.probability, "evidence": s.evidence}
                for s in parsed
            ],
            "probability": result.probability,
            "computed_level": result.level.value,
            "stated_level": stated,
            "level_reason": level_reason.strip() if stated else "",
            "suggestions": suggestions.strip(),
            "comment": comment.strip(),
            "explanation": list(result.explanation),
            "submitted_by": user,
        },
    )
    if rnd.aggregated_at is not None:  # the summary no longer holds every rating
        rnd.aggregated_at = None
        rnd.save(update_fields=["aggregated_at"])
    if member.status == DrawnStatus.DRAWN:
        member.status = DrawnStatus.ACCEPTED
        member.responded_by, member.responded_at = user, timezone.now()
        member.save(update_fields=["status", "responded_by", "responded_at"])
        audit(
            "accept_draw",
            member,
            actor=user,
            from_state=DrawnStatus.DRAWN,
            to_state=member.status,
            message=f"{member.expert.name}提交评分，视为接受参加{case.code}的评估",
        )
    level = RiskLevel(rating.level)
    audit(
        "rate" if created else "revise_rating",
        rating,
        actor=user,
        to_state=level.value,
        message=f"{case.code}第{rnd.number}轮评分：严重程度{rating.severity}级，"
        f"矩阵等级{result.level.label}，认定等级{level.label}",
    )
    return rating


# ---------------------------------------------------------------- aggregation and rounds


def _core_rating(r: ExpertRating) -> Rating:
    return Rating(
        expert_id=r.member.expert_id,
        name=r.member.expert.name,
        severity=r.severity,
        steps=tuple(
            ScenarioStep(s["description"], float(s["probability"]), evidence=s.get("evidence", ""))
            for s in r.steps
        ),
        stated_level=RiskLevel(r.stated_level) if r.stated_level else None,
        comment=r.comment,
    )


def active_members(case: AssessmentCase) -> QuerySet[DrawnExpert]:
    return DrawnExpert.objects.filter(draw__case=case, status__in=ACTIVE_STATUSES).select_related(
        "expert"
    )


@transaction.atomic
def aggregate_round(case: AssessmentCase, user: Any) -> RatingRound:
    """Aggregate the open round (``pqrisk.core.assessment.experts.aggregate``), keep the
    summary on the round and write the experts' level to ``case.expert_level``."""
    _staff(user, "汇总专家评估")
    _lock(case)
    if case.status != CaseStatus.EXPERT_REVIEW:
        raise ExpertError(f"评估任务当前状态为“{_status_label(case)}”，不能汇总专家评估")
    rnd = current_round(case)
    if rnd is None:
        raise ExpertError("本任务尚未抽取专家")
    policy = expert_policy()
    ratings = list(rnd.ratings.select_related("member__expert").order_by("member__position"))
    members = list(active_members(case))
    required = ratings_required(len(members), policy.delphi)
    if len(ratings) < required:
        raise ExpertError(f"至少需要{required}份专家评分才能汇总，目前收到{len(ratings)}份")
    units = exposed_units(case)
    try:
        agg: Aggregate = aggregate(
            [_core_rating(r) for r in ratings], exposed_units=units, policy=policy.delphi
        )
    except InvalidAssessment as exc:
        raise ExpertError(exc.message_zh) from exc
    rated = {r.member_id for r in ratings}
    last_round = rnd.number >= policy.delphi.max_rounds
    rnd.summary = {
        **agg.to_json(),
        "round": rnd.number,
        "pending": [m.expert.name for m in members if m.pk not in rated],
        "next_round": needs_next_round(agg.delphi, rnd.number, policy.delphi),
        "last_round": last_round,
        "divided": agg.delphi and last_round,
        "exposed_units": units,
    }
    rnd.aggregated_by, rnd.aggregated_at = user, timezone.now()
    rnd.save(update_fields=["summary", "aggregated_by", "aggregated_at"])
    old = case.expert_level
    case.expert_level = agg.level.value
    case.save(update_fields=["expert_level"])
    note = ""
    if rnd.summary["next_round"]:
        note = "；专家意见分歧较大，须开展第二轮评估"
    elif rnd.summary["divided"]:
        note = f"；经{rnd.number}轮评估专家意见仍分歧较大，须会商"
    audit(
        "expert_aggregate",
        case,
        actor=user,
        from_state=old,
        to_state=case.expert_level,
        message=f"专家评估汇总（第{rnd.number}轮，{agg.n}份评分）：{agg.level.label}{note}",
        detail={"round": rnd.pk, "delphi": agg.delphi},
    )
    return rnd


@transaction.atomic
def start_next_round(case: AssessmentCase, user: Any) -> RatingRound:
    """Open the next (Delphi) round when the last aggregate calls for it; experts rate again
    after seeing the previous round's anonymous summary."""
    _staff(user, "开展下一轮专家评估")
    _lock(case)
    if case.status != CaseStatus.EXPERT_REVIEW:
        raise ExpertError(f"评估任务当前状态为“{_status_label(case)}”，不能开展下一轮评估")
    rnd = current_round(case)
    if rnd is None:
        raise ExpertError("本任务尚未抽取专家")
    if rnd.aggregated_at is None:
        raise ExpertError(f"请先汇总第{rnd.number}轮专家评估")
    if not rnd.summary.get("next_round"):
        if rnd.summary.get("divided"):
            raise ExpertError(f"已进行{rnd.number}轮评估，专家意见仍分歧较大的须提交会商")
        raise ExpertError(f"第{rnd.number}轮专家意见分歧未超过规定，无须开展下一轮评估")
    now = timezone.now()
    rnd.closed_at = now
    rnd.save(update_fields=["closed_at"])
    new = RatingRound.objects.create(
        case=case,
        number=rnd.number + 1,
        reason="；".join(rnd.summary.get("delphi_reasons", [])),
        started_by=user,
    )
    old = case.expert_level
    case.expert_level = ""
    case.save(update_fields=["expert_level"])
    audit(
        "start_round",
        case,
        actor=user,
        from_state=old,
        message=f"开展第{new.number}轮专家评估（德尔菲法）：{new.reason}",
        detail={"round": new.pk},
    )
    return new


def model_level(case: AssessmentCase) -> RiskLevel | None:
    value = (case.model_suggestion or {}).get("level")
    try:
        return RiskLevel(value) if value else None
    except ValueError:
        return None


def final_decision(case: AssessmentCase) -> FinalDecision | None:
    """The final level the rule gives now (None until the experts' assessment is aggregated)."""
    rnd = current_round(case)
    if rnd is None or rnd.aggregated_at is None or not rnd.summary:
        return None
    policy = expert_policy()
    matrix = case.matrix_assessment
    return final_level(
        experts=RiskLevel(rnd.summary["level"]),
        model=model_level(case),
        matrix=RiskLevel(matrix.level) if matrix is not None else None,
        experts_divided=bool(rnd.summary.get("divided")),
        policy=policy.delphi,
    )


def _conclusion_text(summary: Mapping[str, Any], decision: FinalDecision) -> str:
    counts = "、".join(f"{RiskLevel(v).label}{n}人" for v, n in summary["spread"]["level_counts"])
    text = (
        f"经{summary['round']}轮专家评估（{summary['n']}名专家），专家评估等级为"
        f"{RiskLevel(summary['level']).label}（{counts}；伤害严重程度中位数{summary['severity']}级）"
    )
    if summary.get("dissent"):
        text += f"，{len(summary['dissent'])}名专家持不同意见"
    return text + f"。结论等级：{decision.level.label}。"


def conclude_from_experts(
    case: AssessmentCase, user: Any, *, conclusion: str = ""
) -> AssessmentCase:
    """Conclude the case with the level the final-level rule gives
    (``pqrisk.core.assessment.experts.final_level``) through
    ``pqrisk.assessment.cases.conclude_case``. Refused while a Delphi round is due, or when
    the rule calls for a consultation meeting (提交会商 instead)."""
    _staff(user, "根据专家评估形成结论")
    if case.status != CaseStatus.EXPERT_REVIEW:
        raise ExpertError(f"评估任务当前状态为“{_status_label(case)}”，不能根据专家评估形成结论")
    rnd = current_round(case)
    if rnd is None:
        raise ExpertError("本任务尚未抽取专家")
    if rnd.aggregated_at is None:
        raise ExpertError(f"请先汇总第{rnd.number}轮专家评估")
    if rnd.summary.get("next_round"):
        raise ExpertError(
            "专家意见分歧较大，须先开展第二轮评估：" + "；".join(rnd.summary["delphi_reasons"])
        )
    decision = final_decision(case)
    assert decision is not None
    if decision.consultation_required:
        raise ExpertError(
            "须会商研判，不能直接根据专家评估形成结论："
            + "；".join(decision.reasons)
            + "。请将任务“提交会商”"
        )
    summary = rnd.summary
    text = conclusion.strip() or _conclusion_text(summary, decision)
    return conclude_case(
        case,
        user,
        level=decision.level.value,
        conclusion=text,
        rule=decision.rule,
        expert_level=summary["level"],
    )


# ---------------------------------------------------------------- queries for the pages


def assignments(user: Any) -> QuerySet[DrawnExpert]:
    """The draws of the expert linked to ``user``, newest first."""
    return (
        DrawnExpert.objects.filter(expert__user=user)
        .select_related("draw__case", "expert")
        .order_by("-created_at", "-id")
    )
