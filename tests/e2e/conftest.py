"""Browser tests: Debian's Chromium driven by Playwright, the app served from a thread."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.live import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    """Without Chromium browser tests skip, unless CI demands them (FIELDAPP_REQUIRE_BROWSER)."""
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("FIELDAPP_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"FIELDAPP_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    skip = pytest.mark.skip(
        reason=f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if "e2e" in item.nodeid.split("/"):
            item.add_marker(skip)


def launch_options(**extra) -> dict:
    """How to start Debian's Chromium (never a downloaded browser); HEADED=1 shows it."""
    return {
        "executable_path": CHROMIUM,
        "headless": os.environ.get("HEADED") != "1",
        "args": [*CHROMIUM_ARGS, *extra.pop("args", [])],
        **extra,
    }


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(**launch_options())
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    """A fresh phone-sized browser context (its own cookies, storage and service workers)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def live_server(tmp_path, postgres_schema):
    """The app with CSRF on, served on 127.0.0.1 (a secure context: service workers work)."""
    from fieldapp.extensions import db
    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    server = LiveServer(app).start()
    server.app = app
    with app.app_context():
        yield server
        db.session.remove()
    server.stop()
    with app.app_context():
        db.engine.dispose()


def sign_in(page, base_url: str, email: str, password: str):
    """Sign in through the form and wait until a signed-in page stands (its sync status)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sync-status")).to_be_attached()


def click_and_wait_for_reload(page, button, timeout: float = 30_000):
    """Click something that reloads the page, and wait until the new page stands: the old
    page's mark is gone and a service worker controls it. No load event: on a slow machine
    it can fire before the wait starts, or never reach a page that reloads twice."""
    page.evaluate("() => { document.documentElement.dataset.beforeReload = 'yes'; }")
    button.click()
    expect(page.locator("html[data-before-reload]")).to_have_count(0, timeout=timeout)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout)
