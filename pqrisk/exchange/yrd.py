"""长三角 (Yangtze River Delta) sharing: signed packages of a warning and its disposal.

Export: a published (or lifted) warning, the risk information behind it (as pqrisk-exchange
records) and the summary of its disposal are signed with the platform's Ed25519 key and
chained to our previous package (``signing``). Import: a partner's package is checked —
shape, registered and active issuer, signature against the registered key, not already
received, next in the issuer's chain — and only then its records go through intake
(``ingest_entries``) like any other file, so screening turns them into risk information and
marks those already known here as duplicates. A refused package is kept whole in the
quarantine with its reason, and listed with the reason among the received packages.

Who may: city supervisors and admins export; city admins import and keep the partner
registry. Every action is audited.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model, OuterRef, QuerySet, Subquery
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.assessment.models import Assessment
from pqrisk.audit.services import record as audit
from pqrisk.core.levels import DisposalRoute, Scope, WarningLevel, WarningMode
from pqrisk.core.workflow import DISPOSAL_MACHINE, WARNING_MACHINE
from pqrisk.disposal.models import DisposalTask, Feedback
from pqrisk.intake.models import RawItem
from pqrisk.intake.services import IngestResult, ingest_entries
from pqrisk.sources.readers import Entry
from pqrisk.sources.records import RecordRejected, loads_json
from pqrisk.warnings.models import Warning
from pqrisk.warnings.targeting import disposal_districts

from .choices import PackageDirection, PackageStatus, RefusalCode
from .format import PRODUCER_CODE, exchange_record, incoming_record
from .keys import load_private_key
from .models import ExchangePackage, Partner
from .services import own_producer, screening_tags
from .signing import (
    Issuer,
    PackageHeader,
    PackageRefused,
    build_package,
    normalized_public_key,
    package_hash,
    package_text,
    parse_package,
    verify_signature,
)

EXPORT_ROLES = (Role.CITY_SUPERVISOR, Role.CITY_ADMIN)
IMPORT_ROLES = (Role.CITY_ADMIN,)
PARTNER_ROLES = (Role.CITY_ADMIN,)
# Only what the bureau has made public is shared with other provinces.
SHAREABLE_STATES = ("published", "lifted")
MAX_PACKAGE_BYTES = 20 * 1024 * 1024
LABEL = "长三角共享包"
# Fields of a disposal task, its routed actions and its feedback shared when the disposal
# app has them (it grows: routed actions, recall progress, penalties); absent ones are left
# out, so a package can always be made.
TASK_OPTIONAL = (
    "organiser",
    "lead",
    "participants",
    "instructions",
    "escalations",
    "escalation_level",
)
TASK_TIMES = (
    "created_at",
    "due_at",
    "started_at",
    "completed_at",
    "report_due_at",
    "reported_at",
    "closed_at",
)
ROUTE_ITEM_FIELDS = (
    "route",
    "unit",
    "status",
    "due_at",
    "done_at",
    "reference",
    "counterpart",
    "result",
    "follow_up_due_at",
    "follow_up_done_at",
    "follow_up_result",
)
FEEDBACK_OPTIONAL = (
    "products_recalled",
    "penalties",
    "penalty_amount",
    "late",
    "warning_advice",
    "warning_note",
)


class ExchangeError(Exception):
    """A request this module cannot carry out, in words a person can act on."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# ---------------------------------------------------------------- the body of a package


