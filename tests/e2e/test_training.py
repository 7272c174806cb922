"""Training on a phone at 390x844: a tech sees "New procedure to read", opens it without
signal, signs it off (kept on the phone, waiting to sync), comes back online, the outbox
sends it, and the office's training matrix shows the tech current. And the visit start
notice: not a block, with the sign-off right there."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.sops.models import SopTraining
from tests import factories
from tests.e2e.browser import PHONE, sign_in
from tests.e2e.test_accessibility import check_page

SYNC_TIMEOUT = 30_000
DESKTOP = {"width": 1280, "height": 900}


def sign_offs() -> list[SopTraining]:
    db.session.rollback()  # a new read: the server wrote meanwhile
    return list(db.session.scalars(sa.select(SopTraining)))


def test_a_tech_signs_off_offline_and_the_matrix_shows_current(phone, live_server, day, browser):
    sam, version = day["tech"], day["version"]
    page = phone.start()
    sign_in(page, phone.base, sam.email, factories.PASSWORD)
    to_read = page.locator("[data-to-read]")
    expect(to_read).to_be_visible()
    expect(to_read.get_by_role("heading")).to_have_text("New procedure to read")
    link = to_read.get_by_role("link", name=re.compile("On-site diagnostic and repair visit"))
    expect(link).to_have_attribute("href", "/sops/repair/v1")
    assert check_page(page, "/ (to read)") == []
    phone.ready_for_offline("/", "/sops/repair/v1")

    phone.offline()
    link.click()
    expect(page).to_have_url(re.compile(r"/sops/repair/v1$"))
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "offline")
    expect(page.get_by_role("heading", name="On-site diagnostic and repair visit")).to_be_visible()
    page.get_by_role("button", name="I have read and understood version 1").click()
    block = page.locator("[data-signoff]")
    expect(block.locator("[data-signoff-state]")).to_contain_text("Waiting to sync")
    expect(page.get_by_role("button", name="I have read and understood version 1")).to_be_hidden()
    expect(page.locator("#sync-status")).to_contain_text("1 waiting to sync")
    assert check_page(page, "offline /sops/repair/v1 (signed, waiting)") == []
    assert sign_offs() == []  # nothing reached the server

    # Today, saved before the sign-off, says it is waiting rather than asking again.
    phone.go("/")
    item = page.locator('[data-to-read] li[data-sop="repair"]')
    expect(item).to_contain_text("Signed off · waiting to sync")

    phone.offline(False)
    expect(page.locator("#sync-status")).to_contain_text("all synced", timeout=SYNC_TIMEOUT)
    expect(page.locator("[data-to-read]")).to_be_hidden()
    (record,) = sign_offs()
    assert (record.user_id, record.version_id) == (sam.id, version.id)
    assert record.signed_at is not None

    # Back on the SOP page, online: the server says when.
    phone.go("/sops/repair/v1")
    expect(page.locator("[data-signoff-done]")).to_contain_text("You signed off version 1 on")

    # The office's matrix.
    factories.make_user("office", name="Maria Chen", email="maria@example.com")
    office = browser.new_context(viewport=DESKTOP)
    desk = office.new_page()
    sign_in(desk, live_server.url, "maria@example.com", factories.PASSWORD)
    desk.goto(f"{live_server.url}/training")
    row = desk.locator(f"#tech-{sam.id}")
    expect(row.locator("td").first).to_contain_text("Current")
    expect(row.locator("td").first).to_contain_text("Signed")
    office.close()


def test_the_visit_start_notice_signs_off_right_there(live_server, page, day):
    """The start page names the unsigned procedure; the tech signs it there, still starts."""
    sam, plotter = day["tech"], day["on_job"]
    sign_in(page, live_server.url, sam.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/visits/new?plotter={plotter.qr_token}&job={day['job'].number}")
    notice = page.locator(f'[data-sop-notice][data-for="{day["version"].id}"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("You have not signed off On-site diagnostic and repair visit")
    expect(page.get_by_role("button", name="Start visit now")).to_be_enabled()
    assert check_page(page, "/visits/new (notice)") == []
    notice.get_by_role("button", name="I have read and understood version 1").click()
    expect(notice.locator("[data-signoff-done]")).to_contain_text(
        "You signed off version 1", timeout=SYNC_TIMEOUT
    )
    assert [r.version_id for r in sign_offs()] == [day["version"].id]
    page.get_by_role("button", name="Start visit now").click()
    expect(page.locator("[data-visit-form]")).to_be_visible()
    expect(page.locator("[data-sop-notice]")).to_have_count(0)  # signed: no notice on the form


def test_the_matrix_reads_on_a_phone(live_server, browser, day):
    """At 390x844 the matrix scrolls sideways with the tech's name kept in view."""
    factories.make_user("office", name="Maria Chen", email="maria@example.com")
    for n in range(4):
        factories.make_user("tech", name=f"Tech Number{n}")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, "maria@example.com", factories.PASSWORD)
    page.goto(f"{live_server.url}/training")
    expect(page.locator(".training-matrix")).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # the page itself never scrolls sideways; the table's box does
    wrap = page.locator(".training-wrap")
    before = page.locator("tbody .training-tech").first.bounding_box()
    wrap.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    after = page.locator("tbody .training-tech").first.bounding_box()
    assert abs(after["x"] - before["x"]) < 1  # sticky
    context.close()
