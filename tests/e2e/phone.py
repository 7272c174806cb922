"""A tech's phone for browser tests: a Chromium profile that survives restarts (a restart
keeps the service worker, its caches and IndexedDB, as a real phone does), the day's work (a
tech, three plotters, a job, the repair SOP, a stocked van), and logging a visit on it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.inventory.models import PartCompatibility, StockLevel
from fieldapp.visits.models import Visit
from tests import factories
from tests.e2e.browser import PHONE, launch_options, sign_in, wait_until_cached


class Phone:
    """A tech's phone: a Chromium profile that survives restarts, optionally with a camera."""

    def __init__(self, driver, profile, base_url):
        self.driver, self.profile, self.base = driver, profile, base_url
        self.context = None
        self.page = None

    def start(self, *, video=None, offline=False):
        args = []
        if video is not None:
            args = [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ]
        self.context = self.driver.chromium.launch_persistent_context(
            str(self.profile),
            **launch_options(args=args),
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            permissions=["camera"],
        )
        self.context.set_default_timeout(20_000)
        if offline:
            self.context.set_offline(True)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())
        # Shown by pytest when a test fails: what the page said.
        self.page.on("console", lambda message: print("console:", message.text))
        return self.page

    def stop(self):
        self.context.close()

    def offline(self, value=True):
        self.context.set_offline(value)

    def go(self, path):
        self.page.goto(self.base + path)

    def ready_for_offline(self, *paths):
        """Wait until the worker controls the page, the pack is stored and these are cached."""
        page = self.page
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        expect(page.locator("#sync-status")).to_contain_text("Online")
        for path in paths:
            wait_until_cached(page, path)

    def status(self):
        return self.page.locator("#sync-status")


def log_visit(page, *, part_search, outcome="Fixed", summary, photo=None, steps=True):
    """On the visit form: tick the steps, add a part (and a photo), finish."""
    expect(page.locator("[data-visit-form]")).to_be_visible()
    if steps:
        cards = page.locator("[data-step]")
        cards.nth(0).locator(".status-choice", has_text="Done").click()
        cards.nth(1).locator(".status-choice", has_text="Pass").click()
        cards.nth(2).locator(".status-choice", has_text="Done").click()
        cards.nth(2).get_by_label("Value (N)").fill("3.2")
    if part_search:
        page.get_by_label("Find a part").fill(part_search)
        page.locator(".part-hit").first.click()
    if photo is not None:
        page.get_by_label("Add photos").set_input_files(str(photo))
        expect(page.locator("[data-visit-thumbs] img")).to_have_count(1)
    page.locator(".outcome-choices .status-choice", has_text=outcome).click()
    page.get_by_label("What you did").fill(summary)
    page.get_by_role("button", name="Finish visit").click()


def log_visit_offline(phone, day, summary: str):
    """Sign the day's tech in, go offline and log a visit on the plotter of their job."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.ready_for_offline(f"/e/{day['on_job'].qr_token}", "/visits/form/repair")
    phone.offline()
    phone.go(f"/e/{day['on_job'].qr_token}")
    page.get_by_role("link", name="Start visit").click()
    log_visit(page, part_search="belt", summary=summary)
    # Saved: the phone opens the plotter page, the visit on it waiting to sync.
    expect(page).to_have_url(re.compile(rf"/e/{day['on_job'].qr_token}#saved$"))
    expect(page.locator("[data-pending-visit]")).to_contain_text(summary)
    return page


def visits() -> list[Visit]:
    db.session.rollback()  # a new read: the server wrote meanwhile (SQLite keeps a snapshot)
    return list(db.session.scalars(sa.select(Visit).order_by(Visit.started_at)))


def level(part, location) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(StockLevel.quantity).where(
            StockLevel.part_id == part.id, StockLevel.location_id == location.id
        )
    )


def make_day(*, friction=(None, None)) -> dict:
    """A tech with a stocked van, three plotters (one on the tech's job) and the repair SOP
    (its carriage rod friction expecting `friction`, (low, high) N, when given)."""
    tech = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    customer = factories.make_customer(name="Halvorsen Kline Architects")
    on_job = factories.make_equipment(customer, model="DesignJet T830")
    nearby = factories.make_equipment(
        customer, model="DesignJet T1700", location_note="Plan room, 3rd floor"
    )
    scanned = factories.make_equipment(
        factories.make_customer(name="Riverwalk Print & Copy"),
        make="Canon",
        model="imagePROGRAF TM-300",
    )
    job = factories.make_job(
        customer,
        equipment=on_job,
        assigned_to_id=tech.id,
        status="scheduled",
        problem="86:01 carriage stuck",
    )
    version = factories.make_sop(friction=friction)
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in")
    wiper = factories.make_part(sku="1XB42-67001", name="Service station wiper kit")
    db.session.add(PartCompatibility(part_id=belt.id, model="DesignJet T830"))
    db.session.commit()
    van = factories.van_of(tech)
    factories.stock(belt, van, 5)
    factories.stock(wiper, van, 5)
    factories.make_visit(nearby, tech, summary="Cleaned encoder strip; 87:11 gone")
    return {
        "tech": tech,
        "on_job": on_job,
        "nearby": nearby,
        "scanned": scanned,
        "job": job,
        "version": version,
        "belt": belt,
        "wiper": wiper,
        "van": van,
    }
