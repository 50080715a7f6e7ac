"""The pages of disposal, tracking and 长三角 sharing are reachable from the navigation and
the warning page, for those allowed to use them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PUDONG
from pqrisk.core.levels import WarningLevel
from pqrisk.warnings.services import act_on_warning
from pqrisk.web.tests import factories as f
from pqrisk.web.tests.test_pages import login

pytestmark = pytest.mark.django_db


def test_city_nav_has_the_overdue_board_and_sharing_district_nav_does_not(
    alice: Any, bob: Any
) -> None:
    city = login(Client(), alice).get(reverse("web:home")).content.decode()
    for name in ("web:tracking_list", "web:disposal_overdue", "web:exchange_list"):
        assert reverse(name) in city
    district = login(Client(), bob).get(reverse("web:home")).content.decode()
    assert reverse("web:tracking_list") in district
    assert reverse("web:disposal_overdue") not in district
    assert reverse("web:exchange_list") not in district


def test_a_published_warning_offers_the_sharing_package_to_the_city_only(
    alice: Any, bob: Any
) -> None:
    warning = f.warning(f.risk_info(PUDONG), WarningLevel.YELLOW, status="approved")
    export = reverse("web:exchange_export", args=[warning.pk])
    page = login(Client(), alice).get(reverse("web:warning_detail", args=[warning.pk]))
    assert export not in page.content.decode()  # not published yet
    act_on_warning(warning, "publish", alice)
    page = login(Client(), alice).get(reverse("web:warning_detail", args=[warning.pk]))
    assert export in page.content.decode()
    page = login(Client(), bob).get(reverse("web:warning_detail", args=[warning.pk]))
    assert export not in page.content.decode()