def _plain(value: Any) -> Any:
    """A model value as JSON a partner reads the same way (times ISO with offset)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, Model):
        return _ref(value) if hasattr(value, "code") else str(value)
    return str(value)


def _ref(obj: Any) -> dict[str, str] | None:
    """A reference entry (district, product category, hazard) by its code and name."""
    if obj is None:
        return None
    return {"code": str(obj.code), "name": str(obj.name)}


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def warning_summary(warning: Warning) -> dict[str, Any]:
    """What a partner needs to know of a warning: level, ways, reach, product, hazard, text."""
    modes = [str(m) for m in (warning.modes or [])]
    return {
        "local_id": warning.pk,
        "title": warning.title,
        "text": warning.body,
        "level": warning.level,
        "level_label": _label(WarningLevel, warning.level),
        "modes": modes,
        "mode_labels": [_label(WarningMode, m) for m in modes],
        "scope": warning.scope,
        "scope_label": _label(Scope, warning.scope),
        "attention": warning.attention,
        "urgency": getattr(warning, "urgency", "") or "",
        "status": warning.status,
        "status_label": WARNING_MACHINE.states.get(warning.status, warning.status),
        "district": _ref(warning.district),
        "districts": [_ref(d) for d in disposal_districts(warning)],
        "product_category": _ref(warning.product_category),
        "hazard": _ref(warning.hazard),
        "reasons": _plain(list(warning.reasons or [])),
        "advice": getattr(warning, "advice", "") or "",
        "brands": getattr(warning, "brands", "") or "",
        "product_models": getattr(warning, "product_models", "") or "",
        "batches": getattr(warning, "batches", "") or "",
        "document_numbers": _plain(dict(getattr(warning, "document_numbers", None) or {})),
        "approved_at": _plain(warning.approved_at),
        "published_at": _plain(warning.published_at),
        "lifted_at": _plain(warning.lifted_at),
        "lift_reason": warning.lift_reason,
        "version": warning.version,
    }


def warning_records(warning: Warning) -> list[dict[str, Any]]:
    """The warning's risk information as pqrisk-exchange records (with our screening tags)."""
    rows = (
        RawItem.objects.filter(risk_info__warnings=warning)
        .select_related("risk_info__product_category", "risk_info__hazard")
        .annotate(
            risk_level=Subquery(
                Assessment.objects.filter(risk_info__raw_item_id=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("level")[:1]
            )
        )
        .order_by("id")
        .distinct()
    )
    records = []
    for item in rows:
        # The stored id and kind are authoritative (a payload written by hand may lack them).
        payload = {**item.payload, "source": item.source_kind, "external_id": item.external_id}
        records.append(_plain(exchange_record(payload, screening_tags(item))))
    return records


def _routes(task: DisposalTask) -> list[str]:
    routes = [str(r) for r in (getattr(task, "routes", None) or [])]
    single = getattr(task, "route", None)
    if single and str(single) not in routes:
        routes.insert(0, str(single))
    return routes


def _route_items(task: DisposalTask) -> list[dict[str, Any]] | None:
    """The task's routed actions (联动处置事项) with the latest recall progress, when the
    disposal app records them; None when it does not."""
    manager = getattr(task, "route_items", None)
    if manager is None or not hasattr(manager, "all"):
        return None
    out = []
    for item in manager.all():
        entry = {k: _plain(getattr(item, k)) for k in ROUTE_ITEM_FIELDS if hasattr(item, k)}
        if "route" in entry:
            entry["route_label"] = _label(DisposalRoute, str(entry["route"]))
        progress = getattr(item, "recall_progress", None)
        latest = progress.order_by("-recorded_at", "-id").first() if progress else None
        if latest is not None:
            entry["recall"] = {
                "recorded_at": _plain(getattr(latest, "recorded_at", None)),
                "units_in_use": getattr(latest, "units_in_use", None),
                "units_recovered": getattr(latest, "units_recovered", None),
            }
        out.append(entry)
    return out


def _reassignments(task: DisposalTask) -> list[dict[str, Any]] | None:
    """Where the task was before it came to its district (改派), when the disposal app
    records reassignments; None when it does not."""
    manager = getattr(task, "reassignments", None)
    if manager is None or not hasattr(manager, "all"):
        return None
    return [
        {
            "from_district": _ref(getattr(move, "from_district", None)),
            "to_district": _ref(getattr(move, "to_district", None)),
            "at": _plain(getattr(move, "at", None)),
            "reason": str(getattr(move, "reason", "") or ""),
        }
        for move in manager.all()
    ]


def disposal_summary(warning: Warning) -> dict[str, Any]:
    """Each district's task — level, routes, state, clocks — with its feedback, and totals."""
    tasks = list(
        DisposalTask.objects.filter(warning=warning)
        .select_related("district")
        .order_by("district__code", "id")
    )
    feedback: dict[int, list[Feedback]] = {}
    for fb in Feedback.objects.filter(task__in=tasks).order_by("submitted_at", "id"):
        feedback.setdefault(fb.task_id, []).append(fb)
    out_tasks = []
    checked = removed = 0
    for task in tasks:
        routes = _routes(task)
        entry: dict[str, Any] = {
            "district": _ref(task.district),
            "level": task.level,
            "level_label": _label(WarningLevel, task.level),
            "routes": routes,
            "route_labels": [_label(DisposalRoute, r) for r in routes],
            "status": task.status,
            "status_label": DISPOSAL_MACHINE.states.get(task.status, task.status),
        }
        for name in TASK_TIMES:
            entry[name] = _plain(getattr(task, name, None))
        for name in TASK_OPTIONAL:
            if hasattr(task, name):
                entry[name] = _plain(getattr(task, name))
        items = _route_items(task)
        if items is not None:
            entry["route_items"] = items
        moves = _reassignments(task)
        if moves is not None:
            entry["reassignments"] = moves
        reports = []
        for fb in feedback.get(task.pk, []):
            report: dict[str, Any] = {
                "submitted_at": _plain(fb.submitted_at),
                "measures": fb.measures,
                "findings": fb.findings,
                "enterprises_checked": fb.enterprises_checked,
                "products_removed": fb.products_removed,
            }
            for name in FEEDBACK_OPTIONAL:
                if hasattr(fb, name):
                    report[name] = _plain(getattr(fb, name))
            checked += fb.enterprises_checked or 0
            removed += fb.products_removed or 0
            reports.append(report)
        entry["feedback"] = reports
        out_tasks.append(entry)
    return {
        "tasks": out_tasks,
        "totals": {
            "tasks": len(out_tasks),
            "by_status": dict(sorted(Counter(t["status"] for t in out_tasks).items())),
            "feedback": sum(len(t["feedback"]) for t in out_tasks),
            "enterprises_checked": checked,
            "products_removed": removed,
        },
    }


def package_body(warning: Warning) -> dict[str, Any]:
    return {
        "warning": warning_summary(warning),
        "records": warning_records(warning),
        "disposal": disposal_summary(warning),
    }


# ---------------------------------------------------------------- export


def _person(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def may_export(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*EXPORT_ROLES))


def may_import(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*IMPORT_ROLES))


