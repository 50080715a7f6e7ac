"""The graph page in headless Chromium: the ECharts graph draws, a click recentres it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from pqrisk.accounts.models import User

from .conftest import Story

CHROMIUM = os.environ.get("PQRISK_CHROMIUM") or shutil.which("chromium") or ""
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (make test installs it)"),
    pytest.mark.usefixtures("allow_async_unsafe"),
    # The live server needs committed rows; serialized_rollback restores the reference data
    # (districts, categories) the flush removes, for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture
def allow_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(live_server: Any, alice: User) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 1000})
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "alice")
            page.fill("input[name=password]", "correct-horse-battery")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            yield page
        finally:
            browser.close()


def test_the_graph_draws_and_a_table_is_there(page: Any, live_server: Any, story: Story) -> None:
    page.goto(f"{live_server.url}/graph/?node=enterprise:{story.maker.pk}&depth=2")
    page.wait_for_selector("#graph-chart canvas")
    assert page.locator("text=关系及依据").count() == 1
    assert page.locator("text=还生产品牌乙牌").count() >= 1
    shot = os.environ.get("PQRISK_GRAPH_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)
