"""消息中心 and the delivery log, as the bureau's people use them.

bob (Pudong) and charlie (Jiading) each see their own notifications only; bob reads one,
then all; an entry of charlie's is not there for bob (404). eve, without a role, and
anonymous visitors are refused. Only frank, the city bureau's administrator, opens the log
of outside deliveries and sends a failed one again.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pqrisk.accounts.models import User
from pqrisk.audit.models import AuditEvent
from pqrisk.notifications.choices import DeliveryStatus
from pqrisk.notifications.models import Delivery, InboxEntry, Notification, Preference
from pqrisk.notifications.services import notify
from pqrisk.web.tests.test_pages import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


@pytest.fixture
def told(bob: User, charlie: User) -> dict[str, Notification]:
    """Two notifications for bob (one with a link), one for charlie."""
    made = {
        "task": notify(
            "task:1",
            subject="浦东处置任务已下达",
            body="请在24小时内报告处置结果。",
            link="/tasks/1/",
            users=[bob],
            level="important",
        ),
        "info": notify("info:1", subject="浦东周报已生成", body="", users=[bob]),
        "jiading": notify("task:2", subject="嘉定处置任务已下达", body="", users=[charlie]),
    }
    assert all(made.values())
    return made  # type: ignore[return-value]


def entry(n: Notification, user: User) -> InboxEntry:
    return InboxEntry.objects.get(notification=n, user=user)


def test_the_inbox_shows_own_notifications_newest_first(
    client: Client, bob: User, told: dict[str, Notification]
) -> None:
    page = login(client, bob).get(reverse("web:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "浦东处置任务已下达" in html and "浦东周报已生成" in html
    assert "嘉定处置任务已下达" not in html
    assert html.index("浦东周报已生成") < html.index("浦东处置任务已下达")
    assert html.count('class="unread"') == 2
    assert page.context["inbox_unread"] == 2
    assert '消息中心 <span class="badge" aria-label="2条未读">2</span>' in html


def test_reading_one_and_then_all(client: Client, bob: User, told: dict[str, Notification]) -> None:
    login(client, bob)
    task = entry(told["task"], bob)
    back = reverse("web:inbox") + "?unread=1"
    response = client.post(reverse("web:inbox_read", args=[task.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    task.refresh_from_db()
    assert task.read_at is not None
    audit = AuditEvent.objects.get(action="read", object_id=str(task.pk))
    assert audit.actor == bob and audit.district_id == bob.district_id

    unread = client.get(back).content.decode()
    assert "浦东周报已生成" in unread and "浦东处置任务已下达" not in unread

    client.post(reverse("web:inbox_read_all"))
    assert not InboxEntry.objects.filter(user=bob, read_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="read_all", actor=bob).count() == 1
    assert client.get(reverse("web:inbox")).context["inbox_unread"] == 0
    # charlie's entry is untouched
    assert entry(told["jiading"], User.objects.get(username="charlie")).read_at is None


def test_opening_an_entry_marks_it_read_and_goes_to_its_page(
    client: Client, bob: User, told: dict[str, Notification]
) -> None:
    task = entry(told["task"], bob)
    response = login(client, bob).post(reverse("web:inbox_open", args=[task.pk]))
    assert response.status_code == 302 and response["Location"] == "/tasks/1/"
    task.refresh_from_db()
    assert task.read_at is not None


def test_an_outside_link_is_not_followed(client: Client, bob: User) -> None:
    n = notify("evil", subject="s", body="", link="https://evil.example.com/", users=[bob])
    assert n is not None
    response = login(client, bob).post(reverse("web:inbox_open", args=[entry(n, bob).pk]))
    assert response["Location"] == reverse("web:inbox")


def test_someone_elses_entry_does_not_exist_for_you(
    client: Client, bob: User, charlie: User, told: dict[str, Notification]
) -> None:
    theirs = entry(told["jiading"], charlie)
    login(client, bob)
    for name in ("web:inbox_read", "web:inbox_open"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_changes_need_a_post_with_the_csrf_token(bob: User, told: dict[str, Notification]) -> None:
    task = entry(told["task"], bob)
    client = login(Client(enforce_csrf_checks=True), bob)
    assert client.get(reverse("web:inbox_read", args=[task.pk])).status_code == 405
    assert client.post(reverse("web:inbox_read", args=[task.pk])).status_code == 403
    task.refresh_from_db()
    assert task.read_at is None


def test_anonymous_visitors_and_users_without_a_role_are_refused(
    client: Client, eve: User, told: dict[str, Notification]
) -> None:
    response = client.get(reverse("web:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    login(client, eve)
    assert client.get(reverse("web:inbox")).status_code == 403
    assert client.post(reverse("web:inbox_read_all")).status_code == 403


def test_turning_email_off_and_on(client: Client, bob: User) -> None:
    login(client, bob)
    client.post(reverse("web:inbox_email"), {"email": "0"})
    assert Preference.objects.get(user=bob).email is False
    assert "邮件提醒：已关闭" in client.get(reverse("web:inbox")).content.decode()
    client.post(reverse("web:inbox_email"), {"email": "1"})
    assert Preference.objects.get(user=bob).email is True
    assert AuditEvent.objects.filter(action="email_preference", actor=bob).count() == 2


def test_the_delivery_log_is_for_the_city_admin(
    client: Client, frank: User, alice: User, bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    n = notify("log", subject="外发测试", body="", emails=["bad address", "ok@firm.example.cn"])
    assert n is not None
    failed = n.deliveries.get(status=DeliveryStatus.FAILED)
    url = reverse("web:delivery_list")
    retry = reverse("web:delivery_retry", args=[failed.pk])
    for someone in (alice, bob):
        login(client, someone)
        assert client.get(url).status_code == 403
        assert client.post(retry).status_code == 403
        assert "外发记录" not in client.get(reverse("web:inbox")).content.decode()

    login(client, frank)
    assert "外发记录" in client.get(reverse("web:inbox")).content.decode()
    page = client.get(url).content.decode()
    assert "bad address" in page and "ok@firm.example.cn" in page and "重新发送" in page
    assert "格式不正确" in page
    only_failed = client.get(url, {"status": "failed"}).content.decode()
    assert "ok@firm.example.cn" not in only_failed

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, {"next": url + "?status=failed"})
    assert response.status_code == 302 and response["Location"] == url + "?status=failed"
    assert AuditEvent.objects.filter(action="retry", actor=frank).count() == 1
    # Still a bad address: tried once more and failed for good at once (no back-off helps).
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert "格式不正确" in failed.last_error
    assert AuditEvent.objects.filter(action="deliver_failed", object_id=str(failed.pk)).exists()


def test_retrying_a_delivery_that_is_not_failed_says_why(client: Client, frank: User) -> None:
    n = notify("sent", subject="s", body="", emails=["ok@firm.example.cn"])
    assert n is not None
    delivery = n.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT)
    login(client, frank)
    response = client.post(reverse("web:delivery_retry", args=[delivery.pk]), follow=True)
    assert "只有发送失败的记录可以重新发送" in response.content.decode()
