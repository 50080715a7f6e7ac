"""Warnings: proposals from assessments, review by the city bureau, publication and lifting.

The colour comes from the domain core's rules (METHODS §2); who may move a warning is the
core's transition table; a red warning is issued only by the city bureau.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from pqrisk.accounts.scoping import workflow_roles
from pqrisk.assessment.models import Assessment
from pqrisk.audit.services import record as audit
from pqrisk.audit.services import record_many
from pqrisk.core.levels import Attention, RiskLevel, Scope, WarningLevel, WarningMode
from pqrisk.core.scanfloor import ScanFloor
from pqrisk.core.warning.rules import (
    IssuerNotAllowed,
    check_issuer,
    propose_warning,
    publication_deadline,
)
from pqrisk.core.workflow import WARNING_MACHINE, TransitionNotAllowed
from pqrisk.reference.models import District
from pqrisk.screening.choices import RiskInfoStatus
from pqrisk.screening.models import RiskInfo

from .choices import OPEN_STATES
from .identification import evidence_urgency, prefill
from .models import ReminderKind, Warning, WarningRecipient, WarningReminder, WarningVersion
from .policy import warning_policy
from .targeting import notice_districts

log = logging.getLogger(__name__)

# When the system proposes a warning (project defaults, until statistical signal detection
# takes over): only high and serious risks count; a serious one confirmed by a test or a
# recall is enough on its own, otherwise MIN_CORROBORATING of them within WINDOW.
PROPOSE_FROM_LEVELS = (RiskLevel.SERIOUS.value, RiskLevel.HIGH.value)
CONFIRMING_SOURCES = frozenset({"spot_check", "recall"})
MIN_CORROBORATING = 2
WINDOW = timedelta(days=30)
# Evidence from at least this many of the 17 districts makes a risk city-wide (a majority;
# project default).
CITY_WIDE_MIN_DISTRICTS = 9


class WarningError(Exception):
    """A warning action that cannot be done; ``message_zh`` says why to the user."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def scope_of(infos: Iterable[RiskInfo]) -> tuple[Scope, int | None]:
    """City, several districts or one district, from where the evidence comes from."""
    return scope_of_districts({i.district_id for i in infos if i.district_id is not None})


def scope_of_districts(districts: set[int]) -> tuple[Scope, int | None]:
    """``scope_of`` from the districts of the evidence."""
    if len(districts) == 1:
        return Scope.DISTRICT, next(iter(districts))
    if 1 < len(districts) < CITY_WIDE_MIN_DISTRICTS:
        return Scope.MULTI_DISTRICT, None
    return Scope.CITY, None


def _title(info: RiskInfo, scope: Scope) -> str:
    product = info.product_category.name if info.product_category else (info.product_name or "产品")
    hazard = info.hazard.name if info.hazard else "质量安全"
    where = info.district.name if scope == Scope.DISTRICT and info.district else "本市"
    return f"{where}{product}{hazard}风险"


def advisory_text(info: RiskInfo, scope: Scope, n_infos: int) -> str:
    """A first draft of the warning text in plain words, fit for consumers and operators:
    no enterprise names or internal numbers (the assessment keeps the reasoning)."""
    product = info.product_category.name if info.product_category else (info.product_name or "产品")
    hazard = info.hazard.name if info.hazard else "质量安全"
    where = info.district.name if scope == Scope.DISTRICT and info.district else "本市"
    lines = [
        f"近期{where}市场监管部门在风险监测中发现{product}存在{hazard}风险的相关信息{n_infos}条。",
        f"提示生产经营者：请对照相关标准自查{product}的安全项目，发现问题立即停止销售并整改、依法召回。",
    ]
    advice = f"提示消费者：请通过正规渠道购买{product}"
    if info.product_category and info.product_category.ccc:
        advice += "，认准CCC强制性认证标志"
    advice += "，按说明书正确使用；使用中发现异常请立即停止使用，并可拨打12315投诉举报。"
    lines.append(advice)
    return "\n".join(lines)


def _occurred(a: Assessment) -> datetime:
    return a.risk_info.occurred_at or a.created_at


def proposal_trigger(group: list[Assessment]) -> int | None:
    """Index in ``group`` (ordered by time) of the assessment at which the evidence for one
    product × hazard calls for a warning, or None. The rule (project default, until the
    statistical signals replace it): a serious risk confirmed by a test or a recall, or
    MIN_CORROBORATING high-or-serious items within WINDOW of each other."""
    return _trigger_index([(_occurred(a), a.level, a.risk_info.source_kind) for a in group])


