"""Starting Debian's Chromium for the browser tests, and what every browser test does."""

from __future__ import annotations

import os

from playwright.sync_api import expect

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


def launch_options(**extra) -> dict:
    """How to start Debian's Chromium (never a downloaded browser); HEADED=1 shows it."""
    return {
        "executable_path": CHROMIUM,
        "headless": os.environ.get("HEADED") != "1",
        "args": [*CHROMIUM_ARGS, *extra.pop("args", [])],
        **extra,
    }


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


def close_page(page) -> None:
    """Close one tab and go on without waiting for Chromium to confirm it: a plain close
    that races a navigation's commit can wait forever (Playwright issue 42068). The tab
    goes with its context at the latest; unload handlers still run."""
    page.close(run_before_unload=True)


def module_url(page, name: str) -> str:
    """The address of one of the app's ES modules as this page loads them (static URLs
    carry the build's version, so they are read from the page, not written here)."""
    return page.evaluate(
        """(name) => { const src = document.querySelector('script[src*="/js/"]').src;
          return src.slice(0, src.lastIndexOf("/") + 1) + name; }""",
        name,
    )


# Each poll starts a cache lookup and answers with the previous one's result: the page's own
# polling waits on the worker's cache without a sleep (wait_for_function awaits no promise).
CACHED = """(path) => {
  caches.match(path).then((hit) => { (window.__cached ??= {})[path] = Boolean(hit); });
  return window.__cached?.[path] === true;
}"""


def wait_until_cached(page, path: str, timeout: float = 30_000) -> None:
    """The worker controls the page and holds this path in its cache (the pack put it there)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=timeout)
    page.wait_for_function(CACHED, arg=path, timeout=timeout)
