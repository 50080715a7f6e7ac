"""Context for every page: the platform's name, who is signed in and what they may open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.urls import reverse

from pqrisk.accounts.choices import Role

PLATFORM_NAME = "工业产品质量安全风险评估预警平台"
PLATFORM_OWNER = "上海市市场监督管理局"
VENDOR_FILES = {"htmx": "vendor/htmx.min.js", "echarts": "vendor/echarts.min.js"}


def can_use_pages(user: Any) -> bool:
    """Pages are for the bureau's people: city-wide roles and district officers with a district.
    Stations report through the API only; a user without a role sees nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_city_wide:
        return True
    return user.has_role(Role.DISTRICT_OFFICER) and user.district_id is not None


def is_city_user(user: Any) -> bool:
    return can_use_pages(user) and user.is_city_wide


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# (label, url name, prefix of the url names that make it active, who sees it: every page
# user, city-wide roles, the assessment centre and city bureau staff, experts, the city
# administrators and supervisors who handle dead letters)
NAV: list[tuple[str, str, str, str]] = [
    ("首页", "web:home", "home", "pages"),
    ("综合看板", "web:dashboard", "dashboard", "pages"),
    ("风险信息", "web:riskinfo_list", "riskinfo_", "pages"),
    ("风险事件", "web:event_list", "event_", "pages"),
    ("风险信号", "web:signal_list", "signal_", "pages"),
    ("境外通报", "web:foreign_list", "foreign_", "pages"),
    ("评估任务", "web:case_list", "case_", "pages"),
    ("专家评估", "experts:case_list", "experts:", "staff"),
    ("我的评估任务", "experts:my_tasks", "experts:", "expert"),
    ("实验室抽样", "labs:task_list", "labs:", "pages"),
    ("会商研判", "meetings:meeting_list", "meetings:", "city"),
    ("风险评估", "web:assessment_list", "assessment_", "pages"),
    ("风险预警", "web:warning_list", "warning_", "pages"),
    ("处置任务", "web:task_list", "task_", "pages"),
    ("跟踪事项", "web:tracking_list", "tracking_", "pages"),
    ("逾期督办", "web:disposal_overdue", "disposal_overdue", "city"),
    ("长三角共享", "web:exchange_list", "exchange_", "city"),
    ("产品质量安全资讯", "web:bulletin_list", "bulletin_", "pages"),
    ("风险交流", "web:communication_list", "communication_", "pages"),
    ("企业", "web:enterprise_list", "enterprise_", "pages"),
    ("企业匹配复核", "web:matching_queue", "matching_", "pages"),
    ("信用风险分级", "web:supervision_grade_list", "supervision_", "pages"),
    ("知识图谱", "graph:page", "graph:", "pages"),
    ("信息采集", "web:intake", "intake", "pages"),
    ("监测站", "web:station_list", "station_", "city"),
    ("隔离区", "web:quarantine_list", "quarantine_", "city"),
    ("审计日志", "web:audit_list", "audit_", "pages"),
    ("死信任务", "ops:dead_letter_list", "ops:", "ops"),
]


def vendor_available(name: str) -> bool:
    """Whether ``npm run build`` has copied the library into static/vendor/ (pages degrade
    to plain HTML forms and tables without it)."""
    return finders.find(VENDOR_FILES[name]) is not None


def nav_items(request: HttpRequest) -> list[NavItem]:
    user = getattr(request, "user", None)
    if not can_use_pages(user):
        return []
    match = getattr(request, "resolver_match", None)
    # A web page is active by its url name's prefix; another app's pages by its namespace.
    current = ""
    if match and match.url_name:
        current = match.url_name if match.namespace == "web" else f"{match.namespace}:"
    city = is_city_user(user)
    roles: frozenset[str] = getattr(user, "role_codes", frozenset())
    allowed = {
        "pages": True,
        "city": city,
        "staff": bool(roles & {"analyst", "city_supervisor", "city_admin"}),
        "expert": "expert" in roles,
        "ops": bool(roles & {"city_supervisor", "city_admin"}),
    }
    return [
        NavItem(label, reverse(name), bool(current) and str(current).startswith(prefix))
        for label, name, prefix, who in NAV
        if allowed[who]
    ]


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "platform_name": PLATFORM_NAME,
        "platform_owner": PLATFORM_OWNER,
        "nav_items": nav_items(request),
        "show_admin_link": bool(user is not None and user.is_authenticated and user.is_staff),
        "has_htmx": vendor_available("htmx"),
        "has_echarts": vendor_available("echarts"),
    }


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The number of unread notifications in the user's 消息中心, for the badge in the nav."""
    from pqrisk.notifications.services import unread_count

    user = getattr(request, "user", None)
    return {"inbox_unread": unread_count(user) if can_use_pages(user) else 0}
