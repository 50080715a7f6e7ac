"""The quarantine (隔离区): look at rejected input, replay it once corrected, or dismiss it.

A corrected record goes through the same intake as any other (``ingest_entries``), inside a
savepoint: if intake would reject it again, the savepoint is rolled back, so a failed replay
creates no second quarantined item for the same input; the item stays open, the attempt is
audited and its new reason returned. Only the city bureau's staff (市局管理员, 市局监管处,
评估中心) resolve items; a district officer sees the reasons for their own uploads on the
intake page, corrects the file and submits it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit
from pqrisk.sources.readers import Entry, _canonical_row
from pqrisk.sources.records import (
    MAX_DEPTH,
    MAX_RECORD_BYTES,
    RecordRejected,
    nesting_depth,
    validate_record,
    without_nul,
)

from .choices import QUARANTINE_OPEN, QuarantineReason, QuarantineResolution
from .models import QuarantinedItem, RawItem
from .services import district_resolver, ingest_entries

FIXER_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
# csv.DictReader files the cells beyond the header under the key None, which JSON writes as
# "null": they belong to no column, so a draft leaves them out.
OVERFLOW_KEY = "null"


class QuarantineError(Exception):
    """A quarantine action that cannot be done; ``message_zh`` is what the user reads."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass(frozen=True)
class ReplayOutcome:
    """What became of a replay: accepted (new or identical to a stored record) or not."""

    item: QuarantinedItem
    accepted: bool
    raw_item: RawItem | None = None
    duplicate: bool = False
    reason: str = ""
    message_zh: str = ""

    @property
    def summary_zh(self) -> str:
        if not self.accepted:
            label = QuarantineReason(self.reason).label if self.reason else ""
            if not label or self.message_zh.startswith(label):
                return f"重新导入未通过：{self.message_zh}"
            return f"重新导入未通过（{label}）：{self.message_zh}"
        assert self.raw_item is not None
        if self.duplicate:
            return (
                f"更正后的记录与已保存的原始信息 #{self.raw_item.pk}"
                f"（{self.raw_item.external_id}）相同，已关联，隔离记录已处理"
            )
        return f"已重新导入，生成原始信息 #{self.raw_item.pk}（{self.raw_item.external_id}）"


# ---------------------------------------------------------------- what is kept


def draft_of(item: QuarantinedItem) -> str:
    """The record to start a correction from, as the text shown in the editor.

    The parsed record when there is one; else the raw content, as an object under canonical
    keys when it is a row of a table (a CSV row with too many cells), so that fixing the row
    is a matter of reading the reason and editing one value.
    """
    if item.parsed is not None:
        return _pretty(item.parsed)
    try:
        obj = json.loads(item.content)
    except ValueError:
        return item.content  # e.g. a broken JSON line: the user mends the text itself
    if not isinstance(obj, dict):
        return item.content
    if _from_table(item.location):
        obj = _canonical_row({k: v for k, v in obj.items() if k != OVERFLOW_KEY})
    return _pretty(obj)


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _from_table(location: str) -> bool:
    name = location.rsplit(":", 1)[0] if ":" in location else location
    return PurePath(name).suffix.lower() in TABLE_SUFFIXES


# ---------------------------------------------------------------- queries


def dao_quarantined_items(
    *, reason: str | None = None, open_only: bool = False
) -> QuerySet[QuarantinedItem]:
    qs = QuarantinedItem.objects.select_related("batch", "resolved_by", "replayed_item")
    if reason:
        qs = qs.filter(reason=reason)
    if open_only:
        qs = qs.filter(resolved=False)
    return qs


def may_resolve(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*FIXER_ROLES))


# ---------------------------------------------------------------- actions


