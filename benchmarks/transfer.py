"""Transfer figures, in Debian's Chromium: the bytes the server sends for the app shell (every
precached file) and for a signed-in plotter page (its HTML and the files it loads), cold and
warm, and the time until a plotter page stands on screen offline, from the worker's cache.

    .venv/bin/python benchmarks/transfer.py [--opens 20]

Sizes are counted at the server (status line, headers, body as sent), gzip unless said: the
browser's Accept-Encoding is pinned to gzip for the main pass; a second pass lets Chromium ask
as it does (br). The data is the scan benchmark's database at scale 0.05 (500 plotters).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from benchmarks.common import PASSWORD, ensure_large_database, make_app, sqlite_url  # noqa: E402
from fieldapp import pwa  # noqa: E402
from fieldapp.equipment.models import Equipment  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from tests.e2e.browser import PHONE, launch_options  # noqa: E402

SCALE = 0.05
TECH = "tech1@bench.example"
SHELL_GOAL_KB = 60
OFFLINE_GOAL_MS = 100
WORKER_TIMEOUT_MS = 60_000
# Polled in the page until true or the time is up (wait_for_function awaits no promise).
ALL_CACHED = """async ([name, urls]) => {
  const cache = await caches.open(name);
  const found = await Promise.all(urls.map((url) => cache.match(url, { ignoreVary: true })));
  return found.every(Boolean);
}"""
NEW_WORKER_WAITING = (
    """async () => Boolean((await navigator.serviceWorker.getRegistration())?.waiting)"""
)
UNTIL = """async ([check, arg, timeout]) => {
  const test = eval(check);
  for (const end = Date.now() + timeout; Date.now() < end; ) {
    if (await test(arg)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}"""
FIRST_CONTENTFUL_PAINT = """() => new Promise((resolve) => {
  new PerformanceObserver((list) => {
    const paint = list.getEntries().find((entry) => entry.name === "first-contentful-paint");
    if (paint) resolve(paint.startTime);
  }).observe({ type: "paint", buffered: true });
})"""


@dataclasses.dataclass
class Sent:
    """One answer as the server sent it."""

    path: str
    status: int = 0
    headers: int = 0
    body: int = 0


class WireMeter:
    """WSGI middleware: records what the server sends for each request; with `encoding`, every
    request that takes a compressed answer is asked for that encoding only."""

    def __init__(self, wsgi_app, encoding: str | None = None):
        self.wsgi_app = wsgi_app
        self.encoding = encoding
        self.sent: list[Sent] = []

    def take(self) -> list[Sent]:
        """What was sent since the last take."""
        taken, self.sent = self.sent, []
        return taken

    def __call__(self, environ, start_response):
        if self.encoding and environ.get("HTTP_ACCEPT_ENCODING"):
            environ["HTTP_ACCEPT_ENCODING"] = self.encoding
        sent = Sent(environ["PATH_INFO"])

        def counting_start_response(status, headers, exc_info=None):
            sent.status = int(status[:3])
            lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers)]
            sent.headers = sum(len(line) + 2 for line in lines) + 2
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, counting_start_response)
        return self._counted(body, sent)

    def _counted(self, body, sent: Sent) -> Iterator[bytes]:
        try:
            for chunk in body:
                sent.body += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()
            self.sent.append(sent)


@contextmanager
def serving(app, encoding: str | None = None):
    """The app on 127.0.0.1 (a secure context: service workers run) behind a WireMeter."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    meter = WireMeter(app, encoding)
    server = make_server("127.0.0.1", 0, meter, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", meter
    finally:
        server.shutdown()


def bench_app():
    """The benchmark app on the 500-plotter database, and the first 40 plotters' tokens."""
    app = make_app(sqlite_url(SCALE))
    ensure_large_database(app, SCALE)
    with app.app_context():
        tokens = list(db.session.scalars(sa.select(Equipment.qr_token).limit(40)))
    return app, tokens


def sign_in(page, base: str) -> None:
    """Through the form, as a tech does; waits for the signed-in page."""
    page.goto(f"{base}/login")
    page.fill("#email", TECH)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#sync-status", state="attached")


def until(page, check: str, arg=None) -> None:
    """Wait until the async JS function check(arg) answers true."""
    assert page.evaluate(UNTIL, [check, arg, WORKER_TIMEOUT_MS]), f"timed out: {check}"


def wait_for_shell(page, build: pwa.ShellBuild) -> None:
    """Until the worker controls the page and its precache holds the whole shell."""
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WORKER_TIMEOUT_MS
    )
    until(page, ALL_CACHED, [f"fieldapp-shell-{build.version}", [*build.assets, *build.pages]])


def kb(sent: list[Sent], part: str = "body") -> float:
    """Kilobytes of these answers' bodies (or headers)."""
    return sum(getattr(one, part) for one in sent) / 1024


def static(sent: list[Sent]) -> list[Sent]:
    """The answers for static files."""
    return [one for one in sent if one.path.startswith("/static/")]


def shell_figures(browser, app, base: str, meter: WireMeter) -> dict:
    """The shell's first install (sign-in, the worker precaches), a return visit, and an
    update that changed only templates (a new worker, the same static URLs)."""
    build = pwa.shell_build(app)
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    meter.take()
    sign_in(page, base)
    wait_for_shell(page, build)
    cold = meter.take()
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    warm = meter.take()
    # A deploy of template changes: the new worker precaches the same static URLs.
    new = dataclasses.replace(build, version=f"{build.version[:6]}next")
    app.extensions[pwa.SHELL_BUILD_KEY] = new
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
    until(page, NEW_WORKER_WAITING)
    until(page, ALL_CACHED, [f"fieldapp-shell-{new.version}", list(new.assets)])
    update = meter.take()
    app.extensions[pwa.SHELL_BUILD_KEY] = build
    context.close()
    precached = set(build.assets)
    sizes = {one.path: one.body for one in static(cold) if one.path in precached}
    return {
        "assets": len(build.assets),
        "missing": sorted(precached - set(sizes)),
        "every asset": sum(sizes.values()) / 1024,
        "largest": sorted(sizes.items(), key=lambda item: -item[1])[:4],
        "cold static": kb(static(cold)),
        "cold static headers": kb(static(cold), "headers"),
        "cold static requests": len(static(cold)),
        "warm static": kb(static(warm)),
        "warm static requests": len(static(warm)),
        "update static": kb(static(update)),
        "update pages": kb([one for one in update if not one.path.startswith("/static/")]),
    }


def plotter_page_figures(browser, base: str, meter: WireMeter, token: str) -> dict:
    """A signed-in plotter page opened in a browser with nothing cached, then again; without a
    service worker, so these are the page's own loads and the HTTP cache."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, service_workers="block")
    context.request.post(f"{base}/login", form={"email": TECH, "password": PASSWORD})
    page = context.new_page()
    url = f"{base}/e/{token}"
    figures = {}
    for visit in ("cold", "warm"):
        meter.take()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        sent = meter.take()
        page_files = [one for one in sent if not one.path.startswith("/api/")]
        figures[visit] = kb(page_files)
        figures[f"{visit} headers"] = kb(page_files, "headers")
        figures[f"{visit} html"] = kb([one for one in sent if one.path.startswith("/e/")])
        figures[f"{visit} requests"] = len(page_files)
        figures[f"{visit} api"] = kb([one for one in sent if one.path.startswith("/api/")])
    context.close()
    return figures


def transfer_figures(app, token: str, encoding: str | None) -> None:
    """Shell and plotter page figures with this encoding pinned (None: as Chromium asks)."""
    label = "gzip" if encoding == "gzip" else "as Chromium asks (br)"
    with serving(app, encoding) as (base, meter), sync_playwright() as driver:
        browser = driver.chromium.launch(**launch_options())
        shell = shell_figures(browser, app, base, meter)
        plotter = plotter_page_figures(browser, base, meter, token)
        browser.close()
    goal = "met" if shell["every asset"] <= SHELL_GOAL_KB else "NOT met"
    print(f"transfer, {label}:")
    print(
        f"  app shell, {shell['assets']} precached files: {shell['every asset']:.1f} KB "
        f"(goal {SHELL_GOAL_KB} KB: {goal})"
    )
    largest = ", ".join(
        f"{path.split('/', 3)[3]} {size / 1024:.1f}" for path, size in shell["largest"]
    )
    print(f"    largest: {largest} KB")
    if shell["missing"]:
        print(f"    (not sent during the install: {shell['missing']})")
    print(
        f"  shell cold: {shell['cold static']:.1f} KB in {shell['cold static requests']} static "
        f"requests (page and worker; + {shell['cold static headers']:.1f} KB of headers)"
    )
    print(
        f"  shell warm (a return visit): {shell['warm static']:.1f} KB in "
        f"{shell['warm static requests']} static requests"
    )
    print(
        f"  update changing only templates: {shell['update static']:.1f} KB of static files, "
        f"{shell['update pages']:.1f} KB of worker and shell pages"
    )
    for visit in ("cold", "warm"):
        print(
            f"  plotter page {visit}: {plotter[visit]:.1f} KB in {plotter[f'{visit} requests']} "
            f"requests (HTML {plotter[f'{visit} html']:.1f} KB; + "
            f"{plotter[f'{visit} headers']:.1f} KB of headers); the sync's API calls beside it: "
            f"{plotter[f'{visit} api']:.1f} KB"
        )


def offline_open_figures(opens: int = 20) -> dict[str, dict[str, float]]:
    """Median time to open a plotter page with the network cut, in Chromium: pages cached by
    an earlier visit, and pages the phone draws from the offline pack. Timed from the start of
    the navigation until its heading is visible, and the browser's first contentful paint."""
    app, tokens = bench_app()
    # Functions, not expressions: Playwright polls an expression with eval, which the CSP refuses.
    pack_stored = """() => (document.querySelector('[data-pack-summary]')?.textContent ?? '')
        .startsWith('Offline ready')"""
    results = {}
    with serving(app) as (base, _), sync_playwright() as driver:
        browser = driver.chromium.launch(**launch_options())
        context = browser.new_context(viewport=PHONE, is_mobile=True)
        page = context.new_page()
        sign_in(page, base)
        wait_for_shell(page, pwa.shell_build(app))
        page.wait_for_function(pack_stored, timeout=60_000)
        for token in tokens[:opens]:  # opened once with signal: now in the page cache
            page.goto(f"{base}/e/{token}")
        context.set_offline(True)
        for label, chosen, ready in (
            ("cached page", tokens[:opens], "h1"),
            ("drawn from the pack", tokens[opens : 2 * opens], "[data-offline-plotter] h1"),
        ):
            visible, painted = [], []
            for token in chosen:
                started = time.perf_counter()
                page.goto(f"{base}/e/{token}", wait_until="commit")
                page.locator(ready).first.wait_for(state="visible")
                visible.append((time.perf_counter() - started) * 1000)
                painted.append(page.evaluate(FIRST_CONTENTFUL_PAINT))
            results[label] = {
                "visible": statistics.median(visible),
                "painted": statistics.median(painted),
            }
        browser.close()
    for label, figures in results.items():
        verdicts = {
            measure: "met" if figures[measure] < OFFLINE_GOAL_MS else "NOT met"
            for measure in ("visible", "painted")
        }
        print(
            f"  plotter page offline in Chromium, {label}: heading visible after a median "
            f"{figures['visible']:.0f} ms, first contentful paint {figures['painted']:.0f} ms "
            f"(goal under {OFFLINE_GOAL_MS} ms: {verdicts['visible']} by the heading, "
            f"{verdicts['painted']} by the paint)"
        )
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--opens", type=int, default=20, help="offline opens of each kind")
    args = p.parse_args()
    app, tokens = bench_app()
    transfer_figures(app, tokens[0], "gzip")
    transfer_figures(app, tokens[0], None)
    print("offline:")
    offline_open_figures(args.opens)


if __name__ == "__main__":
    main()
