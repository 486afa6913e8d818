"""Browser fixtures: the app with CSRF on, served on a free local port, driven by Debian's Chromium.

Browser tests are isolated and run on SQLite only (see tests/conftest.py).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

from canteen.auth.models import User
from tests.support import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
PASSWORD = "tray-return-2021"
TIMEOUT_MS = 15_000


@pytest.fixture
def app(csrf_app: Flask) -> Flask:
    """The test app (isolated: the live server's threads commit for real) with CSRF protection on."""
    return csrf_app


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and a free port from a background thread; yield its base URL."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context and page per test, pointed at the live server."""
    context = browser.new_context(base_url=live_server, accept_downloads=True, locale="zh-CN",
                                  viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def log_in(page: Page) -> Callable[..., None]:
    """``log_in(user, english=True)``: log in through the login form, optionally switching to English
    first."""
    def do_log_in(user: User, english: bool = True) -> None:
        page.goto("/login")
        if english:
            page.click("#switch-language")
            page.wait_for_selector("html[lang='en']")
        page.fill("#username", user.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/dashboard")

    return do_log_in


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], None]:
    """``screenshot("daily")`` saves a full-page PNG when CANTEEN_SCREENSHOT_DIR is set (for reviewing
    layouts)."""
    folder = os.environ.get("CANTEEN_SCREENSHOT_DIR")

    def take(name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
