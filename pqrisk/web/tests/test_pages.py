"""The pages, as the bureau's people use them.

alice (市局监管处) sees the whole city; bob is the Pudong district officer and charlie the
Jiading one; eve has no role; a station account may only use the API. Anonymous visitors
see the public consumer advisories and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import JIADING, PUDONG, make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.audit.services import record
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.disposal.models import DisposalTask
from pqrisk.warnings.models import Warning

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """One risk in Pudong and one in Jiading, each warned and with a disposal task."""
    pd_info = f.risk_info(PUDONG, title="浦东电热水壶抽查不合格")
    jd_info = f.risk_info(JIADING, title="嘉定儿童座椅抽查不合格")
    f.risk_info(PUDONG, title="浦东充电宝待评估")
    pd_warning = f.warning(pd_info, title="浦东电热水壶触电风险")
    jd_warning = f.warning(jd_info, title="嘉定儿童座椅夹伤风险", status="approved")
    pd_task = f.task(pd_warning, PUDONG)
    jd_task = f.task(
        jd_warning, JIADING, status="in_progress", due_at=timezone.now() - timedelta(hours=2)
    )
    advisory = f.warning(
        f.risk_info(None, title="电动自行车电池起火"),
        level=WarningLevel.RED,
        status="published",
        modes=(WarningMode.INTERNAL_NOTICE, WarningMode.CONSUMER_ADVISORY),
        title="电动自行车充电起火风险提示",
    )
    internal = f.warning(
        f.risk_info(None, title="燃气灶具熄火保护失效"),
        status="published",
        modes=(WarningMode.INTERNAL_NOTICE,),
        title="燃气灶具内部通报",
    )
    record("dispatch", pd_task, message="下达浦东处置任务")
    record("dispatch", jd_task, message="下达嘉定处置任务")
    return {
        "pd_info": pd_info,
        "jd_info": jd_info,
        "pd_warning": pd_warning,
        "jd_warning": jd_warning,
        "pd_task": pd_task,
        "jd_task": jd_task,
        "advisory": advisory,
        "internal": internal,
        "pd_enterprise": f.enterprise(PUDONG, "浦东测试电器有限公司"),
        "jd_enterprise": f.enterprise(JIADING, "嘉定测试座椅有限公司"),
        "station": f.station(),
        "quarantined": f.quarantined(),
    }


def page_urls(w: dict[str, Any]) -> list[str]:
    """Every page behind the login, for one row of each kind."""
    return [
        reverse("web:home"),
        reverse("web:riskinfo_list"),
        reverse("web:riskinfo_detail", args=[w["jd_info"].pk]),
        reverse("web:assessment_list"),
        reverse("web:assessment_detail", args=[w["jd_warning"].assessment_id]),
        reverse("web:warning_list"),
        reverse("web:warning_detail", args=[w["jd_warning"].pk]),
        reverse("web:task_list"),
        reverse("web:task_detail", args=[w["jd_task"].pk]),
        reverse("web:enterprise_list"),
        reverse("web:enterprise_detail", args=[w["jd_enterprise"].pk]),
        reverse("web:station_list"),
        reverse("web:station_detail", args=[w["station"].pk]),
        reverse("web:quarantine_list"),
        reverse("web:audit_list"),
        reverse("web:foreign_list"),
        reverse("web:foreign_review"),
    ]


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_every_page_opens_for_the_city_supervisor(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "工业产品质量安全风险评估预警平台" in response.content.decode()


def test_every_page_opens_with_filters_and_pages(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    for name in ("riskinfo_list", "warning_list", "task_list", "audit_list", "enterprise_list"):
        response = client.get(reverse(f"web:{name}"), {"q": "嘉定", "page": "2"})
        assert response.status_code == 200, name
    response = client.get(reverse("web:task_list"), {"overdue": "on"})
    assert "嘉定儿童座椅夹伤风险" in response.content.decode()
    assert "浦东电热水壶触电风险" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_login(client: Client, world: dict) -> None:
    login_url = reverse("accounts:login")
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login_url), url


def test_login_page_and_logout(client: Client, alice: User) -> None:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "用户登录" in response.content.decode()
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("accounts:logout")).status_code == 405  # POST only
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 302


def test_repeated_failed_logins_lock_the_account(client: Client, alice: User) -> None:
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert "登录失败次数过多，账户已临时锁定，请15分钟后再试" in response.content.decode()


def test_district_officer_gets_404_for_another_districts_rows(
    client: Client, bob: User, world: dict
) -> None:
    login(client, bob)
    for url in (
        reverse("web:task_detail", args=[world["jd_task"].pk]),
        reverse("web:riskinfo_detail", args=[world["jd_info"].pk]),
        reverse("web:warning_detail", args=[world["jd_warning"].pk]),
        reverse("web:assessment_detail", args=[world["jd_warning"].assessment_id]),
        reverse("web:enterprise_detail", args=[world["jd_enterprise"].pk]),
    ):
        assert client.get(url).status_code == 404, url
    # and cannot act on it either
    response = client.post(reverse("web:task_action", args=[world["jd_task"].pk, "complete"]))
    assert response.status_code == 404
    assert client.get(reverse("web:task_detail", args=[world["pd_task"].pk])).status_code == 200


def test_district_officer_sees_only_own_district_in_lists(
    client: Client, bob: User, world: dict
) -> None:
    login(client, bob)
    for name in ("home", "task_list", "warning_list", "riskinfo_list", "enterprise_list"):
        html = client.get(reverse(f"web:{name}")).content.decode()
        assert "嘉定" not in html.replace("嘉定区", ""), name  # (district filter is hidden)
    html = client.get(reverse("web:task_list")).content.decode()
    assert "浦东电热水壶触电风险" in html
    html = client.get(reverse("web:audit_list")).content.decode()
    assert "下达浦东处置任务" in html
    assert "下达嘉定处置任务" not in html


def test_city_only_pages_are_forbidden_to_district_officers(
    client: Client, bob: User, world: dict
) -> None:
    login(client, bob)
    for name in ("station_list", "quarantine_list"):
        assert client.get(reverse(f"web:{name}")).status_code == 403, name
    assert client.get(reverse("web:station_detail", args=[world["station"].pk])).status_code == 403


@pytest.mark.parametrize("role", [None, Role.STATION])
def test_station_and_roleless_accounts_get_403(client: Client, world: dict, role: Role) -> None:
    user = make_user("someone", role, PUDONG)
    login(client, user)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 403, url
    assert "无权访问" in response.content.decode()


def test_district_officer_without_district_gets_403(client: Client, world: dict) -> None:
    login(client, make_user("nodistrict", Role.DISTRICT_OFFICER))
    assert client.get(reverse("web:home")).status_code == 403


def test_home_shows_the_loops_queues(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    html = client.get(reverse("web:home")).content.decode()
    for title in ("待筛查", "待评估", "待审批预警", "处置中", "已反馈"):
        assert title in html
    assert "浦东充电宝待评估" in html
    assert "浦东电热水壶触电风险" in html  # in review
    assert WarningLevel.ORANGE.colour in html  # colour tiles come from the enum
    assert "已超时" in html


def test_warning_detail_shows_only_allowed_actions(
    client: Client, world: dict, alice: User, bob: User
) -> None:
    url = reverse("web:warning_detail", args=[world["pd_warning"].pk])
    html = login(client, alice).get(url).content.decode()
    assert reverse("web:warning_action", args=[world["pd_warning"].pk, "approve"]) in html
    client.logout()
    html = login(client, bob).get(url).content.decode()
    assert reverse("web:warning_action", args=[world["pd_warning"].pk, "approve"]) not in html


def test_city_supervisor_approves_a_warning_through_the_page(
    client: Client, alice: User, world: dict
) -> None:
    login(client, alice)
    w = world["pd_warning"]
    response = client.post(
        reverse("web:warning_action", args=[w.pk, "approve"]),
        {"approve-level": WarningLevel.RED.value, "approve-note": "升级为红色"},
        follow=True,
    )
    assert response.status_code == 200
    w.refresh_from_db()
    assert w.status == "approved"
    assert w.level == WarningLevel.RED.value
    assert "操作成功" in response.content.decode()
    assert "升级为红色" in response.content.decode()  # the audit trail shows the note
    assert DisposalTask.objects.filter(warning=w).exists()


def test_a_refused_action_is_explained_in_chinese(client: Client, bob: User, world: dict) -> None:
    login(client, bob)
    w = world["pd_warning"]
    response = client.post(
        reverse("web:warning_action", args=[w.pk, "publish"]), {"publish-note": ""}, follow=True
    )
    assert response.status_code == 200
    w.refresh_from_db()
    assert w.status == "in_review"
    errors = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert errors, "the refusal is explained"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(m)) for m in errors)  # in Chinese


def test_actions_need_the_csrf_token(alice: User, world: dict) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, alice)
    w = world["pd_warning"]
    url = reverse("web:warning_action", args=[w.pk, "approve"])
    assert client.post(url, {}).status_code == 403
    w.refresh_from_db()
    assert w.status == "in_review"
    client.get(reverse("web:warning_detail", args=[w.pk]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    w.refresh_from_db()
    assert w.status == "approved"


def test_actions_are_post_only(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    url = reverse("web:warning_action", args=[world["pd_warning"].pk, "approve"])
    assert client.get(url).status_code == 405


def test_district_officer_disposes_and_reports(client: Client, bob: User, world: dict) -> None:
    login(client, bob)
    task = world["pd_task"]
    for action in ("start", "complete"):
        response = client.post(reverse("web:task_action", args=[task.pk, action]), follow=True)
        assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == "completed"
    assert task.report_due_at is not None
    response = client.post(
        reverse("web:task_feedback", args=[task.pk]),
        {"measures": "", "findings": "", "enterprises_checked": "1", "products_removed": "0"},
    )
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    response = client.post(
        reverse("web:task_feedback", args=[task.pk]),
        {
            "measures": "对3家企业开展监督检查",
            "findings": "责令下架",
            "enterprises_checked": "3",
            "products_removed": "120",
        },
        follow=True,
    )
    task.refresh_from_db()
    assert task.status == "reported"
    html = response.content.decode()
    assert "对3家企业开展监督检查" in html
    assert "书面处置报告已提交" in html


def test_overdue_clock_is_highlighted(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    html = client.get(reverse("web:task_detail", args=[world["jd_task"].pk])).content.decode()
    assert "已超时" in html
    html = client.get(reverse("web:task_detail", args=[world["pd_task"].pk])).content.decode()
    assert "已超时" not in html


def test_public_advisories_are_open_to_anyone(client: Client, world: dict) -> None:
    response = client.get(reverse("web:public_advisories"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "电动自行车充电起火风险提示" in html
    assert "燃气灶具内部通报" not in html  # internal notice only
    assert "浦东电热水壶触电风险" not in html  # not published
    assert WarningLevel.RED.colour in html


def test_admin_link_only_for_staff(client: Client, alice: User, world: dict) -> None:
    login(client, alice)
    assert "管理后台" not in client.get(reverse("web:home")).content.decode()
    admin = make_user("root", Role.CITY_ADMIN)
    admin.is_staff = True
    admin.save()
    client.logout()
    login(client, admin)
    assert "管理后台" in client.get(reverse("web:home")).content.decode()


def test_roles_come_from_groups_named_by_label(db: Any) -> None:
    assert Group.objects.filter(name=Role.DISTRICT_OFFICER.label).exists()
    assert Warning.objects.count() == 0


def test_pages_work_without_the_vendored_libraries(
    client: Client, alice: User, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pqrisk.web.context.vendor_available", lambda name: False)
    login(client, alice)
    html = client.get(reverse("web:home")).content.decode()
    assert "vendor/htmx.min.js" not in html
    assert "vendor/echarts.min.js" not in html
    assert (
        '<form method="post"'
        in client.get(reverse("web:warning_detail", args=[world["pd_warning"].pk])).content.decode()
    )
