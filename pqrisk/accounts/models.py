from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models

from .choices import Role


class User(AbstractUser):
    """A person using the platform; district officers belong to one district."""

    district = models.ForeignKey(
        "reference.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name="所属区局",
    )
    organisation = models.CharField("单位", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    @cached_property
    def roles(self) -> frozenset[Role]:
        names = self.groups.values_list("name", flat=True)
        found = {Role.by_group_name(n) for n in names}
        roles = frozenset(r for r in found if r is not None)
        if self.is_superuser:
            roles = roles | {Role.CITY_ADMIN}
        return roles

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_city_wide(self) -> bool:
        """City-wide users see every district; district officers see only their own."""
        return any(r.city_wide for r in self.roles)

    @property
    def role_codes(self) -> frozenset[str]:
        """Role names as the domain core's workflow tables spell them."""
        return frozenset(r.value for r in self.roles)

    @property
    def role_labels(self) -> str:
        return "、".join(r.label for r in sorted(self.roles, key=lambda r: r.value)) or "无角色"
