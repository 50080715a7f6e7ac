"""Name the service's actor on field-level change entries (django-auditlog).

In a request, the audit middleware tells django-auditlog who acts. A service called from
the shell, a Celery task or a test has no request, yet it knows its actor and passes it to
``pqrisk.audit.services.record`` right after saving. Entries django-auditlog has just written
without an actor, in this thread and inside a transaction, are remembered here per object for
a few seconds, and ``record`` names its actor on those of the same object.

No transaction hook is used to forget them (tests count the on-commit callbacks of the
services); they expire instead: a service saves and records within one unit of work, far
inside ``ATTRIBUTION_SECONDS``.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import Model

# How long after its save an entry without an actor may still be named by ``record``.
ATTRIBUTION_SECONDS = 10.0

# (content type id, object pk) → {entry id: monotonic time it was written}.
_pending: ContextVar[dict[tuple[int, str], dict[int, float]] | None] = ContextVar(
    "pqrisk_unattributed_log_entries", default=None
)


def _pending_map() -> dict[tuple[int, str], dict[int, float]]:
    pending = _pending.get()
    if pending is None:
        pending = {}
        _pending.set(pending)
    return pending


def _drop_expired(pending: dict[tuple[int, str], dict[int, float]], now: float) -> None:
    for key in [k for k, ids in pending.items() if max(ids.values()) < now - ATTRIBUTION_SECONDS]:
        del pending[key]


def remember_unattributed(sender: Any, log_entry: Any = None, **kwargs: Any) -> None:
    """django-auditlog ``post_log`` receiver: keep a fresh entry without an actor."""
    if log_entry is None or log_entry.actor_id is not None:
        return
    if not transaction.get_connection().in_atomic_block:
        return  # autocommit: the save and any business event are not one unit of work
    now = time.monotonic()
    pending = _pending_map()
    _drop_expired(pending, now)
    key = (log_entry.content_type_id, str(log_entry.object_pk))
    pending.setdefault(key, {})[log_entry.pk] = now


def attribute_to(obj: Model, user: Any) -> int:
    """Name ``user`` on the fresh entries of ``obj``; returns how many were named. Audit
    events about things that are not database rows (an export, a file) have none."""
    pending = _pending.get()
    if not pending or not isinstance(obj, Model) or obj.pk is None:
        return 0
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    key = (ContentType.objects.get_for_model(obj).pk, str(obj.pk))
    entries = pending.pop(key, None)
    if not entries:
        return 0
    cutoff = time.monotonic() - ATTRIBUTION_SECONDS
    ids = [pk for pk, at in entries.items() if at >= cutoff]
    if not ids:
        return 0
    return LogEntry.objects.filter(pk__in=ids, actor__isnull=True).update(
        actor=user, actor_email=getattr(user, "email", None) or None
    )
