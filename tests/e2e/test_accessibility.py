"""Every page a tech uses, at 390x844, online and offline: no axe-core violation, every
control at least 44x44 CSS px (gloves), no text under 14 px (sunlight), and the sync status
whole at 360 px."""

from __future__ import annotations

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from fieldapp.equipment.services import issue_unclaimed_labels
from tests import factories
from tests.e2e.browser import sign_in
from tests.scenarios import make_site

# What a tech opens without signal: the pages the phone keeps (the pack names them).
OFFLINE_PAGES = ("/", "/scan", "/sops/", "/sops/repair", "/van", "/more", "/sync", "/offline")

AXE = Axe()

# Every interactive element the page shows, with its box; links inside running text are
# exempt (WCAG 2.5.8), as are controls the browser draws itself (file inputs' buttons).
SMALL_TARGETS = """() => {
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[role=button], label.status-choice';
  const inText = (el) => {
    const block = el.closest('p, li, dd, td');
    return el.matches('a') && block && !el.matches('.btn, .item')
      && block.textContent.trim().length > el.textContent.trim().length + 2;
  };
  const small = [];
  for (const el of document.querySelectorAll(controls)) {
    const unseen = el.closest('[hidden], .visually-hidden, .skip-link');
    if (unseen || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (inText(el)) continue;  // a link inside running text (WCAG 2.5.8 exempts it)
    if (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) continue;
    const box = el.getBoundingClientRect();
    const name = (el.textContent || el.getAttribute('aria-label') || el.name || '').trim();
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName.toLowerCase()} "${name.slice(0, 30)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""

# Text under 14 px that a tech has to read (badges and codes are read at a glance, not read).
SMALL_TEXT = """() => {
  const aside = '[hidden], .visually-hidden, .badge, .chip, .nav-count, svg, code, .mono';
  const small = new Set();
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length || el.closest(aside)) continue;
    if (parseFloat(getComputedStyle(el).fontSize) < 16) {
      const text = node.textContent.trim().slice(0, 30);
      small.add(`${el.tagName.toLowerCase()}.${el.className}: ${text}`);
    }
  }
  return [...small];
}"""


@pytest.fixture
def tech_pages(live_server):
    """The pages of a tech's day, with something on each."""
    site = make_site()
    factories.make_visit(site.plotter, site.tech, meter=182000)
    unclaimed = factories.committed(issue_unclaimed_labels, 1, actor_id=None)[0].token
    visit = factories.make_visit(site.plotter, site.tech)
    token = site.plotter.qr_token
    blank = f"#plotter={token}&job={site.job.number}&id={uuid.uuid4()}"
    return site, [
        "/",
        "/scan",
        "/sops/",
        "/sops/repair",
        "/van",
        "/more",
        "/account/notifications",
        "/sync",
        "/offline",
        f"/e/{token}",
        f"/visits/new?plotter={token}",
        f"/visits/form/repair{blank}",
        f"/visits/form/none{blank}",
        f"/visits/{visit.id}",
        f"/visits/{visit.id}/report",
        f"/jobs/{site.job.id}/messages",
        f"/e/{unclaimed}/claim",
    ]


def check_page(page, path: str) -> list[str]:
    problems = []
    results = AXE.run(page)
    for violation in results.response["violations"]:
        targets = [node["target"] for node in violation["nodes"]][:3]
        problems.append(f"{path}: axe {violation['id']} ({violation['impact']}) {targets}")
    problems += [f"{path}: small target {t}" for t in page.evaluate(SMALL_TARGETS)]
    problems += [f"{path}: small text {t}" for t in page.evaluate(SMALL_TEXT)]
    return problems


def test_every_tech_page_online(live_server, page, tech_pages):
    site, paths = tech_pages
    sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
    problems = []
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#sync-status")).to_have_attribute("data-state", re.compile("."))
        problems += check_page(page, path)
    assert not problems, "\n".join(problems)


def test_the_public_pages(live_server, page, tech_pages):
    site, _ = tech_pages
    problems = []
    for path in ("/login", f"/e/{site.plotter.qr_token}"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_be_visible()
        problems += check_page(page, path)
    assert not problems, "\n".join(problems)


def test_every_tech_page_offline(phone, live_server, tech_pages):
    site, paths = tech_pages
    page = phone.start()
    sign_in(page, phone.base, site.tech.email, factories.PASSWORD)
    token = site.plotter.qr_token
    forms = [path for path in paths if path.startswith("/visits/form/")]
    phone.ready_for_offline(*OFFLINE_PAGES, f"/e/{token}", "/visits/form/repair")
    phone.offline()
    problems = []
    # The plotter page kept, one drawn from the pack (never opened here) and an unknown label.
    others = [f"/e/{token}", f"/e/{site.job.equipment.qr_token}", "/e/ZZZZZZZZ", *forms]
    for path in [*OFFLINE_PAGES, *others]:
        phone.go(path)
        expect(page.locator("#sync-status")).to_have_attribute("data-state", "offline")
        problems += check_page(page, f"offline {path}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [360, 390])
def test_the_sync_status_reads_whole_on_a_narrow_phone(live_server, browser, tech_pages, width):
    site, _ = tech_pages
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
    expect(page.locator("#sync-status a")).to_be_visible()
    page.evaluate(
        """() => { const s = document.querySelector('#sync-status a');
          s.textContent = '2 waiting to sync · 1 needs attention'; }"""
    )
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.topbar *')].filter((el) =>
             el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1
             && getComputedStyle(el).overflow !== 'visible')
           .map((el) => el.className)"""
    )
    box = page.locator("#sync-status").bounding_box()
    assert clipped == [] and box["x"] + box["width"] <= width
    context.close()