def export_package(
    warning: Warning, *, user: Any = None, actor_label: str | None = None
) -> ExchangePackage:
    """Sign a package of ``warning`` as the next link of our chain, store and audit it.

    ``user`` None is the platform itself (the shell). Raises PermissionDenied or
    ExchangeError (a warning not yet published)."""
    if user is not None:
        require_role(user, *EXPORT_ROLES)
    if warning.status not in SHAREABLE_STATES:
        state = WARNING_MACHINE.states.get(warning.status, warning.status)
        raise ExchangeError(
            f"只有已发布或已解除的预警可以共享给长三角合作单位（该预警为“{state}”）"
        )
    key = load_private_key(create=True)
    producer = own_producer()
    issuer = Issuer(producer.code, producer.name)
    body = package_body(warning)
    for attempt in range(3):
        try:
            with transaction.atomic():
                last = (
                    ExchangePackage.objects.filter(direction=PackageDirection.SENT)
                    .order_by(F("sequence").desc(nulls_last=True))
                    .first()
                )
                sequence = (last.sequence or 0) + 1 if last else 1
                now = timezone.localtime()
                document = build_package(
                    package_id=f"{issuer.code}-{now:%Y%m%d}-{sequence:05d}",
                    issuer=issuer,
                    created_at=now.isoformat(timespec="seconds"),
                    sequence=sequence,
                    previous_hash=last.package_hash if last else None,
                    body=body,
                    private_key=key,
                )
                row = ExchangePackage.objects.create(
                    direction=PackageDirection.SENT,
                    status=PackageStatus.ISSUED,
                    package_id=document["header"]["package_id"],
                    sequence=sequence,
                    package_hash=package_hash(document),
                    previous_hash=last.package_hash if last else "",
                    issuer_code=issuer.code,
                    issuer_name=issuer.name,
                    warning=warning,
                    title=warning.title[:300],
                    level=warning.level,
                    content=package_text(document),
                    verified=True,
                    records=len(body["records"]),
                    file_name=f"{document['header']['package_id']}.json",
                    created_by=_person(user),
                )
                audit(
                    "yrd_export",
                    row,
                    actor=user,
                    actor_label=actor_label,
                    to_state=PackageStatus.ISSUED,
                    message=(
                        f"签发{LABEL} {row.package_id}（第 {sequence} 号）：预警“{warning.title}”，"
                        f"风险信息 {row.records} 条，处置任务 {len(body['disposal']['tasks'])} 个"
                    ),
                    detail={
                        "package_id": row.package_id,
                        "hash": row.package_hash,
                        "previous_hash": row.previous_hash,
                        "warning_id": warning.pk,
                        "key_id": document["header"]["key_id"],
                    },
                )
            return row
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- import


