"""A tech signs in on a phone and sees the day's jobs."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import sign_in


def test_tech_signs_in_on_a_phone_and_sees_today(live_server, page):
    """Does a tech at 390x844 land on Today with their jobs, and no horizontal scroll?"""
    tech = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    other = factories.make_user("tech", name="Priya Natarajan")
    customer = factories.make_customer(name="Harbor Reprographics")
    plotter = factories.make_equipment(customer, model="DesignJet T830")
    mine = factories.make_job(
        customer, equipment=plotter, assigned_to_id=tech.id, priority="urgent", status="scheduled"
    )
    theirs = factories.make_job(problem="Banding on prints", assigned_to_id=other.id)

    sign_in(page, live_server.url, tech.email, factories.PASSWORD)

    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    card = page.locator(f'[data-job="{mine.number}"]')
    expect(card).to_contain_text("Harbor Reprographics")
    expect(card).to_contain_text("DesignJet T830")
    expect(card).to_contain_text("Urgent")
    expect(page.locator(f'[data-job="{theirs.number}"]')).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main").last
    for label in ("Today", "SOPs", "More"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390
