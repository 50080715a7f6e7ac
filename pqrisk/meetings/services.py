"""Consultation meetings (会商研判): convene, set the agenda and participants, record minutes
and decisions, close.

Closing a meeting applies its decisions in one transaction: each case on the agenda is
concluded through ``pqrisk.assessment.cases.conclude_case`` with the meeting named in the
rule, and a decided warning colour becomes a warning draft (草稿) linked to the case's risk
information, which the warning workflow then submits, approves and publishes. A red or orange
warning is still issued only by the city bureau (``pqrisk.core.warning.rules.may_issue``);
the meeting only drafts it.

Quorum (project defaults, checked when the meeting is closed):

- a thematic or comprehensive meeting needs at least ``MIN_PRESENT`` participants present,
  the chair among them, and at least one expert (会议角色“专家”);
- an urgent meeting (紧急会商), for a risk that may cause major harm or social impact, may be
  convened at once with fewer people: the chair and at least one other person present who is
  an expert or from the assessment centre (a platform user with the 评估中心 role). Its
  reason must be written down, and the conclusions it gives are marked as urgent ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role, workflow_roles
from pqrisk.assessment.cases import CaseError, act_on_case, conclude_case
from pqrisk.assessment.choices import CaseStatus
from pqrisk.assessment.models import AssessmentCase
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import RiskLevel, WarningLevel, WarningMode
from pqrisk.core.workflow import TransitionNotAllowed
from pqrisk.warnings.drafts import create_draft
from pqrisk.warnings.models import Warning
from pqrisk.warnings.policy import warning_policy
from pqrisk.warnings.services import WarningError

from .choices import (
    MEETING_MACHINE,
    OPEN_STATUSES,
    Attendance,
    MeetingKind,
    MeetingStatus,
    ParticipantRole,
)
from .models import AgendaItem, Decision, Meeting, Participant

# The assessment centre and the city bureau convene meetings and record decisions: the roles
# that may conclude a case (CASE_MACHINE "conclude").
MEETING_ROLES = (Role.ANALYST, Role.CITY_SUPERVISOR, Role.CITY_ADMIN)
# Quorum of a thematic or comprehensive meeting (project default): three people present,
# the chair and at least one expert among them.
MIN_PRESENT = 3
# Cases that may be put on an agenda: assessing or with the experts (moved to consultation
# when added), or already in consultation and on no other open meeting.
AGENDA_CASE_STATUSES = (
    CaseStatus.ASSESSING.value,
    CaseStatus.EXPERT_REVIEW.value,
    CaseStatus.CONSULTATION.value,
)
MAX_AGENDA = 50


class MeetingError(Exception):
    """A meeting action that cannot be done; ``message_zh`` is shown to the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- helpers


