"""End to end in headless Chromium: people log in and move the loop through the pages.

Uses Debian's chromium (installed by `make test` where apt-get can) driven by Playwright;
skipped, saying why, on a machine without it.
"""

from __future__ import annotations

import pytest

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.models import DisposalTask
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories
from tests.browser_support import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    allow_async_unsafe,
    chromium_browser,
    login,
)

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_supervisor_approves_and_the_district_reports(browser, live_server, alice, charlie):
    info = factories.risk_info(JIADING, title="电动自行车蓄电池起火")
    warning = factories.warning(info, level=WarningLevel.YELLOW)

    page = login(browser, live_server, "alice")
    assert page.locator("text=待审批预警").first.is_visible()
    page.goto(f"{live_server.url}/warnings/{warning.pk}/")
    page.click("button:has-text('批准')")
    page.wait_for_selector("text=已批准")
    warning.refresh_from_db()
    assert warning.status == "approved"
    task = DisposalTask.objects.get(warning=warning)
    assert task.district.code == JIADING

    page = login(browser, live_server, "charlie")
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    page.click("button:has-text('开始处置')")
    page.wait_for_selector(".page-head .badge.state:has-text('处置中')")
    page.click("button:has-text('处置完成')")
    # Wait for the new state's badge: the page always names the report deadline, and the
    # report form is shown from 处置中 on, so neither says the completion has landed.
    page.wait_for_selector(".page-head .badge.state:has-text('处置完成')")
    page.fill("textarea[name=measures]", "对涉事企业开展监督检查并责令整改")
    page.click("button:has-text('提交报告')")
    page.wait_for_selector(".page-head .badge.state:has-text('已报告')")
    task.refresh_from_db()
    assert task.status == "reported"
    assert task.feedback.get().measures == "对涉事企业开展监督检查并责令整改"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_district_sees_neither_the_task_nor_its_queue(browser, live_server, bob, alice):
    info = factories.risk_info(JIADING, title="燃气软管泄漏")
    warning = factories.warning(info, level=WarningLevel.ORANGE, status="approved")
    task = factories.task(warning, JIADING)

    page = login(browser, live_server, "bob")
    response = page.goto(f"{live_server.url}/tasks/{task.pk}/")
    assert response.status == 404
    page.goto(f"{live_server.url}/tasks/")
    assert "燃气软管泄漏" not in page.content()
    assert Warning.objects.filter(district__code=PUDONG).count() == 0