def _trigger_index(rows: list[tuple[datetime, str, str]]) -> int | None:
    """``proposal_trigger`` over (when, level, source) rows in time order."""
    for i, (when, level, source) in enumerate(rows):
        if level == RiskLevel.SERIOUS.value and source in CONFIRMING_SOURCES:
            return i
        since = when - WINDOW
        recent = [b for b in rows[: i + 1] if b[0] >= since]
        if len(recent) >= MIN_CORROBORATING:
            return i
    return None


def create_proposal(group: list[Assessment]) -> Warning:
    """A warning proposal (待审批) from the assessments that triggered it."""
    infos = [a.risk_info for a in group]
    basis = max(group, key=lambda a: (RiskLevel(a.level).rank, _occurred(a)))
    attention = max((Attention(a.attention) for a in group), key=lambda x: x.rank)
    scope, district_id = scope_of(infos)
    urgency = evidence_urgency(infos)
    proposal = propose_warning(
        RiskLevel(basis.level), scope, attention, warning_policy(), urgency=urgency
    )
    warning = Warning(
        title=_title(basis.risk_info, scope),
        body=advisory_text(basis.risk_info, scope, len(infos)),
        level=proposal.level.value,
        proposed_level=proposal.level.value,
        modes=[m.value for m in proposal.modes],
        scope=scope.value,
        attention=attention.value,
        reasons=[f"{len(infos)}条风险信息（{_sources(infos)}）", *proposal.reasons],
        status="in_review",
        district_id=district_id,
        product_category_id=basis.risk_info.product_category_id,
        hazard_id=basis.risk_info.hazard_id,
        assessment=basis,
        urgency=urgency.value,
    )
    prefill(warning, infos)
    warning.save()
    warning.risk_infos.add(*infos)
    audit(
        "propose",
        warning,
        from_state="",
        to_state="in_review",
        message=f"系统依据{len(infos)}条风险信息提出{proposal.level.label}建议",
    )
    return warning


def _sources(infos: list[RiskInfo]) -> str:
    from pqrisk.intake.choices import SourceKind

    kinds: dict[str, int] = {}
    for i in infos:
        label = SourceKind(i.source_kind).label
        kinds[label] = kinds.get(label, 0) + 1
    return "、".join(f"{k}{v}条" for k, v in kinds.items())


def join_warning(warning: Warning, group: list[Assessment]) -> None:
    """Add new evidence to an open warning and widen its scope (never narrow it)."""
    warning.risk_infos.add(*[a.risk_info for a in group])
    if warning.status not in ("draft", "in_review") or warning.scope == Scope.CITY.value:
        return  # a city-wide warning cannot widen
    # The districts in SQL: a warning may hold thousands of items, read on every join.
    districts = warning.risk_infos.exclude(district=None).values_list("district_id", flat=True)
    scope, district_id = scope_of_districts(set(districts.distinct()))
    if scope.rank > Scope(warning.scope).rank:
        basis = warning.assessment.risk_info
        if warning.title == _title(basis, Scope(warning.scope)):
            # The system's own title names the old district; a person's title is kept.
            warning.title = _title(basis, scope)
        warning.scope = scope.value
        warning.district_id = district_id
        urgency = evidence_urgency(warning.risk_infos.all())
        warning.urgency = urgency.value
        proposal = propose_warning(
            RiskLevel(warning.assessment.level),
            scope,
            Attention(warning.attention),
            warning_policy(),
            urgency=urgency,
        )
        if proposal.level.rank > WarningLevel(warning.level).rank:
            warning.level = warning.proposed_level = proposal.level.value
            warning.reasons = list(proposal.reasons)
        warning.save(
            update_fields=[
                "title",
                "scope",
                "district",
                "level",
                "proposed_level",
                "reasons",
                "urgency",
            ]
        )
        audit("rescope", warning, message=f"新增证据，影响范围扩大为{scope.label}")


@dataclass(frozen=True)
class _Member:
    """What the proposal rule reads of one candidate assessment."""

    id: int
    when: datetime
    level: str
    source: str
    dated: bool  # the record has its own date (the rest sort after it, as in SQL)


GroupKey = tuple[int | None, int | None]  # product category × hazard (warnings' may be None)


