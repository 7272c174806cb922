"""The admin deactivates a tech who still holds open jobs and van stock, on a desktop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1366, "height": 900}


def test_deactivating_a_tech_with_open_jobs_and_van_stock(live_server, browser):
    """Unchecking "Can sign in" leads to "Before Sam Okafor leaves"; the admin sends the jobs
    to Priya (one back to unassigned) and the van's stock to the warehouse, confirms once, and
    the board, the job page and the stock show it."""
    admin = factories.make_user("admin", name="Dana Owner", email="dana@example.com")
    sam = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    factories.make_user("tech", name="Priya Natarajan", email="priya@example.com")
    warehouse = factories.make_location("warehouse", name="Main warehouse")
    van = factories.van_of(sam)
    factories.stock(factories.make_part(name="Carriage belt", sku="CR357-67018"), van, 3)
    factories.stock(factories.make_part(name="Printhead 727", sku="B3P06A"), van, 1)
    customer = factories.make_customer(name="Lakeshore Reprographics")
    soon = datetime.now(UTC) + timedelta(days=1)
    jobs = [
        factories.make_job(customer, assigned_to_id=sam.id, status="scheduled", scheduled_for=soon)
        for _ in range(4)
    ]

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)  # a loaded machine answers slowly
    page = context.new_page()
    try:
        sign_in(page, live_server.url, admin.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/admin/users/{sam.id}")
        page.get_by_label("Can sign in").uncheck()
        page.get_by_role("button", name="Save").click()

        expect(page.get_by_role("heading", name="Before Sam Okafor leaves")).to_be_visible()
        expect(page.locator(".flash-info")).to_contain_text("Nothing is saved yet")
        expect(page.get_by_role("heading", name="Open jobs (4)")).to_be_visible()
        for job in jobs:
            expect(page.get_by_role("link", name=job.number, exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name="Carriage belt")).to_be_visible()
        expect(page.get_by_text("4 parts", exact=True)).to_be_visible()

        page.get_by_label("All open jobs go to").select_option(label="Priya Natarajan")
        page.get_by_label(f"Where {jobs[0].number} goes").select_option(label="Back to unassigned")
        page.get_by_label("The van's stock goes to").select_option(label="Main warehouse")
        page.get_by_role("button", name="Deactivate Sam and move everything").click()

        expect(page.locator(".flash-success")).to_contain_text(
            "Sam Okafor is deactivated; 4 open jobs and the van's stock moved."
        )
        row = page.get_by_role("row").filter(has_text="sam@example.com")
        expect(row).to_contain_text("Deactivated")

        page.goto(f"{live_server.url}/jobs?tech=none")
        expect(page.locator(f'[data-job="{jobs[0].number}"]')).to_be_visible()
        expect(page.locator(f'[data-job="{jobs[1].number}"]')).to_have_count(0)
        page.goto(f"{live_server.url}/jobs/{jobs[1].id}")
        expect(page.locator("#dispatch")).to_contain_text("Priya Natarajan")

        page.goto(f"{live_server.url}/stock/locations/{warehouse.id}")
        expect(page.get_by_role("row").filter(has_text="Carriage belt")).to_contain_text("3")
    finally:
        context.close()