def _next_code(year: int) -> str:
    prefix = f"HS-{year}-"
    last = Meeting.objects.filter(code__startswith=prefix).aggregate(m=Max("code"))["m"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _locked(meeting: Meeting) -> Meeting:
    """The meeting re-read under a row lock: two people acting on it at once wait in turn."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _require_open(meeting: Meeting, doing: str) -> None:
    if meeting.status not in OPEN_STATUSES:
        raise MeetingError(f"会议{MeetingStatus(meeting.status).label}，不能{doing}")


def _require_held(meeting: Meeting, doing: str) -> None:
    _require_open(meeting, doing)
    if meeting.status != MeetingStatus.HELD:
        raise MeetingError(f"会议尚未召开，不能{doing}（请先登记“召开会议”）")


def _transition(meeting: Meeting, action: str, user: Any) -> str:
    try:
        t = MEETING_MACHINE.apply(meeting.status, action, workflow_roles(user))
    except TransitionNotAllowed as exc:
        raise MeetingError(exc.message_zh) from exc
    old = meeting.status
    meeting.status = t.target
    return old


def display_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def _organisation_of(user: Any) -> str:
    if user.organisation:
        return str(user.organisation)
    if user.district_id is not None:
        return f"{user.district.name}市场监管局"
    return user.role_labels if user.roles else ""


def conclusion_rule(meeting: Meeting) -> str:
    """The rule a case's conclusion names: the meeting, marked when it was an urgent one."""
    kind = "紧急会商研判决定" if meeting.is_urgent else "会商研判决定"
    return f"{kind}（会议编号 {meeting.code}）"


# ---------------------------------------------------------------- convene, hold, cancel


@transaction.atomic
def convene_meeting(
    user: Any,
    *,
    kind: str,
    title: str,
    scheduled_at: datetime | None = None,
    place: str = "",
    online: bool = False,
    chair: Any = None,
    urgent_reason: str = "",
) -> Meeting:
    """Convene a meeting; the chair (default: who convenes) is its first participant.

    An urgent meeting needs its reason (the major harm or social impact the risk may cause)
    and may be convened at once: without a time it is set for now."""
    require_role(user, *MEETING_ROLES)
    try:
        meeting_kind = MeetingKind(kind)
    except ValueError:
        raise MeetingError(f"未知的会商类型：{kind}") from None
    if not title.strip():
        raise MeetingError("请填写会议名称")
    urgent = meeting_kind == MeetingKind.URGENT
    if urgent and not urgent_reason.strip():
        raise MeetingError("紧急会商须写明事由：该风险可能造成的重大危害或社会影响")
    if scheduled_at is None:
        if not urgent:
            raise MeetingError("请填写召开时间")
        scheduled_at = timezone.now()
    if not place.strip() and not online:
        raise MeetingError("请填写会议地点，或选择线上会议")
    chair = chair or user
    if not getattr(chair, "is_active", False) or not chair.has_role(*MEETING_ROLES):
        raise MeetingError("主持人须为市局或评估中心的在岗人员")
    # Lock the table's last code: two meetings convened at once must not get the same number.
    Meeting.objects.select_for_update().order_by("-id").first()
    meeting = Meeting.objects.create(
        code=_next_code(timezone.localdate().year),
        kind=meeting_kind.value,
        title=title.strip()[:200],
        scheduled_at=scheduled_at,
        place=place.strip()[:200],
        online=online,
        chair=chair,
        urgent_reason=urgent_reason.strip() if urgent else "",
        created_by=user,
    )
    Participant.objects.create(
        meeting=meeting,
        user=chair,
        name=display_name(chair),
        organisation=_organisation_of(chair),
        role=ParticipantRole.CHAIR,
        # An urgent meeting starts at once, with its chair there.
        attendance=Attendance.PRESENT if urgent else Attendance.INVITED,
    )
    audit(
        "convene",
        meeting,
        actor=user,
        to_state=meeting.status,
        message=f"召集{meeting_kind.label}：{meeting.title}"
        + (f"（紧急事由：{meeting.urgent_reason}）" if urgent else ""),
        detail={"kind": meeting_kind.value, "chair": chair.pk},
    )
    return meeting


@transaction.atomic
def hold_meeting(meeting: Meeting, user: Any) -> Meeting:
    """Record that the meeting took place; minutes and decisions may be recorded from now."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    old = _transition(meeting, "hold", user)
    meeting.held_at = timezone.now()
    meeting.save(update_fields=["status", "held_at"])
    audit("hold", meeting, actor=user, from_state=old, to_state=meeting.status)
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, user: Any, *, reason: str) -> Meeting:
    """Cancel a meeting that has not been closed; its cases stay in consultation and may be
    put on another meeting."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    if not reason.strip():
        raise MeetingError("取消会议须填写原因")
    old = _transition(meeting, "cancel", user)
    meeting.cancel_reason = reason.strip()
    meeting.save(update_fields=["status", "cancel_reason"])
    meeting.agenda.update(is_open=False)
    audit(
        "cancel",
        meeting,
        actor=user,
        from_state=old,
        to_state=meeting.status,
        message=reason.strip(),
    )
    return meeting


# ---------------------------------------------------------------- agenda


def agenda_candidates() -> Any:
    """Cases that may be put on a meeting's agenda now: in assessment, with the experts or
    in consultation, and on no open meeting."""
    return (
        AssessmentCase.objects.filter(status__in=AGENDA_CASE_STATUSES)
        .exclude(meeting_items__is_open=True)
        .order_by("-opened_at", "-id")
    )


def _next_order(meeting: Meeting) -> int:
    last = meeting.agenda.aggregate(m=Max("order"))["m"]
    if last is not None and meeting.agenda.count() >= MAX_AGENDA:
        raise MeetingError(f"一次会议的议程最多 {MAX_AGENDA} 项")
    return (last or 0) + 1


@transaction.atomic
def add_agenda_case(
    meeting: Meeting, case: AssessmentCase, user: Any, *, presenter: str = "", notes: str = ""
) -> AgendaItem:
    """Put a case on the agenda; a case in assessment or with the experts moves to
    consultation (会商研判). A case sits on one open meeting at most."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    _require_open(meeting, "调整议程")
    case = AssessmentCase.objects.select_for_update().get(pk=case.pk)
    if case.status not in AGENDA_CASE_STATUSES:
        raise MeetingError(
            f"评估任务 {case.code} 当前状态为“{CaseStatus(case.status).label}”，"
            "只有评估中、专家评估或会商研判中的任务可以列入会商议程"
        )
    other = AgendaItem.objects.filter(case=case, is_open=True).select_related("meeting").first()
    if other is not None:
        raise MeetingError(
            f"评估任务 {case.code} 已列入会议 {other.meeting.code}（{other.meeting.title}），"
            "一个任务只能列入一次未结束的会商"
        )
    if case.status != CaseStatus.CONSULTATION:
        try:
            act_on_case(case, "to_meeting", user, note=f"列入会议 {meeting.code} 议程")
        except CaseError as exc:
            raise MeetingError(exc.message_zh) from exc
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(
                meeting=meeting,
                order=_next_order(meeting),
                case=case,
                presenter=presenter.strip()[:100],
                notes=notes.strip(),
            )
    except IntegrityError:
        raise MeetingError(f"评估任务 {case.code} 已列入另一次未结束的会商") from None
    audit(
        "add_agenda",
        meeting,
        actor=user,
        message=f"议程{item.order}：评估任务 {case.code} {case.title}",
        detail={"case": case.pk, "item": item.pk},
    )
    return item


@transaction.atomic
def add_agenda_signal(
    meeting: Meeting,
    user: Any,
    *,
    signal: dict[str, Any],
    presenter: str = "",
    notes: str = "",
) -> AgendaItem:
    """Put a risk signal on the agenda for discussion; it needs a description. A signal
    takes no decision: if the meeting thinks it needs one, open a case from it."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    _require_open(meeting, "调整议程")
    description = str(signal.get("description", "")).strip()
    if not description:
        raise MeetingError("请描述要会商的风险信号")
    item = AgendaItem.objects.create(
        meeting=meeting,
        order=_next_order(meeting),
        signal={**signal, "description": description[:500]},
        presenter=presenter.strip()[:100],
        notes=notes.strip(),
    )
    audit(
        "add_agenda",
        meeting,
        actor=user,
        message=f"议程{item.order}：风险信号 {description[:100]}",
        detail={"item": item.pk},
    )
    return item


@transaction.atomic
def remove_agenda_item(item: AgendaItem, user: Any) -> None:
    """Take an item (and its decision, if recorded) off an open meeting's agenda. A case
    stays in consultation: it may go on another meeting."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(item.meeting)
    _require_open(meeting, "调整议程")
    audit(
        "remove_agenda",
        meeting,
        actor=user,
        message=f"移出议程{item.order}：{item.subject}",
        detail={"case": item.case_id},
    )
    item.delete()


# ---------------------------------------------------------------- participants


@transaction.atomic
def add_participant(
    meeting: Meeting,
    user: Any,
    *,
    role: str,
    participant_user: Any = None,
    name: str = "",
    organisation: str = "",
    attendance: str = Attendance.INVITED,
) -> Participant:
    """Add a platform user or a named person (an expert, a department's delegate)."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    _require_open(meeting, "调整参会人员")
    if role not in ParticipantRole.values:
        raise MeetingError(f"未知的会议角色：{role}")
    if role == ParticipantRole.CHAIR:
        raise MeetingError("主持人在召集会议时确定，每次会议只有一名主持人")
    if attendance not in Attendance.values:
        raise MeetingError(f"未知的出席情况：{attendance}")
    if participant_user is not None:
        name = name.strip() or display_name(participant_user)
        organisation = organisation.strip() or _organisation_of(participant_user)
        if meeting.participants.filter(user=participant_user).exists():
            raise MeetingError(f"{name} 已在参会名单中")
    if not name.strip():
        raise MeetingError("请填写参会人员姓名，或选择平台用户")
    participant = Participant.objects.create(
        meeting=meeting,
        user=participant_user,
        name=name.strip()[:100],
        organisation=organisation.strip()[:200],
        role=role,
        attendance=attendance,
    )
    audit(
        "add_participant",
        meeting,
        actor=user,
        message=f"{participant.name}（{participant.organisation or '—'}，"
        f"{ParticipantRole(role).label}）",
        detail={"participant": participant.pk},
    )
    return participant


@transaction.atomic
def set_attendance(participant: Participant, user: Any, attendance: str) -> Participant:
    require_role(user, *MEETING_ROLES)
    meeting = _locked(participant.meeting)
    _require_open(meeting, "登记出席情况")
    if attendance not in Attendance.values:
        raise MeetingError(f"未知的出席情况：{attendance}")
    old = participant.attendance
    participant.attendance = attendance
    participant.save(update_fields=["attendance"])
    audit(
        "set_attendance",
        meeting,
        actor=user,
        message=f"{participant.name}：{Attendance(old).label} → {Attendance(attendance).label}",
        detail={"participant": participant.pk},
    )
    return participant


def quorum_problem(meeting: Meeting, participants: Iterable[Participant]) -> str:
    """Why the people present cannot decide for this meeting, or "" when they can (the rule
    is in this module's docstring)."""
    present = [p for p in participants if p.attendance == Attendance.PRESENT]
    if not any(p.role == ParticipantRole.CHAIR for p in present):
        return "主持人未出席，会议不能形成决定"
    others = [p for p in present if p.role != ParticipantRole.CHAIR]
    if meeting.is_urgent:
        if not any(
            p.role == ParticipantRole.EXPERT
            or (p.user is not None and p.user.has_role(Role.ANALYST))
            for p in others
        ):
            return "紧急会商除主持人外，至少须有一名专家或评估中心人员出席"
        return ""
    if len(present) < MIN_PRESENT:
        return f"{MeetingKind(meeting.kind).label}出席人数不足 {MIN_PRESENT} 人（含主持人）"
    if not any(p.role == ParticipantRole.EXPERT for p in present):
        return f"{MeetingKind(meeting.kind).label}至少须有一名专家出席"
    return ""


# ---------------------------------------------------------------- minutes and decisions


@transaction.atomic
def record_minutes(
    meeting: Meeting, user: Any, *, minutes: str, minutes_file: Any = None
) -> Meeting:
    """Record (or correct) the minutes of a held meeting, with an optional file."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    _require_held(meeting, "记录纪要")
    if not minutes.strip():
        raise MeetingError("会议纪要不能为空")
    meeting.minutes = minutes.strip()
    fields = ["minutes"]
    if minutes_file:
        meeting.minutes_file = minutes_file
        fields.append("minutes_file")
    meeting.save(update_fields=fields)
    audit(
        "record_minutes",
        meeting,
        actor=user,
        message=f"纪要 {len(meeting.minutes)} 字" + ("，附纪要文件" if minutes_file else ""),
    )
    return meeting


def _modes(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        try:
            mode = WarningMode(value)
        except ValueError:
            raise MeetingError(f"未知的预警方式：{value}") from None
        if mode.value not in out:
            out.append(mode.value)
    return out


@transaction.atomic
def record_decision(
    item: AgendaItem,
    user: Any,
    *,
    level: str,
    conclusion: str,
    warning_level: str = "",
    modes: Iterable[str] = (),
    measures: str = "",
    owners: str = "",
    deadline: date | None = None,
    dissent: str = "",
) -> Decision:
    """Record (or correct) the decision on a case of a held meeting. It takes effect when
    the meeting is closed. A decided warning colour needs measures, owners and a deadline;
    without chosen modes it gets the colour's default modes."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(item.meeting)
    _require_held(meeting, "记录会商决定")
    if item.case_id is None:
        raise MeetingError("风险信号议程不形成决定；需要定级的请先立项为评估任务")
    try:
        risk = RiskLevel(level)
    except ValueError:
        raise MeetingError(f"未知的风险等级：{level}") from None
    if not conclusion.strip():
        raise MeetingError("请填写研判结论")
    chosen_modes = _modes(modes)
    if warning_level:
        try:
            colour = WarningLevel(warning_level)
        except ValueError:
            raise MeetingError(f"未知的预警等级：{warning_level}") from None
        missing = [
            label
            for label, value in (("处置措施", measures), ("责任部门/单位", owners))
            if not value.strip()
        ]
        if deadline is None:
            missing.append("完成时限")
        if missing:
            raise MeetingError(f"决定发布{colour.label}时须写明：{'、'.join(missing)}")
        if not chosen_modes:
            chosen_modes = [m.value for m in warning_policy().modes_for[colour]]
    elif chosen_modes:
        raise MeetingError("未决定预警等级时不能选择预警方式")
    if deadline is not None and deadline < timezone.localdate():
        raise MeetingError("完成时限不能早于今天")
    decision, created = Decision.objects.update_or_create(
        agenda_item=item,
        defaults={
            "level": risk.value,
            "conclusion": conclusion.strip(),
            "warning_level": warning_level,
            "modes": chosen_modes,
            "measures": measures.strip(),
            "owners": owners.strip()[:300],
            "deadline": deadline,
            "dissent": dissent.strip(),
            "recorded_by": user,
        },
    )
    case = item.case
    assert case is not None
    audit(
        "record_decision",
        meeting,
        actor=user,
        message=f"{'记录' if created else '修改'}决定：{case.code} {risk.label}"
        + (f"，{WarningLevel(warning_level).label}" if warning_level else "，不预警"),
        detail={"case": case.pk, "decision": decision.pk},
    )
    return decision


# ---------------------------------------------------------------- close


@transaction.atomic
def close_meeting(meeting: Meeting, user: Any) -> Meeting:
    """Close a held meeting and apply its decisions: conclude each case with the decided
    level (the rule names the meeting) and draft the decided warnings. Needs the minutes, a
    decision for every case on the agenda and the quorum. All or nothing."""
    require_role(user, *MEETING_ROLES)
    meeting = _locked(meeting)
    _require_held(meeting, "结束会议")
    if not meeting.minutes.strip():
        raise MeetingError("会议纪要尚未记录，不能结束会议")
    items = list(meeting.agenda.filter(case__isnull=False).select_related("case", "decision"))
    if not items and not meeting.agenda.exists():
        raise MeetingError("议程为空，不能结束会议；不再需要的会议请取消")
    undecided = [i.case.code for i in items if i.case and not hasattr(i, "decision")]
    if undecided:
        raise MeetingError(f"以下评估任务尚无会商决定，不能结束会议：{'、'.join(undecided)}")
    problem = quorum_problem(meeting, meeting.participants.select_related("user"))
    if problem:
        raise MeetingError(problem)
    old = _transition(meeting, "close", user)
    rule = conclusion_rule(meeting)
    # Fresh, locked cases: one concluded elsewhere since it went on the agenda fails here.
    # of=("self",): lock the cases only; PostgreSQL cannot lock the nullable side of the joins.
    cases = AssessmentCase.objects.select_for_update(of=("self",)).select_related(
        "product_category", "hazard", "district"
    )
    fresh = {c.pk: c for c in cases.filter(pk__in=[i.case_id for i in items])}
    drafted = []
    for item in items:
        case, decision = fresh[item.case_id or 0], item.decision
        text = decision.conclusion
        if meeting.is_urgent:
            text = f"【紧急会商】{text}"
        if decision.dissent:
            text += f"\n不同意见：{decision.dissent}"
        try:
            conclude_case(case, user, level=decision.level, conclusion=text, rule=rule)
        except CaseError as exc:
            raise MeetingError(f"评估任务 {case.code}：{exc.message_zh}") from exc
        if decision.warning_level:
            decision.warning = _warning_draft(meeting, case, decision, user)
            decision.save(update_fields=["warning"])
            drafted.append(decision.warning)
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at"])
    meeting.agenda.update(is_open=False)
    audit(
        "close",
        meeting,
        actor=user,
        from_state=old,
        to_state=meeting.status,
        message=f"结束会议：{len(items)} 项评估任务形成结论，生成预警草稿 {len(drafted)} 份",
        detail={"cases": [i.case_id for i in items], "warnings": [w.pk for w in drafted]},
    )
    return meeting


def _warning_draft(
    meeting: Meeting, case: AssessmentCase, decision: Decision, user: Any
) -> Warning:
    """A warning draft (草稿) from the meeting's decision (``pqrisk.warnings.drafts``): the
    decided colour and modes, the decision's measures, owners and deadline in its reasons;
    the warning workflow submits, approves and publishes it."""
    when = timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d")
    colour = WarningLevel(decision.warning_level)
    modes = [WarningMode(m) for m in decision.modes]
    reasons = [
        f"{meeting.get_kind_display()}决定（会议编号 {meeting.code}，{when}）：{case.code}",
        f"会商研判风险等级：{RiskLevel(decision.level).label}",
        f"会商决定预警等级：{colour.label}",
        f"预警方式：{'、'.join(f'{m.label}（{m.audience}）' for m in modes)}",
        f"处置措施：{decision.measures}",
        f"责任部门/单位：{decision.owners}",
        f"完成时限：{decision.deadline:%Y-%m-%d}" if decision.deadline else "完成时限：—",
    ]
    if decision.dissent:
        reasons.append(f"不同意见：{decision.dissent}")
    try:
        return create_draft(
            case,
            user,
            risk=RiskLevel(decision.level),
            colour=colour,
            modes=modes,
            reasons=reasons,
            label=f"{meeting.get_kind_display()}（{meeting.code}）决定{colour.label}，生成预警草稿",
            detail={"meeting": meeting.code, "decision": decision.pk},
            missing_basis_hint="请先完成风险评估，或将该任务的决定改为不预警",
        )
    except WarningError as exc:
        raise MeetingError(exc.message_zh) from exc
