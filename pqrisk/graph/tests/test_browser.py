"""The graph page in headless Chromium: the ECharts graph draws, a click recentres it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from pqrisk.accounts.models import User
from tests.browser_support import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    allow_async_unsafe,
    chromium_browser,
    login,
)

from .conftest import Story

pytestmark = [
    *BROWSER_MARKS,
    # The live server needs committed rows; serialized_rollback restores the reference data
    # (districts, categories) the flush removes, for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page(browser: Any, live_server: Any, alice: User) -> Iterator[Any]:
    page = login(browser, live_server, "alice", viewport={"width": 1280, "height": 1000})
    yield page
    page.context.close()


def test_the_graph_draws_and_a_table_is_there(page: Any, live_server: Any, story: Story) -> None:
    page.goto(f"{live_server.url}/graph/?node=enterprise:{story.maker.pk}&depth=2")
    page.wait_for_selector("#graph-chart canvas")
    assert page.locator("text=关系及依据").count() == 1
    assert page.locator("text=还生产品牌乙牌").count() >= 1
    shot = os.environ.get("PQRISK_GRAPH_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)