class _CandidateMemo:
    """The candidates (assessed high and serious risks not in a warning) of one database,
    by product × hazard, as light rows: what a run needs to tell which groups changed and
    whether a changed one calls for a warning, without reading every candidate again.

    A run reads the candidates above a floor (``ScanFloor``: assessment ids are committed
    out of order when runs overlap, so the floor follows a minute behind) and adds the ones
    it did not hold: their groups have changed. Every QUIET_TTL seconds, and in a new
    process, it reads them all afresh (an item sent back to 已评估 keeps its old id).
    """

    def __init__(self) -> None:
        self.groups: dict[GroupKey, dict[int, _Member]] = defaultdict(dict)
        self.read_at = -math.inf  # when every candidate was last read

    def look(self, token: str, clock: float) -> set[GroupKey]:
        """Read what is new in the database ``token``; the groups that gained members (all of
        them after a full read)."""
        full = clock - self.read_at > QUIET_TTL
        if full:
            self.groups.clear()
            _CANDIDATE_FLOOR.forget(token)
            self.read_at = clock
        scan = _CANDIDATE_FLOOR.begin(token)
        reached = Assessment.objects.aggregate(top=Max("id"))["top"] or 0
        changed: set[GroupKey] = set()
        rows = (
            _candidates()
            .filter(id__gt=scan.floor)
            .values_list(
                "id",
                "risk_info__product_category_id",
                "risk_info__hazard_id",
                "risk_info__occurred_at",
                "created_at",
                "level",
                "risk_info__source_kind",
            )
        )
        for pk, category, hazard, occurred, created, level, source in rows.iterator(2000):
            members = self.groups[(category, hazard)]
            if pk not in members:
                dated = occurred is not None
                members[pk] = _Member(pk, occurred if dated else created, level, source, dated)
                changed.add((category, hazard))
        _CANDIDATE_FLOOR.completed(scan, reached)
        return changed

    def calls_for_warning(self, key: GroupKey) -> bool:
        """Whether the group's light rows meet the proposal rule (read in full to act)."""
        members = sorted(self.groups[key].values(), key=lambda m: (not m.dated, m.when, m.id))
        return _trigger_index([(m.when, m.level, m.source) for m in members]) is not None

    def settle(self, key: GroupKey, group: list[Assessment]) -> None:
        """The group as read in full: members gone from the candidates are dropped."""
        kept = {a.pk for a in group}
        members = self.groups[key]
        for pk in [pk for pk in members if pk not in kept]:
            del members[pk]

    def taken(self, key: GroupKey) -> None:
        """Every member of the group went into a warning."""
        self.groups.pop(key, None)


# Candidates per database, in this process. Assessments are only ever added, so a group
# that gained nothing gives the same answer and is not read again; every candidate is read
# afresh at least every QUIET_TTL seconds.
_memos: dict[str, _CandidateMemo] = {}
_CANDIDATE_FLOOR = ScanFloor(grace=60.0)
QUIET_TTL = 600.0


def _candidates() -> Any:
    return Assessment.objects.filter(
        risk_info__status=RiskInfoStatus.ASSESSED,
        level__in=PROPOSE_FROM_LEVELS,
        risk_info__product_category__isnull=False,
    )


def _read_groups(
    keys: Sequence[GroupKey], memo: _CandidateMemo
) -> dict[GroupKey, list[Assessment]]:
    """The groups' candidates in full, by time, read by id (the memo's members)."""
    ids = [pk for key in keys for pk in memo.groups.get(key, {})]
    groups: dict[GroupKey, list[Assessment]] = {key: [] for key in keys}
    related = ("risk_info__product_category", "risk_info__hazard", "risk_info__district")
    for i in range(0, len(ids), 2000):
        qs = (
            _candidates()
            .filter(id__in=ids[i : i + 2000])
            .select_related(*related)
            .defer("risk_info__evidence", "risk_info__screened_text")  # large, not read here
        )
        for a in qs:
            key = (a.risk_info.product_category_id, a.risk_info.hazard_id)
            if key in groups:
                groups[key].append(a)
    for group in groups.values():
        group.sort(key=lambda a: (a.risk_info.occurred_at is None, _occurred(a), a.pk))
    return groups


