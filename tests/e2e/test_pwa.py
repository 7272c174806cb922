"""The installable, offline app in a real browser: precache, offline navigation, updates."""

from __future__ import annotations

import dataclasses
import time

from playwright.sync_api import expect

from fieldapp import PROJECT_ROOT, pwa
from tests import factories
from tests.e2e.browser import click_and_wait_for_reload, sign_in

PAGES_CACHE = "fieldapp-pages"
# Installing a worker precaches the whole shell, and Chromium activates a new worker only once
# the old one has finished its events: on a busy machine that takes longer than a click.
WORKER_TIMEOUT_MS = 30_000

# Polls an async condition in the page (wait_for_function does not await promises).
UNTIL = """
async ([check, arg, timeout]) => {
  const test = eval(check);
  const end = Date.now() + timeout;
  for (;;) {
    const value = await test(arg);
    if (value) return value;
    if (Date.now() > end) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
"""
IS_CACHED = """async ([name, path]) => {
  const cache = await caches.open(name);
  return Boolean(await cache.match(path, { ignoreVary: true }));
}"""
CACHE_CONTENTS = """async () => {
  const contents = {};
  for (const name of await caches.keys()) {
    const keys = await (await caches.open(name)).keys();
    contents[name] = keys.map((request) => {
      const url = new URL(request.url);
      return url.pathname + url.search;
    });
  }
  return contents;
}"""
# The modules at the URLs the pages load them from: a module at another URL runs again.
STATIC = pwa.compute_shell_build(PROJECT_ROOT / "static", PROJECT_ROOT / "templates").static_path
STORE = f"import('{STATIC}/js/store.js')"
PUT_ALL = f"""async ([name, values]) => {{
  const store = await {STORE};
  for (const value of values) await store.put(name, value);
}}"""
GET_ALL = f"""async ([name, keys]) => {{
  const store = await {STORE};
  return Promise.all(keys.map((key) => store.get(name, key)));
}}"""
CACHED_TEXT = """async ([name, path]) => {
  const found = await (await caches.open(name)).match(path, { ignoreVary: true });
  return found ? found.text() : null;
}"""


def until(page, check: str, arg=None, timeout_ms: int = WORKER_TIMEOUT_MS):
    """Wait until the async JS function `check(arg)` answers something truthy, and return it."""
    value = page.evaluate(UNTIL, [check, arg, timeout_ms])
    assert value, f"timed out waiting for {check} with {arg!r}"
    return value


def shell_cache(live_server) -> str:
    return f"fieldapp-shell-{pwa.shell_build(live_server.app).version}"


def wait_until_cached(page, cache: str, path: str):
    until(page, IS_CACHED, [cache, path])


def caches_now(page) -> dict[str, list[str]]:
    return page.evaluate(CACHE_CONTENTS)


def sign_in_controlled(page, live_server, user):
    """Sign in and wait until the service worker controls the page and holds the shell."""
    sign_in(page, live_server.url, user.email, factories.PASSWORD)
    expect(page.locator("#sync-status")).to_be_attached()
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=WORKER_TIMEOUT_MS
    )
    # Installed from the sign-in page, the shell pages arrive once a signed-in page asks.
    for url in pwa.OFFLINE_SHELL_PAGES:
        wait_until_cached(page, shell_cache(live_server), url)


def small_pack(tech) -> dict:
    return {
        "generated_at": "2026-11-27T07:00:00+00:00",
        "user": {"id": tech.id, "name": tech.name, "role": "tech"},
        "equipment": [
            {
                "token": "K7QM3XA4",
                "short_code": "PM-K7QM-3XA4",
                "make": "HP",
                "model": "DesignJet T830",
                "serial_number": "CN0412345",
                "location_note": "2nd floor print room",
                "customer": {"id": 1, "name": "Harbor Reprographics"},
                "last_visits": [{"at": "2026-11-02T15:00:00+00:00", "outcome": "fixed"}],
                "open_jobs": ["J-1042"],
            },
            {
                "token": "W9RT4HJ2",
                "short_code": "PM-W9RT-4HJ2",
                "make": "Canon",
                "model": "imagePROGRAF TX-3100",
                "serial_number": "AB7781",
                "location_note": "",
                "customer": {"id": 2, "name": "Halvorsen Kline Architects"},
                "last_visits": [],
                "open_jobs": [],
            },
        ],
        "jobs": [
            {
                "number": "J-1042",
                "status": "scheduled",
                "priority": "urgent",
                "problem": "Carriage will not move, panel shows 86:01",
                "customer": "Harbor Reprographics",
                "equipment": "K7QM3XA4",
            }
        ],
        "sops": [{"slug": "repair", "title": "On-site repair visit", "version": 3, "steps": []}],
        "parts": [],
        "van": [],
        "urls": [],
    }


