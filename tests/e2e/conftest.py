"""Browser tests: Debian's Chromium driven by Playwright, the app served from a thread."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM, PHONE, launch_options
from tests.e2e.phone import Phone, make_day
from tests.live import LiveServer

# A condition a test waits for may take a while on a loaded machine (CI shares two cores with
# Chromium, the server and the test): wait up to 20 s, not Playwright's 5 s. A passing test
# waits no longer than before; only a real failure takes longer to report.
expect.set_options(timeout=20_000)


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
    context.set_default_timeout(20_000)
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


@pytest.fixture
def phone(playwright_driver, tmp_path, live_server):
    """A tech's phone whose profile survives restarts (see tests/e2e/phone.py)."""
    phone = Phone(playwright_driver, tmp_path / "profile", live_server.url)
    yield phone
    if phone.context is not None:
        with contextlib.suppress(Exception):  # already closed by the test
            phone.stop()


@pytest.fixture
def day(live_server):
    """A tech with a stocked van, three plotters (one on the tech's job) and the repair SOP."""
    return make_day()