def propose_pending() -> dict[str, int]:
    """Group assessed high and serious risks by product × hazard; join them to the open
    warning on the same product × hazard, or propose one when the evidence calls for it.

    Only the groups that gained candidates since this process last looked are judged, on
    light rows; a group is read in full only to join a warning or to propose one."""
    from pqrisk.screening.index import database_token

    counts = {"new": 0, "joined": 0}
    open_warnings = {
        (w.product_category_id, w.hazard_id): w
        for w in Warning.objects.filter(status__in=OPEN_STATES).order_by("-created_at")
    }
    token = database_token()
    memo = _memos.setdefault(token, _CandidateMemo())
    changed = memo.look(token, time.monotonic())
    wanted = [
        key
        for key in changed | (open_warnings.keys() & memo.groups.keys())
        if memo.groups.get(key) and (key in open_warnings or memo.calls_for_warning(key))
    ]
    groups = _read_groups(wanted, memo)
    for key in sorted(groups, key=lambda k: (k[0] or 0, k[1] or 0)):
        group = groups[key]
        memo.settle(key, group)
        if not group:
            continue
        with transaction.atomic():
            warning = open_warnings.get(key)
            if warning is not None:
                join_warning(warning, group)
                counts["joined"] += len(group)
            else:
                trigger = proposal_trigger(group)
                if trigger is None:
                    continue
                warning = create_proposal(group[: trigger + 1])
                open_warnings[key] = warning
                counts["new"] += 1
                if trigger + 1 < len(group):
                    join_warning(warning, group[trigger + 1 :])
                    counts["joined"] += len(group) - trigger - 1
            # Every item of the group is now in the warning (the trigger's in the proposal,
            # the rest joined), and each was assessed: they are the ones to mark.
            newly = list({a.risk_info_id: a.risk_info for a in group}.values())
            record_many(
                "warn",
                newly,
                from_state=RiskInfoStatus.ASSESSED,
                to_state=RiskInfoStatus.WARNED,
                message=f"纳入预警 #{warning.pk}",
            )
            RiskInfo.objects.filter(
                pk__in=[i.pk for i in newly], status=RiskInfoStatus.ASSESSED
            ).update(status=RiskInfoStatus.WARNED)
        memo.taken(key)
    log.info("warning proposals: %s", counts)
    return counts


def _transition(warning: Warning, action: str, user: Any) -> str:
    roles = workflow_roles(user)
    try:
        t = WARNING_MACHINE.apply(warning.status, action, roles)
    except TransitionNotAllowed as exc:
        raise WarningError(exc.message_zh) from exc
    old = warning.status
    warning.status = t.target
    return old


@transaction.atomic
def approve_warning(
    warning: Warning, user: Any, *, level: WarningLevel | None = None, note: str = ""
) -> Warning:
    """Approve (optionally at another colour), set the publication deadline and dispatch the
    disposal the colour calls for."""
    from pqrisk.disposal.services import dispatch_for_warning

    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    chosen = level or WarningLevel(warning.level)
    try:
        check_issuer(chosen, issuer_is_city=getattr(user, "is_city_wide", False))
    except IssuerNotAllowed as exc:
        raise PermissionDenied(exc.message_zh) from exc
    old = _transition(warning, "approve", user)
    now = timezone.now()
    warning.level = chosen.value
    warning.approved_by = user
    warning.approved_at = now
    warning.publish_deadline = publication_deadline(chosen, now, warning_policy())
    warning.save()
    from .documents import assign_document_numbers

    assign_document_numbers(warning)
    audit(
        "approve",
        warning,
        actor=user,
        from_state=old,
        to_state=warning.status,
        message=note or f"批准为{chosen.label}",
        detail={"level": chosen.value, "proposed_level": warning.proposed_level},
    )
    dispatch_for_warning(warning, user)
    return warning


# Actions whose Chinese note is required: a rejection says what to change, a lift why.
NOTE_REQUIRED = {"reject": "退回须填写修改意见", "lift": "解除预警须说明理由"}


@transaction.atomic
def act_on_warning(warning: Warning, action: str, user: Any, note: str = "") -> Warning:
    """Any other warning transition: submit, reject, revise, publish, update, lift."""
    if action == "approve":
        return approve_warning(warning, user, note=note)
    if action == "update":
        return update_warning(warning, user, note=note)
    if action in NOTE_REQUIRED and not note.strip():
        raise WarningError(NOTE_REQUIRED[action])
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    old = _transition(warning, action, user)
    now = timezone.now()
    if action == "publish":
        warning.published_at = now
        address_notice(warning, now)
        from .delivery import schedule_delivery

        schedule_delivery(warning)
    elif action == "lift":
        warning.lifted_at = now
        warning.lift_reason = note.strip()
    warning.save()
    audit(
        action,
        warning,
        actor=user,
        from_state=old,
        to_state=warning.status,
        message=note,
        detail={"version": warning.version},
    )
    return warning