def replay(item: QuarantinedItem, fixed: Any, user: Any = None, note: str = "") -> ReplayOutcome:
    """Ingest the corrected record ``fixed`` in place of the quarantined ``item``.

    Accepted (or identical to a record already stored): the item is resolved as replayed and
    linked to the raw item. Rejected again: the item stays open and the outcome carries the new
    reason. ``user`` None is the system acting from the shell.
    """
    _require_fixer(user)
    default_source = item.source_kind or None
    try:
        with transaction.atomic():
            item = _lock_open(item)
            # The common checks first: a record that fails them creates no batch at all.
            rec = validate_record(fixed, district_resolver(), default_source)
            result = ingest_entries(
                [
                    Entry(
                        f"隔离区记录 #{item.pk} 重放（原位置 {item.location}）"[:300],
                        json.dumps(fixed, ensure_ascii=False, default=str),
                        fixed,
                    )
                ],
                source_label=f"隔离区重放 #{item.pk}",
                default_source=default_source,
                user=user,
            )
            if result.quarantined:
                # Rejected by a check beyond the record itself (its id now holds different
                # content): undo the batch and the new quarantined item, keep this one open.
                again = QuarantinedItem.objects.filter(batch_id=result.batch_id).get()
                raise RecordRejected(again.reason, again.message, "replay rejected by intake")
            raw = RawItem.objects.get(source_kind=rec.source, external_id=rec.external_id)
            before = _state_of(item)
            item.resolved = True
            item.resolution = QuarantineResolution.REPLAYED
            item.resolved_by = _person(user)
            item.resolved_at = timezone.now()
            item.resolution_note = note.strip()[:500]
            item.replayed_item = raw
            item.save(update_fields=[*_RESOLUTION_FIELDS, "replayed_item"])
            duplicate = result.duplicates == 1
            outcome = ReplayOutcome(item, accepted=True, raw_item=raw, duplicate=duplicate)
            audit(
                "quarantine_replay",
                item,
                actor=user,
                from_state=QUARANTINE_OPEN,
                to_state=item.state,
                message=_with_note(outcome.summary_zh, item.resolution_note),
                detail={
                    "before": before,
                    "after": _state_of(item),
                    "record": _loggable(fixed),
                    "batch_id": result.batch_id,
                    "raw_item_id": raw.pk,
                    "duplicate": duplicate,
                },
            )
            return outcome
    except RecordRejected as exc:
        outcome = ReplayOutcome(item, accepted=False, reason=exc.reason, message_zh=exc.message_zh)
        audit(  # an attempt, not a change of state: the item stays open
            "quarantine_replay_rejected",
            item,
            actor=user,
            message=_with_note(outcome.summary_zh, note.strip()),
            detail={"reason": exc.reason, "record": _loggable(fixed)},
        )
        return outcome


@transaction.atomic
def dismiss(item: QuarantinedItem, user: Any = None, note: str = "") -> QuarantinedItem:
    """Close ``item`` without importing it; the reason is required and audited."""
    _require_fixer(user)
    note = note.strip()
    if not note:
        raise QuarantineError("不予处理须填写理由")
    item = _lock_open(item)
    before = _state_of(item)
    item.resolved = True
    item.resolution = QuarantineResolution.DISMISSED
    item.resolved_by = _person(user)
    item.resolved_at = timezone.now()
    item.resolution_note = note[:500]
    item.save(update_fields=_RESOLUTION_FIELDS)
    audit(
        "quarantine_dismiss",
        item,
        actor=user,
        from_state=QUARANTINE_OPEN,
        to_state=item.state,
        message=f"不予处理：{item.resolution_note}",
        detail={"before": before, "after": _state_of(item)},
    )
    return item


_RESOLUTION_FIELDS = ["resolved", "resolution", "resolved_by", "resolved_at", "resolution_note"]


def _require_fixer(user: Any) -> None:
    """City staff only. ``None`` is the system acting from the shell (``pqrisk`` CLI):
    whoever runs it already holds the server."""
    if user is None:
        return
    try:
        require_role(user, *FIXER_ROLES)
    except PermissionDenied:
        raise PermissionDenied("只有市局管理员、市局监管处或评估中心可以处理隔离区记录") from None


def _lock_open(item: QuarantinedItem) -> QuarantinedItem:
    """The item re-read under a row lock (two people cannot resolve it at once), if open."""
    locked = QuarantinedItem.objects.select_for_update().get(pk=item.pk)
    if locked.resolved:
        who = locked.resolved_by.get_username() if locked.resolved_by else "系统"
        when = ""
        if locked.resolved_at:
            when = f"于 {timezone.localtime(locked.resolved_at):%Y-%m-%d %H:%M} "
        raise QuarantineError(
            f"隔离记录 #{locked.pk} 已由 {who} {when}处理"
            f"（{locked.get_resolution_display()}），不能再次处理"
        )
    return locked


def _person(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _state_of(item: QuarantinedItem) -> dict[str, Any]:
    return {
        "state": item.state,
        "resolved": item.resolved,
        "resolved_by": item.resolved_by.get_username() if item.resolved_by else None,
        "resolved_at": item.resolved_at.isoformat() if item.resolved_at else None,
        "resolution_note": item.resolution_note,
        "replayed_item_id": item.replayed_item_id,
    }


def _with_note(message: str, note: str) -> str:
    return f"{message}；说明：{note}" if note else message


def _loggable(record: Any) -> Any:
    """The submitted record for the audit detail, unless it is too large to keep there."""
    if nesting_depth(record, MAX_DEPTH) > MAX_DEPTH:
        return {"omitted": f"记录嵌套超过{MAX_DEPTH}层，未写入审计详情"}
    try:
        size = len(json.dumps(record, ensure_ascii=False, default=str).encode())
    except (TypeError, ValueError, UnicodeEncodeError):
        return {"omitted": "记录无法序列化"}
    if size > MAX_RECORD_BYTES:
        return {"omitted": f"记录过大（{size // 1024} KB），未写入审计详情"}
    return without_nul(record)