def _partner_for(header: PackageHeader) -> Partner:
    code = header.issuer.code
    if code == own_producer().code:
        raise PackageRefused(
            RefusalCode.OWN_PACKAGE,
            f"该共享包由本平台（{code}）签发，不能作为合作单位的共享包导入",
        )
    partner = Partner.objects.filter(code=code).first()
    if partner is None:
        raise PackageRefused(
            RefusalCode.UNKNOWN_ISSUER,
            f"签发单位“{header.issuer.name}”（代码 {code}）不是已登记的长三角合作单位，"
            "无法验证签名。请市局管理员核实后在“合作单位”中登记其代码和公钥，再重新导入",
        )
    if not partner.active:
        raise PackageRefused(
            RefusalCode.INACTIVE_ISSUER,
            f"合作单位“{partner.name}”（{code}）已停用，不接收其共享包。如需恢复请市局管理员启用",
        )
    return partner


def _check_chain(partner: Partner, header: PackageHeader, digest: str) -> None:
    accepted = ExchangePackage.objects.filter(
        direction=PackageDirection.RECEIVED, status=PackageStatus.ACCEPTED, partner=partner
    )
    same = (
        accepted.filter(package_id=header.package_id).first()
        or accepted.filter(package_hash=digest).first()
    )
    if same is not None:
        when = timezone.localtime(same.created_at)
        raise PackageRefused(
            RefusalCode.REPLAY,
            f"该共享包（{same.package_id}）已于 {when:%Y-%m-%d %H:%M} 接收，不重复导入",
        )
    last = accepted.order_by(F("sequence").desc(nulls_last=True)).first()
    if last is None or last.sequence is None:
        return  # the first package of this partner here: our view of its chain starts now
    if header.sequence <= last.sequence:
        raise PackageRefused(
            RefusalCode.OUT_OF_ORDER,
            f"顺序错误：该共享包为{partner.name}第 {header.sequence} 号包，"
            f"早于已接收的第 {last.sequence} 号包（{last.package_id}），拒绝接收",
        )
    if header.sequence != last.sequence + 1:
        missing = (
            f"第 {last.sequence + 1} 号"
            if header.sequence == last.sequence + 2
            else f"第 {last.sequence + 1}–{header.sequence - 1} 号"
        )
        raise PackageRefused(
            RefusalCode.BROKEN_CHAIN,
            f"哈希链断裂：已接收{partner.name}至第 {last.sequence} 号包，该包为第 "
            f"{header.sequence} 号，缺少{missing}包。请先向对方索取并导入缺少的共享包，再导入本包",
        )
    if header.previous_hash != last.package_hash:
        raise PackageRefused(
            RefusalCode.BROKEN_CHAIN,
            f"哈希链断裂：该包记载的上一包摘要与已接收的第 {last.sequence} 号包"
            f"（{last.package_id}）不一致，包可能被替换或伪造，拒绝接收。请与{partner.name}核实",
        )


