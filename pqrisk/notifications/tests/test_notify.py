"""notify(): who a notification reaches and that an event is told once.

alice is the city supervisor, dana the analyst, bob the Pudong officer and charlie the
Jiading one; frank administers the city bureau. The disposal of a Pudong task is told to
Pudong's officers; the same event told twice creates and sends nothing the second time.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core import mail

from conftest import PUDONG, make_user
from pqrisk.accounts.choices import Role
from pqrisk.accounts.models import User
from pqrisk.notifications import services
from pqrisk.notifications.choices import Channel, DeliveryStatus
from pqrisk.notifications.models import Delivery, InboxEntry, Notification
from pqrisk.notifications.services import NotificationError, addressees, notify
from pqrisk.notifications.tests.helpers import with_email
from pqrisk.reference.models import District

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


def names(users: Any) -> list[str]:
    return sorted(u.get_username() for u in users)


def inbox_of(notification: Notification) -> list[str]:
    return names(e.user for e in notification.entries.select_related("user"))


def test_the_same_event_twice_is_one_notification_and_one_email(
    bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(bob, "bob@pudong.example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        first = notify("task:7:assigned", subject="新的处置任务", body="请处理", users=[bob])
    with django_capture_on_commit_callbacks(execute=True) as again:
        second = notify("task:7:assigned", subject="新的处置任务", body="请处理", users=[bob])

    assert first is not None and second is None and again == []
    assert Notification.objects.count() == 1
    assert InboxEntry.objects.filter(user=bob).count() == 1
    assert Delivery.objects.count() == 1
    (message,) = mail.outbox
    assert message.to == ["bob@pudong.example.cn"] and message.subject == "新的处置任务"


def test_a_call_that_loses_the_race_creates_nothing(bob: User) -> None:
    """Two workers pass the pre-check at once; the unique key lets only one through."""
    real = services.addressees

    def the_other_worker_commits_first(**kwargs: Any) -> Any:
        Notification.objects.create(key="race", subject="先到的")
        return real(**kwargs)

    with mock.patch.object(services, "addressees", the_other_worker_commits_first):
        assert notify("race", subject="后到的", body="", users=[bob]) is None
    assert list(Notification.objects.values_list("subject", flat=True)) == ["先到的"]
    assert not InboxEntry.objects.exists() and not Delivery.objects.exists()


def test_a_district_reaches_its_own_officers_only(
    alice: User, bob: User, charlie: User, dana: User
) -> None:
    """Not Jiading's officer, not the city roles, not a monitoring station in Pudong."""
    make_user("station_pd", Role.STATION, PUDONG)
    pudong = District.objects.get(code=PUDONG)
    by_object = notify("d1", subject="浦东", body="", districts=[pudong])
    by_id = notify("d2", subject="浦东", body="", districts=[pudong.pk])
    assert by_object is not None and by_id is not None
    assert inbox_of(by_object) == inbox_of(by_id) == ["bob"]


def test_roles_reach_their_group_and_superusers_count_as_city_admins(
    alice: User, bob: User, dana: User, frank: User
) -> None:
    root = User.objects.create_superuser("root", password="x-long-password-1")
    supervisors = notify("r1", subject="s", body="", roles=[Role.CITY_SUPERVISOR])
    admins = notify("r2", subject="s", body="", roles=["city_admin"])
    assert supervisors is not None and admins is not None
    assert inbox_of(supervisors) == ["alice"]
    assert inbox_of(admins) == names([frank, root])


def test_roles_in_districts_restrict_district_roles_only(
    alice: User, bob: User, charlie: User, dana: User
) -> None:
    """Pudong's officers and the city supervisors (who have no district), not Jiading's."""
    pudong_too = make_user("bob2", Role.DISTRICT_OFFICER, PUDONG)
    make_user("station_pd", Role.STATION, PUDONG)
    n = notify(
        "u1",
        subject="黄色预警处置",
        body="",
        districts=[District.objects.get(code=PUDONG)],
        roles=[Role.DISTRICT_OFFICER, Role.CITY_SUPERVISOR],
    )
    assert n is not None
    assert inbox_of(n) == names([alice, bob, pudong_too])


def test_named_users_join_the_unit_once_and_inactive_users_get_nothing(
    alice: User, bob: User, charlie: User
) -> None:
    charlie.is_active = False
    charlie.save()
    found = addressees(users=[alice, bob, charlie], districts=[District.objects.get(code=PUDONG)])
    assert names(found) == ["alice", "bob"]


def test_email_goes_to_users_who_want_it_and_to_outside_addresses(
    alice: User, bob: User, charlie: User, django_capture_on_commit_callbacks: Any
) -> None:
    with_email(alice, "alice@samr.example.cn")
    with_email(bob, "Bob@pudong.example.cn")
    with_email(charlie, "charlie@jiading.example.cn")
    services.set_email_preference(charlie, False)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(
            "e1",
            subject="红色预警发布",
            body="请立即组织处置。",
            link="/warnings/9/",
            users=[alice, bob, charlie],
            emails=["bob@pudong.example.cn", " qa@firm.example.cn ", "not-an-address"],
            level="urgent",
        )
    assert n is not None
    assert inbox_of(n) == ["alice", "bob", "charlie"]  # the inbox always receives
    sent = sorted(m.to[0] for m in mail.outbox)
    assert sent == ["Bob@pudong.example.cn", "alice@samr.example.cn", "qa@firm.example.cn"]
    message = mail.outbox[0]
    assert message.subject == "【紧急】红色预警发布"
    assert "请立即组织处置。" in message.body
    assert "https://pqrisk.example.cn/warnings/9/" in message.body

    bad = Delivery.objects.get(address="not-an-address")
    assert bad.status == DeliveryStatus.FAILED and bad.attempts == 0
    assert "格式不正确" in bad.last_error
    assert Delivery.objects.get(address="Bob@pudong.example.cn").user == bob


def test_an_insecure_webhook_is_recorded_failed_not_dropped(alice: User) -> None:
    n = notify("w1", subject="s", body="", webhooks=["http://example.cn/hook"])
    assert n is not None
    (delivery,) = n.deliveries.all()
    assert delivery.channel == Channel.WEBHOOK and delivery.status == DeliveryStatus.FAILED
    assert "https://" in delivery.last_error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": " "}, "事件标识不能为空"),
        ({"subject": ""}, "消息标题不能为空"),
        ({"level": "red"}, "未知的重要程度“red”"),
        ({"roles": ["mayor"]}, "未知的角色“mayor”"),
    ],
)
def test_bad_input_is_refused_with_a_clear_reason(kwargs: dict[str, Any], message: str) -> None:
    call: dict[str, Any] = {"key": "k", "subject": "标题", "body": "", **kwargs}
    with pytest.raises(NotificationError) as refused:
        notify(call.pop("key"), **call)
    assert message in refused.value.message_zh
    assert not Notification.objects.exists()
