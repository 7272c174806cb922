"""Live everywhere it matters (issue 13, point 7): with the dashboard, the board or a tech's
Today open, another person's work shows within 5 s without a reload. The bug as seen: a tech's
card said Idle 10 s after the feed said on site; counters, the unassigned list and the unread
badge changed only on reload."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from fieldapp.jobs.services import assign_job
from fieldapp.messages.services import post_message
from fieldapp.visits.services import start_visit
from tests import factories
from tests.e2e.browser import sign_in
from tests.factories import committed

DESKTOP = {"width": 1366, "height": 900}
# What the issue asks: on screen within 5 s of the change being saved.
WITHIN = 5_000


def live_requests(page) -> list[str]:
    """The URLs of the live-parts fragments the page asks for, as it asks."""
    asked: list[str] = []
    page.on("request", lambda request: "part=live" in request.url and asked.append(request.url))
    return asked


def mark_the_page(page) -> None:
    page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__stillTheSamePage === true")


@pytest.fixture
def scene(live_server):
    office_user = factories.make_user("office", name="Maria Chen", email="maria@example.com")
    tech = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    customer = factories.make_customer(name="Lakeshore Reprographics")
    plotter = factories.make_equipment(customer, model="DesignJet T830")
    job = factories.make_job(
        customer,
        equipment=plotter,
        status="new",
        scheduled_for=None,
        problem="87:11 again, stops partway through plots",
    )
    return {"office": office_user, "tech": tech, "plotter": plotter, "job": job}


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    # Stop the polling before the server goes away (no request left holding a connection).
    page.goto("about:blank")
    context.close()


def test_the_dashboard_follows_a_visit_an_assignment_and_a_message(live_server, desk, scene):
    """Dashboard open: the office assigns the job, the tech starts a visit on it and posts on
    its thread. Within 5 s the tech's card says on site, the counters and the unassigned list
    change and the unread badge appears; the page never reloads, the focus stays put, and
    while nothing moves the page asks for nothing but the feed (a 304)."""
    office, tech, plotter, job = scene["office"], scene["tech"], scene["plotter"], scene["job"]
    sign_in(desk, live_server.url, office.email, factories.PASSWORD)
    desk.goto(f"{live_server.url}/")
    asked = live_requests(desk)
    mark_the_page(desk)
    card = desk.locator(f'[data-tech="{tech.id}"]')
    unassigned_stat = desk.locator(".stat", has_text="Unassigned").locator(".value")
    jobs_link = desk.locator(".sidenav").get_by_role("link", name="Jobs")
    expect(card).to_contain_text("Idle")
    expect(unassigned_stat).to_have_text("1")
    unassigned = desk.locator("section", has=desk.get_by_role("heading", name="Unassigned jobs"))
    expect(unassigned).to_contain_text(job.number)
    expect(jobs_link.locator(".nav-count")).to_have_count(0)
    with desk.expect_response(lambda r: "/api/v1/activity" in r.url and r.status == 304):
        pass
    assert asked == []  # a quiet poll fetches nothing more
    name = card.locator("a.tech-name")
    name.focus()

    committed(assign_job, scene["job"], tech.id, None, office.id)
    expect(unassigned_stat).to_have_text("0", timeout=WITHIN)
    expect(unassigned).to_contain_text("Every open job has a tech.", timeout=WITHIN)
    expect(name).to_be_focused()

    committed(start_visit, visit_id=uuid.uuid4(), equipment=plotter, tech=tech, job=job)
    expect(card).to_contain_text("On site at Lakeshore Reprographics", timeout=WITHIN)
    expect(desk.locator("[data-feed] li").first).to_contain_text("Sam Okafor on site")

    committed(post_message, job, tech, "Trailing cable cracked at the fold")
    expect(jobs_link.locator(".nav-count")).to_have_text("1 unread", timeout=WITHIN)
    assert_not_reloaded(desk)
    assert asked and all("part=live" in url for url in asked)
    expect(name).to_be_focused()


def test_the_board_moves_a_card_and_shows_its_unread_badge(live_server, desk, scene):
    """Board open: the office assigns the job elsewhere and the tech posts on it. Within 5 s
    the card is in the Scheduled column with the tech's name and an unread badge, the column
    counts follow, and the page never reloads."""
    office, tech, job = scene["office"], scene["tech"], scene["job"]
    sign_in(desk, live_server.url, office.email, factories.PASSWORD)
    desk.goto(f"{live_server.url}/jobs")
    mark_the_page(desk)
    new_column = desk.locator(".board-col-new")
    scheduled_column = desk.locator(".board-col-scheduled")
    expect(new_column.locator(f'[data-job="{job.number}"]')).to_contain_text("Unassigned")
    expect(scheduled_column.locator(".board-count")).to_have_text("0")

    committed(assign_job, job, tech.id, None, office.id)
    card = scheduled_column.locator(f'[data-job="{job.number}"]')
    expect(card).to_contain_text("Sam Okafor", timeout=WITHIN)
    expect(new_column.locator(f'[data-job="{job.number}"]')).to_have_count(0)
    expect(scheduled_column.locator(".board-count")).to_have_text("1")

    committed(post_message, job, tech, "Which floor is the print room on?")
    expect(card.locator(".nav-count")).to_have_text("1 unread messages", timeout=WITHIN)
    assert_not_reloaded(desk)


def test_a_techs_today_gets_a_new_job_and_its_message(live_server, page, scene):
    """Today open on the tech's phone: the office assigns a job and posts on it. Within 5 s
    the job's card is on Today with its Start visit button and, then, its unread badge;
    another tech's job never appears; the page never reloads."""
    office, tech, job = scene["office"], scene["tech"], scene["job"]
    other = factories.make_user("tech", name="Priya Natarajan")
    theirs = factories.make_job(status="new", scheduled_for=None, problem="Not Sam's job")
    sign_in(page, live_server.url, tech.email, factories.PASSWORD)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No open jobs")
    mark_the_page(page)

    committed(assign_job, theirs, other.id, None, office.id)
    committed(assign_job, job, tech.id, None, office.id)
    card = page.locator(f'article[data-job="{job.number}"]')
    expect(card).to_contain_text("87:11 again, stops partway through plots", timeout=WITHIN)
    expect(card.get_by_role("link", name="Start visit")).to_be_visible()
    expect(page.locator(".subtitle")).to_contain_text("You have 1 open job.")

    committed(post_message, job, office, "The customer says the print room is on the 3rd floor")
    expect(card.get_by_role("link", name="Messages")).to_contain_text("1", timeout=WITHIN)
    expect(page.locator("main")).not_to_contain_text("Not Sam's job")
    assert_not_reloaded(page)
    page.goto("about:blank")