def _record_entries(
    records: list[Any], name: str, partner_code: str, own_code: str
) -> Iterator[Entry]:
    for i, record in enumerate(records, start=1):
        raw = json.dumps(record, ensure_ascii=False, default=str)
        value: Any
        try:
            value = incoming_record(record, partner_code, own_code)
        except RecordRejected as exc:
            value = exc
        yield Entry(f"{name}#{i}", raw, value)


def _warning_of(obj: Any) -> tuple[str, str]:
    """Title and level as a package says (for the list; also of a refused package)."""
    body = obj.get("body") if isinstance(obj, Mapping) else None
    warning = body.get("warning") if isinstance(body, Mapping) else None
    if not isinstance(warning, Mapping):
        return "", ""
    title, level = warning.get("title"), warning.get("level")
    return (
        title[:300] if isinstance(title, str) else "",
        level[:10] if isinstance(level, str) else "",
    )


@dataclass
class _Read:
    obj: Any = None
    header: PackageHeader | None = None
    partner: Partner | None = None
    digest: str = ""


_QUARANTINE_REASONS = {
    RefusalCode.MALFORMED: "malformed",
    RefusalCode.TOO_LARGE: "too_large",
}


def _refuse(
    text: str, name: str, read: _Read, exc: PackageRefused, user: Any, actor_label: str | None
) -> ExchangePackage:
    """Keep the file in the quarantine with the reason and list the refusal."""
    reason = _QUARANTINE_REASONS.get(RefusalCode(exc.code), "invalid_value")
    rejected = RecordRejected(
        reason, f"{LABEL}未被接收：{exc.message_zh}", f"yrd package refused: {exc.code}"
    )
    ingest = ingest_entries(
        [Entry(name, text, rejected)], source_label=f"{LABEL} {name}（未接收）", user=user
    )
    title, level = _warning_of(read.obj)
    header = read.header
    row = ExchangePackage.objects.create(
        direction=PackageDirection.RECEIVED,
        status=PackageStatus.REFUSED,
        package_id=header.package_id if header else "",
        sequence=header.sequence if header else None,
        package_hash=read.digest,
        previous_hash=(header.previous_hash or "") if header else "",
        issuer_code=header.issuer.code if header else "",
        issuer_name=header.issuer.name if header else "",
        partner=read.partner,
        title=title,
        level=level,
        file_name=name[:200],
        refusal=exc.code,
        error=exc.message_zh[:500],
        batch_id=ingest.batch_id,
        created_by=_person(user),
    )
    audit(
        "yrd_refuse",
        row,
        actor=user,
        actor_label=actor_label,
        to_state=PackageStatus.REFUSED,
        message=f"拒收{LABEL} {name}：{exc.message_zh}",
        detail={"refusal": exc.code, "quarantine_batch": ingest.batch_id},
    )
    return row


def _accept(
    text: str, name: str, read: _Read, user: Any, actor_label: str | None
) -> ExchangePackage:
    assert read.header is not None and read.partner is not None
    header, partner = read.header, read.partner
    records = read.obj["body"]["records"]
    title, level = _warning_of(read.obj)
    with transaction.atomic():
        # One import of a partner's chain at a time: the next one sees this one's place.
        Partner.objects.select_for_update().filter(pk=partner.pk).first()
        _check_chain(partner, header, read.digest)
        ingest: IngestResult = ingest_entries(
            _record_entries(records, name, partner.code, own_producer().code),
            source_label=f"{LABEL} {header.package_id}（{partner.name}，{partner.code}）",
            user=user,
        )
        row = ExchangePackage.objects.create(
            direction=PackageDirection.RECEIVED,
            status=PackageStatus.ACCEPTED,
            package_id=header.package_id,
            sequence=header.sequence,
            package_hash=read.digest,
            previous_hash=header.previous_hash or "",
            issuer_code=header.issuer.code,
            issuer_name=header.issuer.name,
            partner=partner,
            title=title,
            level=level,
            content=text,
            verified=True,
            file_name=name[:200],
            records=len(records),
            accepted=ingest.accepted,
            duplicates=ingest.duplicates,
            quarantined=ingest.quarantined,
            batch_id=ingest.batch_id,
            created_by=_person(user),
        )
        audit(
            "yrd_import",
            row,
            actor=user,
            actor_label=actor_label,
            to_state=PackageStatus.ACCEPTED,
            message=(
                f"接收{partner.name}{LABEL} {header.package_id}（第 {header.sequence} 号，"
                f"签名已验证）：预警“{title}”；风险信息{ingest.summary_zh}"
            ),
            detail={
                "package_id": header.package_id,
                "hash": read.digest,
                "partner": partner.code,
                "key_id": partner.key_id,
                "batch": ingest.batch_id,
            },
        )
    return row


