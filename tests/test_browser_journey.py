"""The platform as its people and the public meet it, in headless Chromium.

bob, a Pudong officer, signs in and sees his district only; the home page's chart draws;
alice, the city supervisor, approves and publishes a consumer advisory (风险提示); a visitor
without an account then finds it on the public site, on a desktop and on a phone. No page
logs a console error. Screenshots go to $PQRISK_TEST_ARTEFACTS (default var/test-artefacts/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from conftest import JIADING, PUDONG
from pqrisk.core.levels import WarningLevel, WarningMode
from pqrisk.warnings.models import Warning
from pqrisk.web.tests import factories
from tests.browser_support import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    ConsoleErrors,
    allow_async_unsafe,
    chromium_browser,
    login,
    screenshot,
)

pytestmark = [
    *BROWSER_MARKS,
    # The live server needs committed rows; serialized_rollback restores the reference data.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ECHARTS = Path(settings.BASE_DIR) / "web" / "static" / "vendor" / "echarts.min.js"
PHONE = {"width": 390, "height": 844}

# Opaque pixels on the chart's canvas: ECharts has drawn something.
CANVAS_INK = """(selector) => {
  const canvas = document.querySelector(selector + " canvas");
  if (!canvas || !canvas.width || !canvas.height) { return 0; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i]) { ink += 1; } }
  return ink;
}"""


def _districts() -> dict[str, Any]:
    """A Pudong item and task bob must see, a Jiading item and task he must not."""
    pudong_info = factories.risk_info(PUDONG, title="浦东电热水壶漏电")
    jiading_info = factories.risk_info(JIADING, title="嘉定燃气软管泄漏")
    pudong_warning = factories.warning(pudong_info, status="approved")
    jiading_warning = factories.warning(jiading_info, status="approved")
    return {
        "pudong_info": pudong_info,
        "jiading_info": jiading_info,
        "pudong_task": factories.task(pudong_warning, PUDONG),
        "jiading_task": factories.task(jiading_warning, JIADING),
    }


def test_a_district_officer_sees_only_his_district(
    browser: Any, live_server: Any, bob: Any, charlie: Any
) -> None:
    rows = _districts()
    page = login(browser, live_server, "bob")
    console = ConsoleErrors(page)
    page.reload()
    screenshot(page, "journey-district-home")

    page.goto(f"{live_server.url}/risk-infos/")
    html = page.content()
    assert "浦东电热水壶漏电" in html and "嘉定燃气软管泄漏" not in html
    page.goto(f"{live_server.url}/tasks/")
    html = page.content()
    assert rows["pudong_task"].warning.title in html
    assert rows["jiading_task"].warning.title not in html
    screenshot(page, "journey-district-tasks")
    # Another district's rows answer 404 (asked without navigating: a 404 page would log a
    # console error of its own).
    for path in (f"/tasks/{rows['jiading_task'].pk}/", f"/risk-infos/{rows['jiading_info'].pk}/"):
        assert page.request.get(f"{live_server.url}{path}").status == 404, path
    assert page.request.get(f"{live_server.url}/tasks/{rows['pudong_task'].pk}/").status == 200
    assert not console.errors, console.errors
    page.context.close()


@pytest.mark.skipif(
    not ECHARTS.exists(),
    reason=f"ECharts is not vendored ({ECHARTS} is missing; `make install` copies it from npm)",
)
def test_the_home_page_chart_draws(browser: Any, live_server: Any, bob: Any) -> None:
    _districts()
    page = login(browser, live_server, "bob", viewport={"width": 1280, "height": 1000})
    console = ConsoleErrors(page)
    page.reload()
    page.wait_for_selector("#chart-monthly canvas")
    page.wait_for_function(f"({CANVAS_INK})('#chart-monthly') > 0")
    assert page.evaluate(CANVAS_INK, "#chart-monthly") > 0
    screenshot(page, "journey-home-chart")
    assert not console.errors, console.errors
    page.context.close()


def test_the_supervisor_publishes_an_advisory_and_the_public_sees_it(
    browser: Any, live_server: Any, alice: Any
) -> None:
    info = factories.risk_info(PUDONG, title="暖居电热水壶漏电", enterprise_name="秘密电器有限公司")
    warning = factories.warning(
        info,
        WarningLevel.ORANGE,
        status="in_review",
        modes=(WarningMode.CONSUMER_ADVISORY,),
        title="关于暖居牌电热水壶漏电风险的消费提示",
    )
    Warning.objects.filter(pk=warning.pk).update(
        advice="请立即停止使用并联系销售者退货。", brands="暖居", product_models="DK-15"
    )
    public_url = f"{live_server.url}/public/advisories/{warning.pk}/"

    visitor = browser.new_context(locale="zh-CN")
    assert visitor.request.get(public_url).status == 404  # not yet published

    page = login(browser, live_server, "alice", viewport={"width": 1280, "height": 1000})
    console = ConsoleErrors(page)
    page.goto(f"{live_server.url}/warnings/{warning.pk}/")
    page.click("#actions button:has-text('批准')")
    page.wait_for_selector(".page-head .badge.state:has-text('已批准')")
    page.click("#actions button:has-text('发布')")
    page.wait_for_selector(".page-head .badge.state:has-text('已发布')")
    page.wait_for_selector("text=查看公众页面上的风险提示")
    screenshot(page, "journey-warning-published")
    warning.refresh_from_db()
    assert warning.status == "published"
    assert not console.errors, console.errors
    page.context.close()

    # A fresh visitor, no account: the list, a search, the advisory page.
    public = visitor.new_page()
    console = ConsoleErrors(public)
    public.goto(f"{live_server.url}/public/advisories/")
    public.wait_for_selector(f"#advisory-{warning.pk}")
    public.fill("input[name=q]", "DK-15")
    public.click("form[role=search] button[type=submit]")
    public.wait_for_url("**q=DK-15**")
    assert public.locator(f"#advisory-{warning.pk}").count() == 1
    screenshot(public, "journey-public-list")
    public.click(f"#advisory-{warning.pk} h2 a")
    public.wait_for_url(public_url)
    html = public.content()
    assert "暖居" in html and "DK-15" in html and "请立即停止使用" in html
    assert "秘密电器有限公司" not in html and "alice" not in html
    screenshot(public, "journey-public-advisory")
    assert not visitor.cookies(), visitor.cookies()
    assert not console.errors, console.errors
    visitor.close()

    # On a phone: one column, nothing wider than the screen.
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    console = ConsoleErrors(mobile)
    for url in (f"{live_server.url}/public/advisories/", public_url):
        mobile.goto(url)
        overflow = mobile.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} is {overflow}px wider than a phone"
    screenshot(mobile, "journey-public-advisory-phone")
    assert not console.errors, console.errors
    phone.close()
