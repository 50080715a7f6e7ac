"""What the browser tests share: Debian's chromium driven by Playwright (headless, no sandbox),
signing in through the login page, collecting console errors and saving screenshots.

A test module imports the fixtures it uses (pytest finds fixtures among a module's names;
the browser fixture is imported as ``chromium_browser`` and used as ``browser``)::

    from tests.browser_support import (  # noqa: F401 (fixtures)
        BROWSER_MARKS,
        allow_async_unsafe,
        chromium_browser,
    )

    pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

Without chromium (``make test`` installs it where apt-get can) the tests are skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PQRISK_CHROMIUM") or shutil.which("chromium") or ""
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
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (make test installs it)"),
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous.
    pytest.mark.usefixtures("allow_async_unsafe"),
]
# Screenshots for a person to look at (kept by CI as artefacts).
ARTEFACTS = Path(os.environ.get("PQRISK_TEST_ARTEFACTS") or Path.cwd() / "var" / "test-artefacts")


@pytest.fixture
def allow_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(name="browser")
def chromium_browser() -> Iterator[Any]:
    """A headless chromium for the test (fixture ``browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def login(browser: Any, live_server: Any, username: str, **page_options: Any) -> Any:
    """A new page (its own browser context) signed in as ``username``, on the home page."""
    page = browser.new_page(locale="zh-CN", **page_options)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


class ConsoleErrors:
    """Errors a page logs to the console or throws, with the address they happened on."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def _console(self, page: Any, msg: Any) -> None:
        if msg.type == "error":
            self.errors.append(f"{page.url}: {msg.text}")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under $PQRISK_TEST_ARTEFACTS and return its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