def _read(text: str, read: _Read) -> None:
    """Fill ``read`` step by step (what is known is kept for the refusal's record)."""
    try:
        read.obj = loads_json(text)  # nesting beyond the stack is bad JSON, not a crash
    except json.JSONDecodeError as exc:
        raise PackageRefused(
            RefusalCode.MALFORMED, f"文件不是合法的JSON：{exc.msg}（第{exc.lineno}行）"
        ) from None
    read.header = parse_package(read.obj)
    try:
        read.digest = package_hash(read.obj)
    except (ValueError, UnicodeEncodeError):
        raise PackageRefused(
            RefusalCode.MALFORMED, "共享包含有无效的数值或字符（NaN、孤立的代理项），无法验证"
        ) from None
    read.partner = _partner_for(read.header)
    verify_signature(read.obj, read.partner.public_key, read.partner.name)


def import_package_bytes(
    data: bytes, name: str, *, user: Any = None, actor_label: str | None = None
) -> ExchangePackage:
    """Check and import one package file; the returned record says accepted or refused and
    why. Raises PermissionDenied only (a bad package is an answer, not an error)."""
    if user is not None:
        require_role(user, *IMPORT_ROLES)
    read = _Read()
    if len(data) > MAX_PACKAGE_BYTES:
        limit = MAX_PACKAGE_BYTES // 1024 // 1024
        text = data[:100_000].decode("utf-8", "backslashreplace")
        refused = PackageRefused(RefusalCode.TOO_LARGE, f"共享包超过 {limit} MB，请与对方核实")
        return _refuse(text, name, read, refused, user, actor_label)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", "backslashreplace")
        refused = PackageRefused(
            RefusalCode.MALFORMED, f"共享包应为 UTF-8 编码（第 {exc.start} 字节处无法解码）"
        )
        return _refuse(text, name, read, refused, user, actor_label)
    try:
        _read(text, read)
        return _accept(text, name, read, user, actor_label)
    except PackageRefused as exc:
        return _refuse(text, name, read, exc, user, actor_label)
    except IntegrityError:
        # Another import accepted the same package (or the same place in the chain) between
        # our check and our insert.
        refused = PackageRefused(
            RefusalCode.REPLAY, "该共享包（或同一序号的包）刚由另一次导入接收，不重复导入"
        )
        return _refuse(text, name, read, refused, user, actor_label)


def import_package(
    path: Path, *, user: Any = None, actor_label: str | None = None, label: str | None = None
) -> ExchangePackage:
    """Import a package file from disk (``label`` names it when ``path`` is a copy)."""
    return import_package_bytes(
        path.read_bytes(), label or path.name, user=user, actor_label=actor_label
    )


def outcome_zh(row: ExchangePackage) -> str:
    """What became of a received package, as the page and the shell say it."""
    if row.status == PackageStatus.REFUSED:
        return (
            f"{LABEL}未被接收：{row.error} 文件已原样保存在隔离区"
            f"（批次 {row.batch_id}），可在“隔离区”查看"
        )
    return (
        f"已接收{row.issuer_name}{LABEL} {row.package_id}（第 {row.sequence} 号，签名已验证）："
        f"预警“{row.title}”；风险信息 {row.records} 条，接收 {row.accepted} 条，"
        f"重复提交 {row.duplicates} 条，隔离 {row.quarantined} 条。"
        "新接收的风险信息经筛查后进入风险信息列表，与本地已有信息重复的标为重复信息"
    )


