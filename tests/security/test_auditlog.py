"""Field-level change history (django-auditlog): who changed which field of a warning, a
station or an account, from what to what; and which models are deliberately not logged."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from conftest import PUDONG
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.audit import attribution
from pqrisk.audit.auditlog_registry import BUSINESS_APPS, NOT_TRACKED, TRACKED
from pqrisk.audit.middleware import client_address
from pqrisk.core.levels import WarningLevel
from pqrisk.stations.services import issue_station_token, revoke_station_token
from pqrisk.warnings.services import act_on_warning
from pqrisk.web.tests import factories as f

pytestmark = pytest.mark.django_db


class Clock:
    """The attribution's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(attribution.time, "monotonic", c)
    return c


def _warning(status: str = "in_review") -> Any:
    info = f.risk_info(PUDONG, title="浦东电热水壶抽查不合格")
    return f.warning(info, WarningLevel.ORANGE, status=status)


def _status_entries(obj: Any) -> list[LogEntry]:
    return [
        e
        for e in LogEntry.objects.get_for_object(obj).order_by("timestamp", "id")
        if e.action == LogEntry.Action.UPDATE and "status" in (e.changes_dict or {})
    ]


def test_a_status_change_through_the_service_names_its_actor(alice: User) -> None:
    warning = _warning()
    act_on_warning(warning, "reject", alice, note="请补充检验报告编号")
    (entry,) = _status_entries(warning)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == alice
    assert entry.changes_dict["status"] == ["in_review", "rejected"]


def test_a_status_change_through_a_page_names_the_signed_in_user(client: Any, alice: User) -> None:
    warning = _warning()
    client.force_login(alice)
    response = client.post(
        reverse("web:warning_action", args=[warning.pk, "reject"]),
        {"reject-note": "请补充检验报告编号"},
    )
    assert response.status_code == 302
    (entry,) = _status_entries(warning)
    assert entry.actor == alice
    assert entry.changes_dict["status"] == ["in_review", "rejected"]


def test_a_change_with_no_one_behind_it_stays_the_systems(alice: User, clock: Clock) -> None:
    warning = _warning(status="rejected")
    warning.status = "draft"
    warning.save()
    # A later service call on the same warning names its actor on its own change only.
    clock.now += attribution.ATTRIBUTION_SECONDS + 1
    act_on_warning(warning, "submit", alice)
    system, submitted = _status_entries(warning)
    assert (system.actor, system.changes_dict["status"]) == (None, ["rejected", "draft"])
    assert (submitted.actor, submitted.changes_dict["status"]) == (alice, ["draft", "in_review"])


def test_a_station_token_is_logged_without_its_digest(alice: User) -> None:
    station = f.station()
    with set_actor(alice):
        issue_station_token(station, alice)
        revoke_station_token(station, alice)
    updates = list(
        LogEntry.objects.get_for_object(station)
        .filter(action=LogEntry.Action.UPDATE)
        .order_by("id")
    )
    assert [set(e.changes_dict) for e in updates] == [{"token_prefix"}, {"token_prefix"}]
    issued, revoked = (e.changes_dict["token_prefix"] for e in updates)
    assert issued[0] == "" and issued[1] and revoked == [issued[1], ""]
    assert all(e.actor == alice for e in updates)
    every = LogEntry.objects.get_for_object(station)
    assert not any("token_hash" in (e.changes_dict or {}) for e in every)


def test_an_account_logs_its_roles_but_not_its_password(alice: User) -> None:
    officer = User.objects.create_user("frank", password="correct-horse-battery")
    with set_actor(alice):
        officer.groups.add(Group.objects.get(name=Role.DISTRICT_OFFICER.label))
        officer.set_password("another-horse-battery")
        officer.save()
    entries = list(LogEntry.objects.get_for_object(officer))
    assert any(e.action == LogEntry.Action.CREATE for e in entries)
    assert not any("password" in (e.changes_dict or {}) for e in entries)
    (roles,) = [e for e in entries if "groups" in (e.changes_dict or {})]
    assert roles.actor == alice
    assert roles.changes_dict["groups"]["objects"] == [Role.DISTRICT_OFFICER.label]


def test_every_model_of_a_business_app_is_logged_or_excluded_with_a_reason() -> None:
    tracked = {t.label for t in TRACKED}
    assert not tracked & set(NOT_TRACKED), "a model is both tracked and excluded"
    assert all(reason.strip() for reason in NOT_TRACKED.values())
    undecided = [
        model._meta.label
        for app in BUSINESS_APPS
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in tracked and model._meta.label not in NOT_TRACKED
    ]
    assert undecided == [], (
        "add these models to TRACKED or to NOT_TRACKED (with the reason) in "
        "pqrisk/audit/auditlog_registry.py"
    )
    for label in tracked:
        assert auditlog.contains(apps.get_model(label)), label


def test_the_high_volume_pipeline_rows_are_not_logged() -> None:
    for label in (
        "intake.RawItem",
        "screening.RiskInfo",
        "screening.Event",
        "assessment.Assessment",
        "dashboard.DailyCount",
        "notifications.Delivery",
        "notifications.InboxEntry",
    ):
        assert not auditlog.contains(apps.get_model(label)), label


def test_the_admin_history_page_shows_the_field_changes(client: Any, alice: User) -> None:
    admin = User.objects.create_superuser("root", password="correct-horse-battery")
    enterprise = f.enterprise(PUDONG, name="上海甲电器有限公司")
    with set_actor(alice):
        enterprise.name = "上海乙电器有限公司"
        enterprise.save()
    client.force_login(admin)
    page = client.get(reverse("admin:enterprises_enterprise_history", args=[enterprise.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "字段变更记录" in html
    assert "上海甲电器有限公司" in html and "上海乙电器有限公司" in html
    assert "alice" in html
    listing = client.get(reverse("admin:auditlog_logentry_changelist"))
    assert listing.status_code == 200


def test_the_address_comes_from_forwarded_for_only_behind_a_proxy(settings: Any) -> None:
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    settings.PQRISK_PROXY_COUNT = 0
    assert client_address(spoofed) == "10.0.0.5"
    settings.PQRISK_PROXY_COUNT = 1
    via_nginx = factory.get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7:51000"
    )
    assert client_address(via_nginx) == "203.0.113.7"  # what nginx saw, not what was claimed


def test_a_change_logs_the_client_address(client: Any, alice: User) -> None:
    warning = _warning()
    client.force_login(alice)
    client.post(
        reverse("web:warning_action", args=[warning.pk, "reject"]),
        {"reject-note": "请补充检验报告编号"},
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    (entry,) = _status_entries(warning)
    assert entry.remote_addr == "198.51.100.20"