@transaction.atomic
def update_warning(
    warning: Warning,
    user: Any,
    *,
    title: str | None = None,
    body: str | None = None,
    modes: list[str] | None = None,
    identification: dict[str, str] | None = None,
    note: str = "",
) -> Warning:
    """Update a published warning (更新): its current text (with its product identification
    and consumer advice) is kept as a version, the new text becomes the next version; audited
    with both version numbers and what changed."""
    from .drafts import IDENTIFICATION_FIELDS

    if not note.strip():
        raise WarningError("更新预警须说明更新内容或原因")
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    old = _transition(warning, "update", user)
    WarningVersion.objects.create(
        warning=warning,
        number=warning.version,
        title=warning.title,
        body=warning.body,
        level=warning.level,
        modes=list(warning.modes),
        reasons=list(warning.reasons),
        identification={f: getattr(warning, f) for f, _, _ in IDENTIFICATION_FIELDS},
        superseded_by=user if getattr(user, "is_authenticated", False) else None,
        note=note.strip(),
    )
    changed = []
    if title is not None:
        if not title.strip():
            raise WarningError("预警标题不能为空")
        changed += ["标题"] if warning.title != title.strip()[:300] else []
        warning.title = title.strip()[:300]
    if body is not None:
        changed += ["内容"] if warning.body != body else []
        warning.body = body
    if modes is not None:
        unknown = [m for m in modes if m not in WarningMode._value2member_map_]
        if unknown or not modes:
            raise WarningError("预警方式应为风险通报、风险警示、风险提示中的一种或几种")
        changed += ["预警方式"] if list(warning.modes) != list(modes) else []
        warning.modes = list(modes)
    for field, label, limit in IDENTIFICATION_FIELDS:
        if identification is None or field not in identification:
            continue
        value = (identification[field] or "").strip()
        if len(value) > limit:
            raise WarningError(f"{label}不能超过{limit}字")
        changed += [label] if getattr(warning, field) != value else []
        setattr(warning, field, value)
    warning.version += 1
    warning.save()
    from .documents import assign_document_numbers

    assign_document_numbers(warning)  # a mode the update added gets its 文号
    from .delivery import redeliver_after_update

    redeliver_after_update(warning)
    audit(
        "update",
        warning,
        actor=user,
        from_state=old,
        to_state=warning.status,
        message=f"更新为第{warning.version}版：{note.strip()}"
        + (f"（修改{'、'.join(changed)}）" if changed else ""),
        detail={
            "version": warning.version,
            "previous_version": warning.version - 1,
            "changed": changed,
        },
    )
    return warning


# ---------------------------------------------------------------- publication clocks

# A reminder goes out when this share of the publication window is left (our choice: a
# quarter — 15 minutes of a red warning's hour, 6 hours of a yellow one's day).
REMIND_AT_REMAINING_SHARE = 0.25


def overdue_warnings(now: datetime | None = None) -> Any:
    """Approved warnings not published by their colour's deadline (逾期未发布)."""
    now = now or timezone.now()
    return Warning.objects.filter(status="approved", publish_deadline__lt=now).order_by(
        "publish_deadline"
    )