def package_file(row: ExchangePackage, user: Any) -> tuple[str, str]:
    """(file name, text) of a stored package, for download by those who may export."""
    require_role(user, *EXPORT_ROLES)
    if not row.content:
        raise ExchangeError("该共享包未被接收，原文件保存在隔离区")
    return row.file_name or f"{row.package_id}.json", row.content


# ---------------------------------------------------------------- partners


def register_partner(
    *,
    code: str,
    name: str,
    province: str,
    public_key: str,
    contact: str = "",
    active: bool = True,
    user: Any = None,
    actor_label: str | None = None,
) -> Partner:
    """Register a partner, or update the one with this code (a new key, a new name)."""
    if user is not None:
        require_role(user, *PARTNER_ROLES)
    code = (code or "").strip()
    if not PRODUCER_CODE.fullmatch(code):
        raise ExchangeError("单位代码应为1至32位字母、数字、“-”或“_”，以字母或数字开头")
    if code == own_producer().code:
        raise ExchangeError(f"{code} 是本平台自己的代码，不能登记为合作单位")
    if not (name or "").strip() or not (province or "").strip():
        raise ExchangeError("请填写单位名称和所在省市")
    try:
        key = normalized_public_key(public_key)
    except ValueError as exc:
        raise ExchangeError(f"公钥无效：{exc}") from None
    fields = {
        "name": name.strip()[:100],
        "province": province.strip()[:20],
        "public_key": key,
        "contact": (contact or "").strip()[:200],
        "active": active,
    }
    with transaction.atomic():
        partner = Partner.objects.select_for_update().filter(code=code).first()
        if partner is None:
            partner = Partner.objects.create(code=code, registered_by=_person(user), **fields)
            audit(
                "yrd_partner_register",
                partner,
                actor=user,
                actor_label=actor_label,
                to_state="active" if active else "inactive",
                message=f"登记长三角合作单位 {partner}，公钥 {partner.key_id}",
                detail={"code": code, "key_id": partner.key_id},
            )
            return partner
        old_key = partner.key_id
        changed = [k for k, v in fields.items() if getattr(partner, k) != v]
        for k, v in fields.items():
            setattr(partner, k, v)
        partner.save()
        note = f"；公钥由 {old_key} 更换为 {partner.key_id}" if old_key != partner.key_id else ""
        audit(
            "yrd_partner_update",
            partner,
            actor=user,
            actor_label=actor_label,
            to_state="active" if partner.active else "inactive",
            message=f"更新长三角合作单位 {partner}{note}",
            detail={"changed": changed, "old_key_id": old_key, "key_id": partner.key_id},
        )
    return partner


def set_partner_active(partner: Partner, active: bool, *, user: Any = None) -> Partner:
    if user is not None:
        require_role(user, *PARTNER_ROLES)
    if partner.active != active:
        partner.active = active
        partner.save(update_fields=["active", "updated_at"])
        audit(
            "yrd_partner_update",
            partner,
            actor=user,
            from_state="inactive" if active else "active",
            to_state="active" if active else "inactive",
            message=f"{'启用' if active else '停用'}长三角合作单位 {partner}",
        )
    return partner


def dao_packages(direction: str | None = None) -> QuerySet[ExchangePackage]:
    qs = ExchangePackage.objects.select_related("partner", "warning", "created_by")
    if direction:
        qs = qs.filter(direction=direction)
    return qs


def imported_items(row: ExchangePackage) -> QuerySet[RawItem]:
    """The raw items a received package brought (with their screening, once screened)."""
    if row.direction != PackageDirection.RECEIVED or row.batch_id is None:
        return RawItem.objects.none()
    return (
        RawItem.objects.filter(batch_id=row.batch_id)
        .select_related("risk_info", "risk_info__duplicate_of")
        .order_by("id")
    )
