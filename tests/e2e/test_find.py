"""The office finds anything from the search box on a desktop: "/" focuses it, a job number,
a customer by part of a name with punctuation, a plotter by its label code; the arrow keys
and Enter open a result. Then the jobs list with a done job the board no longer shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1366, "height": 900}
AXE = Axe()


@pytest.fixture
def office(live_server, browser):
    user = factories.make_user("office", name="Maria Chen")
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, live_server.url, user.email, factories.PASSWORD)
    yield page
    context.close()


def test_the_search_box_finds_jobs_customers_and_plotters(live_server, office):
    oak = factories.make_customer(name="Okonkwo + Reyes Architects")
    factories.make_customer(name="Reyes Family Dental")
    plotter = factories.make_equipment(oak, model="imagePROGRAF TM-300", make="Canon")
    old = datetime.now(UTC) - timedelta(days=120)
    job = factories.make_job(
        equipment=plotter, status="done", closed_at=old, created_at=old, problem="Banding"
    )
    page = office
    page.goto(f"{live_server.url}/jobs")
    box = page.get_by_role("combobox", name="Search jobs, customers, plotters")

    # "/" from anywhere on the page puts the cursor in the box.
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(box).to_be_focused()

    # A job number: the first result, chosen already; Enter opens the job.
    box.press_sequentially(job.number.lower())
    listbox = page.get_by_role("listbox", name="Search results")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text(job.number)
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/jobs/{job.id}$"))

    # A customer by words of the name, without its punctuation; the arrow keys move.
    box = page.get_by_role("combobox", name="Search jobs, customers, plotters")
    box.fill("okonkwo reyes")
    options = page.get_by_role("listbox", name="Search results").get_by_role("option")
    expect(options.filter(has_text="Okonkwo + Reyes Architects")).to_have_count(1)
    expect(options.filter(has_text="Reyes Family Dental")).to_have_count(0)
    target = options.filter(has_text="Okonkwo + Reyes Architects")
    for _ in range(10):  # at most a box's worth of results
        if target.get_attribute("aria-selected") == "true":
            break
        box.press("ArrowDown")
    expect(target).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{oak.id}$"))
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(page.locator(".recent-jobs")).to_contain_text(job.number)

    # A plotter by its label code, typed without dashes; Escape closes, Enter reopens none.
    box = page.get_by_role("combobox", name="Search jobs, customers, plotters")
    box.fill(plotter.short_code.replace("-", "").lower())
    listbox = page.get_by_role("listbox", name="Search results")
    expect(listbox.get_by_role("option").first).to_contain_text("imagePROGRAF TM-300")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")  # the list comes back with the same results
    expect(listbox.get_by_role("option").first).to_contain_text("imagePROGRAF TM-300")
    listbox.get_by_role("option").first.click()
    expect(page).to_have_url(re.compile(rf"/e/{plotter.qr_token}$"))


def test_nothing_found_says_so_and_the_search_page_takes_over(live_server, office):
    page = office
    page.goto(f"{live_server.url}/customers/")
    box = page.get_by_role("combobox", name="Search jobs, customers, plotters")
    box.fill("zzqx")
    expect(page.locator("[data-search-popup]")).to_contain_text("Nothing matches “zzqx”")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=zzqx$"))
    expect(page.get_by_role("heading", name="Nothing matches “zzqx”")).to_be_visible()


def test_the_jobs_list_has_what_the_board_dropped(live_server, office):
    customer = factories.make_customer(name="Lakeshore Reprographics")
    old = datetime.now(UTC) - timedelta(days=90)
    done = factories.make_job(customer, status="done", closed_at=old, created_at=old)
    factories.make_job(customer, status="new", scheduled_for=None)
    page = office
    page.goto(f"{live_server.url}/jobs")
    expect(page.locator(".board")).not_to_contain_text(done.number)
    page.get_by_role("link", name="older", exact=True).click()
    expect(page.get_by_role("heading", name="All jobs")).to_be_visible()
    expect(page.locator(".jobs-table")).to_contain_text(done.number)
    page.get_by_label("Status").select_option("open")  # the filter applies on change
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(page.locator(".jobs-table")).not_to_contain_text(done.number)


def violations(page, where: str) -> list[str]:
    found = AXE.run(page).response["violations"]
    return [f"{where}: {v['id']} {[node['target'] for node in v['nodes']][:3]}" for v in found]


def test_the_new_office_pages_have_no_axe_violations(live_server, office):
    oak = factories.make_customer(name="Okonkwo + Reyes Architects")
    plotter = factories.make_equipment(oak)
    factories.make_job(equipment=plotter)
    page = office
    problems = []
    for path in (
        "/jobs/all",
        "/search?q=okonkwo",
        f"/customers/{oak.id}",
        f"/e/{plotter.qr_token}",
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_be_visible()
        problems += violations(page, path)
    box = page.get_by_role("combobox", name="Search jobs, customers, plotters")
    box.fill("okonkwo")
    expect(page.get_by_role("listbox", name="Search results")).to_be_visible()
    problems += violations(page, "the open list")
    assert problems == []
