"""The content security policy in a real browser: every page of the navigation, the charts,
the district filter (its auto-submit moved from onchange="…" to pqrisk.js), the admin's
change history and the API docs run without a single policy violation; the public site
runs without one and without a cookie."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PUDONG
from pqrisk.accounts.models import User
from pqrisk.core.levels import WarningLevel
from pqrisk.dashboard.summaries import refresh
from pqrisk.web.tests import factories as f
from tests.browser_support import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    PASSWORD,
    ConsoleErrors,
    allow_async_unsafe,
    chromium_browser,
    login,
)

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Runs before any script of each page (Playwright injects it outside the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")
    + " " + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


def _violations(page: Any) -> list[str]:
    found = page.evaluate("() => window.__cspViolations || []")
    return [f"{page.url}: {v}" for v in found]


def _visit(page: Any, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # charts draw after load
    return _violations(page)


def test_every_page_runs_under_the_policy(
    browser: Any, live_server: Any, alice: User, committed_data: None
) -> None:
    page = login(browser, live_server, "alice", viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(RECORD_VIOLATIONS)
    errors = ConsoleErrors(page)
    violations = _visit(page, f"{live_server.url}/")
    urls = page.eval_on_selector_all(".main-nav a", "els => els.map(e => e.href)")
    assert len(urls) > 3, urls
    for url in dict.fromkeys(urls):
        violations += _visit(page, url)

    # The dashboard's charts draw and its district filter submits by itself.
    violations += _visit(page, f"{live_server.url}/dashboard/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dash-chart')].every(e => e.querySelector('canvas'))"
    )
    with page.expect_navigation():
        page.select_option("select[name=district]", PUDONG)
    assert f"district={PUDONG}" in page.url
    violations += _violations(page)

    enterprise = f.enterprise(PUDONG, name="上海暖居电器有限公司")
    violations += _visit(page, f"{live_server.url}/enterprises/{enterprise.pk}/")
    violations += _visit(page, f"{live_server.url}/graph/")
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    violations += _violations(page)
    assert violations == [], violations
    assert errors.errors == [], errors.errors


def test_the_admin_history_runs_under_the_policy(
    browser: Any, live_server: Any, committed_data: None
) -> None:
    User.objects.create_superuser("root", password=PASSWORD)
    warning = f.warning(f.risk_info(PUDONG, title="浦东取暖器过热"), WarningLevel.YELLOW)
    warning.title = "浦东取暖器过热风险（已核实）"
    warning.save()
    page = login(browser, live_server, "root")
    page.context.add_init_script(RECORD_VIOLATIONS)
    errors = ConsoleErrors(page)
    violations = _visit(page, f"{live_server.url}/admin/warnings/warning/{warning.pk}/history/")
    assert page.locator("#field-history .auditlog-entry").count() >= 2
    violations += _visit(page, f"{live_server.url}/admin/warnings/warning/{warning.pk}/change/")
    violations += _visit(page, f"{live_server.url}/admin/auditlog/logentry/")
    assert violations == [], violations
    assert errors.errors == [], errors.errors


def test_the_public_site_runs_under_the_policy_without_cookies(
    browser: Any, live_server: Any, committed_data: None
) -> None:
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    errors = ConsoleErrors(page)
    violations = _visit(page, f"{live_server.url}/public/advisories/")
    # The console also reports the browser's own /favicon.ico request (404): only what the
    # policy refused counts here.
    refused = [e for e in errors.errors if "Content Security Policy" in e or "Refused" in e]
    assert violations == [] and refused == [], (violations, refused)
    assert context.cookies() == []
    context.close()


@pytest.fixture
def committed_data(db: Any) -> None:
    """Warnings in two districts, an assessment and a station, and the dashboard summaries."""
    f.warning(f.risk_info(PUDONG, title="浦东电热水壶漏电"), WarningLevel.ORANGE, "published")
    f.warning(f.risk_info("310114", title="嘉定充电宝起火"), WarningLevel.RED, "published")
    f.assessment(f.risk_info(PUDONG))
    f.station()
    refresh()