def check_publication_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Remind the city bureau of approved warnings whose publication deadline is near or
    past: one reminder of each kind per deadline (a reminder row, delivered, and an audit
    event). Idempotent; run by the beat task ``check_publication_deadlines`` and the
    pipeline."""
    now = now or timezone.now()
    counts = {ReminderKind.DUE_SOON.value: 0, ReminderKind.OVERDUE.value: 0}
    due = Warning.objects.filter(status="approved", publish_deadline__isnull=False)
    for warning in due.select_related("district"):
        deadline = warning.publish_deadline
        assert deadline is not None and warning.approved_at is not None
        window = deadline - warning.approved_at
        if now > deadline:
            kind = ReminderKind.OVERDUE
            message = (
                f"{WarningLevel(warning.level).label}“{warning.title}”已超过发布时限"
                f"（{timezone.localtime(deadline):%Y-%m-%d %H:%M}），请立即发布或说明原因"
            )
        elif now >= deadline - window * REMIND_AT_REMAINING_SHARE:
            kind = ReminderKind.DUE_SOON
            message = (
                f"{WarningLevel(warning.level).label}“{warning.title}”须于"
                f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}前发布"
            )
        else:
            continue
        with transaction.atomic():
            reminder, created = WarningReminder.objects.get_or_create(
                warning=warning,
                kind=kind,
                deadline=deadline,
                defaults={"message": message[:500], "created_at": now},
            )
            if not created:
                continue
            audit(
                "remind" if kind == ReminderKind.DUE_SOON else "overdue",
                warning,
                message=message,
                detail={"deadline": deadline.isoformat(), "version": warning.version},
            )
            deliver_reminder(reminder)
        counts[kind.value] += 1
    return counts


def deliver_reminder(reminder: WarningReminder) -> list[str]:
    """Deliver a reminder to those who may publish the warning (the city bureau's supervisors
    and administrators): it is shown to them on the warning list, with when it was
    delivered and to whom. Delivering twice does nothing."""
    from pqrisk.accounts.choices import Role
    from pqrisk.accounts.models import User

    if reminder.sent_at is not None:
        return list(reminder.recipients)
    publishers = User.objects.filter(
        is_active=True, groups__name__in=[Role.CITY_SUPERVISOR.label, Role.CITY_ADMIN.label]
    ).distinct()
    reminder.recipients = sorted(u.get_username() for u in publishers)
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["recipients", "sent_at"])
    from pqrisk.notifications.services import notify

    notify(
        f"warning:{reminder.warning_id}:{reminder.kind}:{reminder.deadline.isoformat()}",
        subject=reminder.message[:200],
        body=reminder.message,
        link=reverse("web:warning_detail", args=[reminder.warning_id]),
        users=publishers,
        level="urgent" if reminder.kind == ReminderKind.OVERDUE else "important",
    )
    return list(reminder.recipients)


# ---------------------------------------------------------------- internal notices


def address_notice(warning: Warning, now: datetime | None = None) -> int:
    """Address a published internal notice to its district bureaus (主送), delivered inside
    the system; each acknowledges receipt. Idempotent; returns the number of new recipients."""
    if WarningMode.INTERNAL_NOTICE.value not in (warning.modes or []):
        return 0
    now = now or timezone.now()
    created = 0
    for district in notice_districts(warning):
        _, new = WarningRecipient.objects.get_or_create(
            warning=warning,
            mode=WarningMode.INTERNAL_NOTICE.value,
            name=f"{district.name}市场监管局",
            defaults={"district": district, "delivered_at": now},
        )
        created += new
        if new:
            _tell_district(warning, district)
    return created


def _tell_district(warning: Warning, district: District) -> None:
    """The district bureau's officers find the internal notice in their 消息中心."""
    from pqrisk.accounts.choices import Role
    from pqrisk.notifications.services import notify

    level = WarningLevel(warning.level)
    notify(
        f"warning:{warning.pk}:notice:{district.pk}",
        subject=f"风险通报：{warning.title}（{level.label}）",
        body=f"{district.name}市场监管局：请查阅风险通报并确认收到。{level.disposal}。",
        link=reverse("web:warning_detail", args=[warning.pk]),
        districts=[district],
        roles=[Role.DISTRICT_OFFICER],
        level="urgent" if level.rank >= WarningLevel.ORANGE.rank else "important",
    )


@transaction.atomic
def acknowledge_notice(warning: Warning, user: Any) -> WarningRecipient:
    """A district bureau confirms it received the internal notice (确认收到); audited."""
    district = getattr(user, "district_id", None)
    recipient = (
        WarningRecipient.objects.select_for_update()
        .filter(warning=warning, mode=WarningMode.INTERNAL_NOTICE.value, district_id=district)
        .first()
        if district is not None and getattr(user, "is_authenticated", False)
        else None
    )
    if recipient is None:
        raise WarningError("本单位不是该风险通报的主送单位，无需确认收到")
    if recipient.acknowledged_at is None:
        recipient.acknowledged_at = timezone.now()
        recipient.acknowledged_by = user
        recipient.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit(
            "acknowledge",
            warning,
            actor=user,
            message=f"{recipient.name}确认收到风险通报",
            detail={"version": warning.version},
        )
    return recipient
