"""Roles of the platform. A role is a Django group; the group name is what users read."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    label: str
    city_wide: bool
    meaning: str

    def __new__(cls, value: str, label: str, city_wide: bool, meaning: str) -> Role:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        obj.city_wide = city_wide
        obj.meaning = meaning
        return obj

    CITY_ADMIN = ("city_admin", "市局管理员", True, "管理用户、监测站和基础数据，拥有全部权限")
    CITY_SUPERVISOR = ("city_supervisor", "市局监管处", True, "审批和发布预警，组织红橙色预警处置")
    ANALYST = ("analyst", "评估中心", True, "筛查风险信息、开展风险评估、提出预警建议")
    DISTRICT_OFFICER = ("district_officer", "区局", False, "仅处理本区的风险信息与处置任务")
    EXPERT = ("expert", "专家", True, "参与风险评估与会商研判")
    STATION = ("station", "监测站", False, "仅通过接口令牌报送风险信息")

    @classmethod
    def by_group_name(cls, name: str) -> Role | None:
        return next((r for r in cls if r.label == name), None)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(r.value, r.label) for r in cls]


CITY_ROLES = frozenset({Role.CITY_ADMIN, Role.CITY_SUPERVISOR, Role.ANALYST, Role.EXPERT})
