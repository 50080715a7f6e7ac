"""End to end in headless Chromium: people log in and move the loop through the pages.

Uses Debian's chromium (installed by `make test` where apt-get can) driven by Playwright;
skipped, saying why, on a machine without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel
from pqrisk.disposal.models import DisposalTask
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories

CHROMIUM = os.environ.get("PQRISK_CHROMIUM") or shutil.which("chromium") or ""
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (make test installs it)"),
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous.
    pytest.mark.usefixtures("allow_async_unsafe"),
]
PASSWORD = "correct-horse-battery"
# Chromium's own network features reach for hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def allow_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def login(browser: object, live_server: object, username: str) -> object:
    page = browser.new_page(locale="zh-CN")  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/accounts/login/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")  # type: ignore[attr-defined]
    return page


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
