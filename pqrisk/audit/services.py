"""Record every change of state. Callers pass the actor; the system acts as "系统"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model

from pqrisk.bulk import insert_objects

from .attribution import attribute_to
from .models import AuditEvent

SYSTEM_LABEL = "系统"


def record(
    action: str,
    obj: Model,
    *,
    actor: Any = None,
    actor_label: str | None = None,
    from_state: str = "",
    to_state: str = "",
    district_id: int | None = None,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event for ``obj``."""
    event = build_event(
        action,
        obj,
        actor=actor,
        actor_label=actor_label,
        from_state=from_state,
        to_state=to_state,
        district_id=district_id,
        message=message,
        detail=detail,
    )
    event.save()
    return event


def build_event(
    action: str,
    obj: Model,
    *,
    actor: Any = None,
    actor_label: str | None = None,
    from_state: str = "",
    to_state: str = "",
    district_id: int | None = None,
    message: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """The audit event ``record`` saves, unsaved (for callers that insert many at once)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user is not None else SYSTEM_LABEL)
    if district_id is None:
        district_id = getattr(obj, "district_id", None)
    if user is not None:
        # The field changes this service just saved are the same actor's.
        attribute_to(obj, user)
    return AuditEvent(
        actor=user,
        actor_label=label[:100],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        from_state=from_state,
        to_state=to_state,
        district_id=district_id,
        message=message[:500],
        detail=detail or {},
    )


def history(obj: Model) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("at", "id")
    )


def record_many(
    action: str,
    objs: Iterable[Model],
    *,
    from_state: str = "",
    to_state: str | Callable[[Any], str] = "",
    message: Callable[[Any], str] | str = "",
) -> int:
    """Append one system audit event per object in one insert (pipeline steps that move
    thousands of rows at once). ``to_state`` and ``message`` may be per-object callables."""
    events = [
        AuditEvent(
            actor_label=SYSTEM_LABEL,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            from_state=from_state,
            to_state=to_state(obj) if callable(to_state) else to_state,
            district_id=getattr(obj, "district_id", None),
            message=(message(obj) if callable(message) else message)[:500],
        )
        for obj in objs
    ]
    insert_objects(events)
    return len(events)
