"""Dead letters and idempotency keys of tasks.

``run_once`` gives a task that creates things an effect of exactly once: its key is taken in
the same transaction as its work, so a message delivered twice (published twice, or
redelivered after a worker died before acknowledging it) does the work once.

``record_dead_letter`` keeps a task that failed for good. When the database itself is what
failed, the letter is appended to a spool file and moved into the database by
``import_spool`` (on the schedule queue) once it is back.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import kombu.exceptions
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pqrisk.accounts.choices import Role
from pqrisk.accounts.scoping import require_role
from pqrisk.audit.services import record as audit

from .choices import DeadLetterStatus
from .models import DeadLetter, ProcessedTask, TaskDelivery

log = logging.getLogger(__name__)

DEAD_LETTER_ROLES = (Role.CITY_ADMIN, Role.CITY_SUPERVISOR)
MAX_NOTE = 500


class OpsError(Exception):
    """A refused operation, with the reason a person reads."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


# -- idempotency -----------------------------------------------------------------------------


def run_once(
    key: str, task_name: str, work: Callable[[], dict[str, Any]], task_id: str = ""
) -> dict[str, Any]:
    """Run ``work`` unless a task with ``key`` has run; return its result either way.

    The key row is inserted first, in the transaction of the work: a second delivery running
    at the same time waits on the unique index until the first commits (then finds the key)
    or rolls back (then does the work itself).
    """
    if not key:
        raise ValueError("an idempotency key is required")
    with transaction.atomic():
        try:
            with transaction.atomic():
                marker = ProcessedTask.objects.create(
                    key=key[:200], task_name=task_name[:200], task_id=task_id[:64]
                )
        except IntegrityError:
            stored = ProcessedTask.objects.get(key=key[:200])
            log.info("task %s: key %s already processed by %s", task_name, key, stored.task_id)
            return {**stored.result, "already_processed": True}
        result = work()
        marker.result = result
        marker.save(update_fields=["result"])
    return result


def dao_processed(prefix: str = "") -> QuerySet[ProcessedTask]:
    qs = ProcessedTask.objects.all()
    return qs.filter(key__startswith=prefix) if prefix else qs


# -- dead letters ----------------------------------------------------------------------------


def count_delivery(task_id: str, retries: int, task_name: str) -> int:
    """Count one more delivery of a message; how many so far (0 when the database cannot
    be reached: the task then meets the outage itself and is retried as usual)."""
    try:
        row, created = TaskDelivery.objects.get_or_create(
            task_id=task_id[:64], retries=retries, defaults={"task_name": task_name[:200]}
        )
        if created:
            return 1
        TaskDelivery.objects.filter(pk=row.pk).update(
            deliveries=F("deliveries") + 1, last_at=timezone.now()
        )
        row.refresh_from_db(fields=["deliveries"])
        return row.deliveries
    except DatabaseError:
        log.warning("delivery of %s %s not counted: no database", task_name, task_id)
        return 0


def forget_delivery(task_id: str, retries: int) -> None:
    """The task returned: its delivery count is no longer needed."""
    try:
        TaskDelivery.objects.filter(task_id=task_id[:64], retries=retries).delete()
    except DatabaseError:
        log.warning("delivery count of %s left behind: no database", task_id)


def spool_path() -> Path:
    return Path(getattr(settings, "PQRISK_DEAD_LETTER_SPOOL", settings.VAR_DIR / "dead-letters"))


def record_dead_letter(
    *,
    task_name: str,
    task_id: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    exception: str,
    traceback: str = "",
    retries: int = 0,
    queue: str = "",
    failed_at: str | None = None,
) -> DeadLetter | None:
    """Keep a task that failed for good; the database's own failure sends it to the spool."""
    letter = {
        "task_name": task_name,
        "task_id": task_id,
        "args": _jsonable(list(args)),
        "kwargs": _jsonable(dict(kwargs)),
        "exception": exception,
        "traceback": traceback,
        "retries": retries,
        "queue": queue,
        "failed_at": failed_at or timezone.now().isoformat(),
    }
    try:
        return _store(letter)
    except DatabaseError:
        _spool(letter)
        log.exception("dead letter %s %s kept in the spool: no database", task_name, task_id)
        return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _store(letter: dict[str, Any]) -> DeadLetter:
    failed_at = parse_datetime(letter["failed_at"]) or timezone.now()
    with transaction.atomic():
        row, created = DeadLetter.objects.select_for_update().get_or_create(
            task_id=letter["task_id"][:64],
            defaults={
                "task_name": letter["task_name"][:200],
                "queue": letter["queue"][:40],
                "args": letter["args"],
                "kwargs": letter["kwargs"],
                "exception": letter["exception"],
                "traceback": letter["traceback"],
                "retries": letter["retries"],
                "last_failed_at": failed_at,
            },
        )
        if not created:
            # The same task, re-enqueued from this page, failed again.
            DeadLetter.objects.filter(pk=row.pk).update(
                exception=letter["exception"],
                traceback=letter["traceback"],
                retries=letter["retries"],
                failures=F("failures") + 1,
                last_failed_at=failed_at,
                status=DeadLetterStatus.PENDING,
                resolved_at=None,
                resolved_by="",
            )
            row.refresh_from_db()
        audit(
            "dead_letter",
            row,
            to_state=DeadLetterStatus.PENDING,
            message=f"任务 {row.task_name} 重试 {row.retries} 次后仍失败：{row.exception}"[:500],
        )
    return row


