"""One warning in each mode, and who sees it: the public page shows only published consumer
advisories; a district sees the internal notices addressed to it and acknowledges them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.warnings.api import visible_warnings
from pqrisk.warnings.models import WarningRecipient
from pqrisk.warnings.services import WarningError, acknowledge_notice, act_on_warning
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db


def _published(district: str, mode: WarningMode, title: str, alice: Any) -> Any:
    warning = f.warning(
        f.risk_info(district, title=title), WarningLevel.YELLOW, status="approved", modes=(mode,)
    )
    warning.title = title
    warning.save(update_fields=["title"])
    return act_on_warning(warning, "publish", alice)


def test_each_mode_reaches_its_audience(alice: Any, bob: Any, charlie: Any) -> None:
    notice = _published(PUDONG, WarningMode.INTERNAL_NOTICE, "浦东电热水壶风险通报", alice)
    industry = _published(PUDONG, WarningMode.INDUSTRY_WARNING, "电热水壶行业风险警示", alice)
    advisory = _published(JIADING, WarningMode.CONSUMER_ADVISORY, "电热水壶消费风险提示", alice)

    # The public page: published consumer advisories only.
    page = Client().get(reverse("web:public_advisories")).content.decode()
    assert advisory.title in page
    assert notice.title not in page and industry.title not in page

    # The internal notice is addressed to Pudong's bureau, which sees and acknowledges it.
    (recipient,) = WarningRecipient.objects.filter(warning=notice)
    assert recipient.district is not None and recipient.district.code == PUDONG
    assert notice in visible_warnings(bob)
    assert notice not in visible_warnings(charlie)
    with pytest.raises(WarningError, match="不是该风险通报的主送单位"):
        acknowledge_notice(notice, charlie)
    client = login(Client(), bob)
    detail = client.get(reverse("web:warning_detail", args=[notice.pk])).content.decode()
    assert "主送单位" in detail and "确认收到" in detail
    client.post(reverse("web:warning_acknowledge", args=[notice.pk]))
    recipient.refresh_from_db()
    assert recipient.acknowledged_by == bob and recipient.acknowledged_at is not None
    assert (
        login(Client(), charlie).get(reverse("web:warning_detail", args=[notice.pk])).status_code
        == 404
    )


def test_a_city_wide_notice_goes_to_every_district(alice: Any) -> None:
    warning = f.warning(
        f.risk_info(None, title="全市范围的风险"),
        WarningLevel.ORANGE,
        status="approved",
        modes=(WarningMode.INTERNAL_NOTICE,),
    )
    act_on_warning(warning, "publish", alice)
    from pqrisk.reference.models import District

    assert WarningRecipient.objects.filter(warning=warning).count() == District.objects.count()


def test_the_notice_and_publication_reminders_reach_the_inbox(alice: Any, bob: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from pqrisk.notifications.models import InboxEntry
    from pqrisk.warnings.services import check_publication_deadlines

    notice = _published(PUDONG, WarningMode.INTERNAL_NOTICE, "浦东电热水壶风险通报", alice)
    (entry,) = InboxEntry.objects.filter(user=bob)
    assert notice.title in entry.notification.subject
    assert entry.notification.link == reverse("web:warning_detail", args=[notice.pk])

    late = f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW, status="approved")
    late.approved_at = timezone.now() - timedelta(hours=30)
    late.publish_deadline = timezone.now() - timedelta(minutes=1)
    late.save(update_fields=["approved_at", "publish_deadline"])
    check_publication_deadlines()
    check_publication_deadlines()  # once per deadline
    told = InboxEntry.objects.filter(
        user=alice, notification__key__startswith=f"warning:{late.pk}:"
    )
    assert told.count() == 1 and "已超过发布时限" in told.get().notification.body
