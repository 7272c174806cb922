"""Browser tests: Debian's Chromium driven by Playwright, the app served from a thread."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

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


class _CountingRequests:
    """WSGI middleware that knows how many requests are being handled right now."""

    def __init__(self, app):
        self._app = app
        self._busy = 0
        self._changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self._changed:
            self._busy += 1
        try:
            return self._app(environ, start_response)
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout=timeout)


class LiveServer:
    def __init__(self, app):
        self._requests = _CountingRequests(app)
        self._server = make_server("127.0.0.1", 0, self._requests, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        """Stop accepting, then let requests the browser still had in flight finish, so their
        database connections are back in the pool before the test disposes of it."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._requests.wait_until_idle(timeout=10)
        self._server.server_close()


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
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