def _spool(letter: dict[str, Any]) -> None:
    path = spool_path()
    path.mkdir(parents=True, exist_ok=True)
    # One file per letter: written whole then renamed, so an import never reads half of one.
    name = f"{letter['task_id'] or 'unknown'}-{os.getpid()}-{timezone.now().timestamp():.6f}"
    tmp = path / f".{name}.tmp"
    tmp.write_text(json.dumps(letter, ensure_ascii=False))
    tmp.rename(path / f"{name}.json")


def import_spool() -> int:
    """Move dead letters spooled while the database was away into the database."""
    path = spool_path()
    if not path.is_dir():
        return 0
    moved = 0
    for file in sorted(path.glob("*.json")):
        _store(json.loads(file.read_text()))
        file.unlink()
        moved += 1
    return moved


def dao_dead_letters(status: str = "") -> QuerySet[DeadLetter]:
    qs = DeadLetter.objects.all()
    return qs.filter(status=status) if status else qs


def may_handle(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*DEAD_LETTER_ROLES))


def retry_dead_letter(letter: DeadLetter, user: Any) -> str:
    """Enqueue the task again under its own id (a new failure updates this row). Returns the
    outcome in Chinese."""
    require_role(user, *DEAD_LETTER_ROLES)
    from pqrisk.celery import app

    eager = bool(app.conf.task_always_eager)
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.status != DeadLetterStatus.PENDING:
            raise OpsError(f"该死信{letter.get_status_display()}，不能重试")
        if letter.task_name not in app.tasks:
            raise OpsError(f"任务 {letter.task_name} 已不存在（可能已改名），请丢弃并说明原因")
        before = letter.status
        letter.status = DeadLetterStatus.RETRIED
        letter.resolved_at = timezone.now()
        letter.resolved_by = user.get_username()[:150]
        letter.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit(
            "dead_letter_retry",
            letter,
            actor=user,
            from_state=before,
            to_state=letter.status,
            message=f"重新入队：{letter.task_name}",
        )
        task = app.tasks[letter.task_name]
        if not eager:
            # Published inside the transaction: a broker that stays away rolls the state back.
            # A worker failing it again before the commit waits on this row's lock.
            try:
                task.apply_async(args=letter.args, kwargs=letter.kwargs, task_id=letter.task_id)
            except kombu.exceptions.OperationalError as exc:
                raise OpsError(f"消息队列暂时不可用，未能重新入队，请稍后再试（{exc}）") from exc
    if not eager:
        return f"任务 {letter.task_name} 已重新入队"
    # No broker (laptop shape): the task runs here and now.
    result = task.apply(args=letter.args, kwargs=letter.kwargs, task_id=letter.task_id, throw=False)
    if result.failed():
        record_dead_letter(
            task_name=letter.task_name,
            task_id=letter.task_id,
            args=letter.args,
            kwargs=letter.kwargs,
            exception=f"{type(result.result).__name__}: {result.result}",
            traceback=str(result.traceback or ""),
        )
        return f"任务 {letter.task_name} 重试后仍失败：{result.result}"
    return f"任务 {letter.task_name} 已重新执行"


def discard_dead_letter(letter: DeadLetter, user: Any, reason: str) -> None:
    """Give up on a dead letter, with the reason (required)."""
    require_role(user, *DEAD_LETTER_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise OpsError("丢弃死信须填写理由")
    if len(reason) > MAX_NOTE:
        raise OpsError(f"理由不能超过 {MAX_NOTE} 字")
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.status != DeadLetterStatus.PENDING:
            raise OpsError(f"该死信{letter.get_status_display()}，不能丢弃")
        before = letter.status
        letter.status = DeadLetterStatus.DISCARDED
        letter.note = reason
        letter.resolved_at = timezone.now()
        letter.resolved_by = user.get_username()[:150]
        letter.save(update_fields=["status", "note", "resolved_at", "resolved_by"])
        audit(
            "dead_letter_discard",
            letter,
            actor=user,
            from_state=before,
            to_state=letter.status,
            message=f"丢弃：{reason}",
        )


__all__ = [
    "DEAD_LETTER_ROLES",
    "OpsError",
    "dao_dead_letters",
    "discard_dead_letter",
    "import_spool",
    "may_handle",
    "record_dead_letter",
    "retry_dead_letter",
    "run_once",
]