def test_signed_in_page_is_controlled_and_the_shell_is_precached(live_server, page):
    """After sign-in, does the worker control the page and hold CSS, scripts, scanner, icons
    and the shell pages in this version's precache?"""
    tech = factories.make_user("tech")

    sign_in_controlled(page, live_server, tech)

    shell = caches_now(page)[shell_cache(live_server)]
    for url in (
        f"{STATIC}/css/app.css",
        f"{STATIC}/js/sw-register.js",
        f"{STATIC}/js/store.js",
        f"{STATIC}/js/scanner/decoder.js",
        f"{STATIC}/vendor/jsqr/jsQR.js",
        f"{STATIC}/icons/sprite.svg",
        f"{STATIC}/icons/icon-192.png",
        "/offline",
        "/scan",
    ):
        assert url in shell, url
    # The sign-in page is never kept as a page, whatever the worker saw.
    assert all("/login" not in urls for urls in caches_now(page).values())


def test_offline_navigation_uses_the_cache_then_the_offline_page(live_server, page, context):
    """Offline, does a visited page open from the cache, and an unvisited one show the offline
    page: empty without a pack, listing the pack's plotters once one is stored?"""
    tech = factories.make_user("tech", name="Sam Okafor")
    factories.make_sop()
    sign_in_controlled(page, live_server, tech)
    page.goto(f"{live_server.url}/sops/")
    expect(page.get_by_role("heading", name="Procedures")).to_be_visible()
    wait_until_cached(page, PAGES_CACHE, "/sops/")
    cached = page.evaluate(
        f"async () => (await import('{STATIC}/js/sw-register.js')).cacheUrls(['/more'])"
    )
    assert cached == 1
    wait_until_cached(page, PAGES_CACHE, "/more")

    context.set_offline(True)
    page.goto(f"{live_server.url}/sops/")
    expect(page.get_by_role("heading", name="Procedures")).to_be_visible()
    page.goto(f"{live_server.url}/more")
    expect(page.get_by_role("heading", name="More")).to_be_visible()

    # No pack on the phone (whatever the sync engine stored at sign-in): a real empty state.
    page.evaluate(f"async (user) => (await {STORE}).remove('packs', user)", str(tech.id))
    waiting = {"id": "op-offline-1", "user": str(tech.id), "type": "job.status", "payload": {}}
    page.evaluate(PUT_ALL, ["ops", [{**waiting, "state": "pending", "created_at": 0, "tries": 0}]])
    # A page neither visited nor listed in any pack (the pack lists current SOP versions).
    page.goto(f"{live_server.url}/visits/new")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    expect(page.locator("[data-offline-missing]")).to_contain_text("/visits/new")
    expect(page.get_by_role("heading", name="Nothing saved on this phone yet")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_be_visible()
    expect(page.locator("[data-offline-empty]")).to_contain_text(
        "1 change saved on this phone, waiting to send."
    )

    page.evaluate(
        f"""async ([user, data]) => (await {STORE}).put('packs',
            {{ user, etag: 'x', fetched_at: Date.now(), data }})""",
        [str(tech.id), small_pack(tech)],
    )
    page.reload()
    plotters = page.locator("[data-plotters] li")
    expect(plotters).to_have_count(2)
    first = plotters.first
    expect(first).to_contain_text("HP DesignJet T830")
    expect(first).to_contain_text("Harbor Reprographics · 2nd floor print room")
    expect(first.get_by_role("link")).to_have_attribute("href", "/e/K7QM3XA4")
    expect(page.locator("[data-jobs] li")).to_contain_text("J-1042 · Harbor Reprographics")
    expect(page.locator("[data-sops] li").get_by_role("link")).to_have_attribute(
        "href", "/sops/repair"
    )
    expect(page.locator("[data-pack-age]")).to_have_text("Saved just now")
    pages = page.locator("[data-pages]")
    for label in ("Scan", "Procedures", "More"):
        expect(pages.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_role("heading", name="Nothing saved on this phone yet")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def publish_new_version(live_server, page, *, static_files_changed=False) -> str:
    """Deploy a changed shell (a new version hash) and let the browser find the new worker.
    With static_files_changed, every static file moves to a new versioned URL as well."""
    build = pwa.shell_build(live_server.app)
    new = dataclasses.replace(build, version=f"{build.version[:6]}next")
    if static_files_changed:
        static_version = "abcdef" * 2 if build.static_version != "abcdef" * 2 else "fedcba" * 2
        static_path = f"/static/{static_version}"
        new = dataclasses.replace(
            new,
            static_version=static_version,
            static_path=static_path,
            assets=tuple(url.replace(build.static_path, static_path, 1) for url in build.assets),
        )
    live_server.app.extensions[pwa.SHELL_BUILD_KEY] = new
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
    return new.version


def test_update_waits_for_the_user_and_keeps_pending_work(live_server, page):
    """When a new version is ready, is the page left alone until the tech taps Reload, does a
    page with unsaved input ask first, and do the outbox and cached pages survive?"""
    tech = factories.make_user("tech")
    sign_in_controlled(page, live_server, tech)
    page.goto(f"{live_server.url}/sops/")
    wait_until_cached(page, PAGES_CACHE, "/sops/")
    mine = {
        "id": "5d0d7c1e-0000-4000-8000-000000000001",
        "user": str(tech.id),
        "type": "job.status",
        "payload": {"job": "J-0001", "status": "done", "at": "2026-11-27T14:00:00Z"},
        "state": "pending",
        "created_at": int(time.time() * 1000),
        "tries": 0,
    }
    # Another person's unsent work on the same phone: nothing may send or touch it.
    theirs = {**mine, "id": "5d0d7c1e-0000-4000-8000-000000000002", "user": "someone-else"}
    page.evaluate(PUT_ALL, ["ops", [mine, theirs]])
    page.evaluate("window.notReloaded = true")
    old_shell = shell_cache(live_server)

    new_version = publish_new_version(live_server, page)

    banner = page.get_by_role("status").filter(has_text="A new version of FieldApp is ready.")
    expect(banner).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("async () => !!(await navigator.serviceWorker.getRegistration()).waiting")
    names = caches_now(page)
    assert old_shell in names and f"fieldapp-shell-{new_version}" in names

    # Unsaved input on the page: Reload asks first and changes nothing until confirmed.
    page.evaluate(
        """() => {
          const form = document.createElement('form');
          form.dataset.unsaved = '';
          form.innerHTML = '<input name="note" aria-label="Note" value="half-typed">';
          document.querySelector('main').append(form);
        }"""
    )
    banner = page.locator("[data-update-banner]")
    banner.get_by_role("button", name="Reload", exact=True).click()
    expect(banner).to_contain_text("isn't saved yet")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("async () => !!(await navigator.serviceWorker.getRegistration()).waiting")
    banner.get_by_role("button", name="Keep working").click()
    expect(banner).to_contain_text("A new version of FieldApp is ready.")

    banner.get_by_role("button", name="Reload", exact=True).click()
    click_and_wait_for_reload(
        page, banner.get_by_role("button", name="Reload anyway"), WORKER_TIMEOUT_MS
    )
    assert page.evaluate("window.notReloaded") is None
    expect(page.locator("[data-update-banner]")).to_have_count(0)

    stored = page.evaluate(GET_ALL, ["ops", [mine["id"], theirs["id"]]])
    assert stored[1] == theirs
    # The sync engine may have tried it (the server rejects it), but it is never dropped.
    assert stored[0] is not None and stored[0]["id"] == mine["id"]
    assert "/sops/" in caches_now(page)[PAGES_CACHE]


def test_old_caches_are_deleted_once_the_new_version_activates(live_server, page, context):
    """After Reload, is only the new version's precache left, beside the kept pages cache?"""
    tech = factories.make_user("tech")
    sign_in_controlled(page, live_server, tech)
    page.goto(f"{live_server.url}/more")
    wait_until_cached(page, PAGES_CACHE, "/more")
    # A precache some older version left behind.
    page.evaluate("async () => (await caches.open('fieldapp-shell-0ld')).put('/x', new Response())")
    old_shell = shell_cache(live_server)

    new_version = publish_new_version(live_server, page)
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    click_and_wait_for_reload(
        page, banner.get_by_role("button", name="Reload", exact=True), WORKER_TIMEOUT_MS
    )

    new_shell = f"fieldapp-shell-{new_version}"
    names = until(
        page,
        "async (old) => { const n = await caches.keys(); return !n.includes(old) && n; }",
        old_shell,
    )
    assert sorted(names) == sorted([new_shell, PAGES_CACHE])
    contents = caches_now(page)
    assert "/more" in contents[PAGES_CACHE]
    assert f"{STATIC}/css/app.css" in contents[new_shell]
    # The new worker serves the kept pages and its own precache without signal.
    context.set_offline(True)
    page.goto(f"{live_server.url}/more")
    expect(page.get_by_role("heading", name="More")).to_be_visible()
    page.goto(f"{live_server.url}/scan")
    expect(page.get_by_role("heading", name="Scan a plotter")).to_be_visible()


def test_another_person_signing_in_never_sees_the_first_ones_pages(live_server, page):
    """When a second tech signs in on the phone, are the first tech's cached pages dropped?"""
    first = factories.make_user("tech", name="Sam Okafor")
    second = factories.make_user("tech", name="Priya Natarajan")
    sign_in_controlled(page, live_server, first)
    page.goto(f"{live_server.url}/more")
    wait_until_cached(page, PAGES_CACHE, "/more")

    page.context.clear_cookies()
    sign_in_controlled(page, live_server, second)

    gone = f"async (arg) => !((await ({CACHED_TEXT})(arg)) ?? '').includes('Sam Okafor')"
    until(page, gone, [PAGES_CACHE, "/more"])
    refetched = f"async (arg) => ((await ({CACHED_TEXT})(arg)) ?? '').includes('Priya Natarajan')"
    until(page, refetched, [shell_cache(live_server), "/offline"])
    assert "Sam Okafor" not in page.evaluate(CACHED_TEXT, [shell_cache(live_server), "/offline"])


def test_a_page_saved_before_an_update_opens_offline_with_the_new_files(live_server, page, context):
    """After an update that moved every static file to new URLs, does a page saved by the old
    version still open offline styled, with its scripts and icons, from the new copies?"""
    tech = factories.make_user("tech")
    sign_in_controlled(page, live_server, tech)
    page.goto(f"{live_server.url}/more")
    wait_until_cached(page, PAGES_CACHE, "/more")
    # Reload happens on another page, so the saved /more stays as the old version made it.
    page.goto(f"{live_server.url}/sops/")
    expect(page.get_by_role("heading", name="Procedures", exact=True)).to_be_visible()

    new_version = publish_new_version(live_server, page, static_files_changed=True)
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_visible(timeout=WORKER_TIMEOUT_MS)
    click_and_wait_for_reload(
        page, banner.get_by_role("button", name="Reload", exact=True), WORKER_TIMEOUT_MS
    )
    new_shell = f"fieldapp-shell-{new_version}"
    names = until(
        page,
        "async () => { const n = await caches.keys(); return n.length === 2 && n; }",
    )
    assert sorted(names) == sorted([new_shell, PAGES_CACHE])
    new_static = pwa.shell_build(live_server.app).static_path
    assert f"{new_static}/css/app.css" in caches_now(page)[new_shell]
    assert not any(url.startswith(STATIC) for url in caches_now(page)[new_shell])

    context.set_offline(True)
    page.goto(f"{live_server.url}/more")
    expect(page.get_by_role("heading", name="More")).to_be_visible()
    # The saved page names the old version's files; none of them is stored any more.
    stylesheet = page.locator("link[rel=stylesheet]")
    expect(stylesheet).to_have_attribute("href", f"{STATIC}/css/app.css")
    # Styled (the bottom bar is fixed by app.css), scripts ran (the sync status is drawn),
    # and the icon sprite answers at its old address.
    assert page.evaluate("getComputedStyle(document.querySelector('.bottomnav')).position") == (
        "fixed"
    )
    expect(page.locator("#sync-status")).to_contain_text("Offline")
    sprite = f"{STATIC}/icons/sprite.svg"
    assert page.evaluate("async (url) => (await fetch(url)).ok", sprite)
