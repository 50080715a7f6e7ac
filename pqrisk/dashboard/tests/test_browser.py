"""The dashboard in a real browser: every chart draws (the map from the local GeoJSON), no
console errors, the district officer's version shows their district only."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pqrisk.accounts.models import User
from pqrisk.core.levels import WarningLevel
from pqrisk.dashboard.summaries import refresh
from pqrisk.web.tests import factories as f
from tests.browser_support import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    ConsoleErrors,
    allow_async_unsafe,
    chromium_browser,
    login,
    screenshot,
)

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A canvas with something drawn on it: not every pixel is transparent.
DRAWN = """(el) => {
  const c = el.querySelector('canvas');
  if (!c) return false;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; }
  return false;
}"""


def _open(browser: Any, live_server: Any, username: str) -> tuple[Any, ConsoleErrors, float]:
    page = login(browser, live_server, username, viewport={"width": 1400, "height": 1000})
    errors = ConsoleErrors(page)
    started = time.perf_counter()
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.dash-chart')].every(e => e.querySelector('canvas'))"
    )
    page.wait_for_timeout(800)  # the map's GeoJSON and the animations
    return page, errors, time.perf_counter() - started


def test_dashboard_charts_draw(browser: Any, live_server: Any, alice: User, bob: User) -> None:
    f.warning(f.risk_info("310115", title="浦东电热水壶漏电"), WarningLevel.ORANGE, "published")
    f.warning(f.risk_info("310114", title="嘉定充电宝起火"), WarningLevel.RED, "published")
    f.assessment(f.risk_info("310115"))
    f.station()
    refresh()

    page, errors, seconds = _open(browser, live_server, "alice")
    charts = page.locator(".dash-chart")
    assert charts.count() == 8  # the six panels and the two of foreign alerts
    for i in range(charts.count()):
        assert charts.nth(i).evaluate(DRAWN), charts.nth(i).get_attribute("data-panel")
    screenshot(page, "dashboard-city")
    print(f"dashboard first render (city): {seconds:.2f} s")  # reported, not asserted
    assert errors.errors == []

    page, errors, _ = _open(browser, live_server, "bob")
    assert "综合看板 · 浦东新区" in page.content()
    assert "嘉定充电宝起火" not in page.content()
    screenshot(page, "dashboard-pudong")
    assert errors.errors == []
