"""District scoping: which rows a user may see. Every view and API endpoint goes through here."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from .choices import Role
from .models import User

M = TypeVar("M", bound=Model)


def scope_queryset(
    user: User | AnonymousUser, qs: QuerySet[M], district_field: str = "district"
) -> QuerySet[M]:
    """Restrict ``qs`` to what ``user`` may see: all for city-wide roles, own district otherwise."""
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_city_wide:
        return qs
    if user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None:
        return qs.filter(**{f"{district_field}_id": user.district_id})
    return qs.none()


SYSTEM_ROLES = frozenset({"system"})


def workflow_roles(user: Any) -> frozenset[str]:
    """Role names for the core's transition tables: the user's, or the system's when no
    person acts (scheduled jobs)."""
    if getattr(user, "is_authenticated", False):
        return frozenset(user.role_codes)
    return SYSTEM_ROLES


def require_role(user: User | AnonymousUser, *roles: Role) -> None:
    if not user.is_authenticated or not user.has_role(*roles):
        wanted = "、".join(r.label for r in roles)
        raise PermissionDenied(f"需要以下角色之一：{wanted}")
