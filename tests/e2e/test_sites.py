"""On a desktop the office gives a customer a second site with its contact, moves a plotter
there (the plotter page then sends the tech to that site and names whom to ask for), and
merges a duplicate customer, whose site comes along."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from fieldapp.customers.services import save_site
from fieldapp.extensions import db
from tests import factories
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1366, "height": 900}


def test_a_customer_with_two_sites_and_a_merge(live_server, browser):
    office_user = factories.make_user("office", name="Maria Chen")
    university = factories.make_customer(
        name="Northbrook State University", address="1 University Pl, Northbrook, IL 60062"
    )
    plotter = factories.make_equipment(university, model="DesignJet T830")
    duplicate = factories.make_customer(name="Northbrook State Univ")
    save_site(duplicate, {"name": "Library", "address": "Main Library"}, actor_id=None)
    db.session.commit()

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, office_user.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/customers/{university.id}")
        page.get_by_role("link", name="Add site").click()
        page.get_by_label("Site name").fill("Hollis Hall")
        page.get_by_label("Address").fill("Hollis Hall, Room B12")
        page.get_by_label("Opening hours").fill("Mon–Fri 8:00–22:00")
        page.get_by_role("button", name="Add site").click()
        sites = page.locator("#sites")
        expect(sites).to_contain_text("Hollis Hall")
        expect(sites).to_contain_text("Mon–Fri 8:00–22:00")

        sites.get_by_role("link", name="Add the site contact").click()
        expect(page.get_by_label("Works at")).to_have_value(re.compile(r"\d+"))
        page.get_by_label("Name", exact=True).fill("Leena Anand")
        page.get_by_label(re.compile(r"^Phone")).fill("+1 (847) 555-0108")
        page.get_by_role("button", name="Add contact").click()
        expect(sites).to_contain_text("Ask for Leena Anand")
        expect(page.locator("#contacts")).to_contain_text("Site contact: Hollis Hall")

        page.goto(f"{live_server.url}/plotters/{plotter.id}/edit")
        page.get_by_label("Site").select_option(label="Hollis Hall")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("link", name="Call Leena")).to_have_attribute(
            "href", "tel:+18475550108"
        )
        expect(page.locator(".kv")).to_contain_text("Hollis Hall, Room B12")

        page.goto(f"{live_server.url}/customers/{university.id}/merge")
        page.get_by_label("Duplicate").select_option(label="Northbrook State Univ")
        page.get_by_role("button", name="Merge Northbrook State Univ into").click()
        expect(page.locator("#sites")).to_contain_text("Library")
        expect(page.locator("#sites")).to_contain_text("Hollis Hall")
    finally:
        context.close()
