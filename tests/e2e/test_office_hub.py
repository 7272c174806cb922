"""The office and a tech in two browsers: dispatch, the job thread, and the live feed."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1366, "height": 900}


def test_office_dispatches_and_hears_back_from_the_tech(live_server, browser, context):
    """The office assigns a job and the tech's Today shows it; the tech posts on the job's
    thread and the office reads it there; the tech logs a visit and the office dashboard's
    feed shows it without a reload."""
    office_user = factories.make_user("office", name="Maria Chen", email="maria@example.com")
    tech = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    customer = factories.make_customer(name="Lakeshore Reprographics")
    plotter = factories.make_equipment(customer, model="DesignJet T830")
    job = factories.make_job(
        customer,
        equipment=plotter,
        status="new",
        priority="high",
        scheduled_for=None,
        problem="87:11 again, stops partway through plots",
    )

    office_context = browser.new_context(viewport=DESKTOP)
    office_context.set_default_timeout(30_000)  # a loaded machine answers slowly
    office = office_context.new_page()
    phone = context.new_page()
    try:
        # The office assigns the job.
        sign_in(office, live_server.url, office_user.email, factories.PASSWORD)
        office.goto(f"{live_server.url}/jobs/{job.id}")
        office.get_by_label("Tech", exact=True).select_option(label="Sam Okafor")
        office.get_by_label("When", exact=True).fill("2026-12-01T09:30")
        office.get_by_role("button", name="Assign").click()
        expect(office.locator(".flash-success")).to_contain_text(f"{job.number} is with Sam Okafor")
        expect(office.locator("#dispatch")).to_contain_text("Sam Okafor")

        # The tech's Today shows it at the next load.
        sign_in(phone, live_server.url, tech.email, factories.PASSWORD)
        card = phone.locator(f'article[data-job="{job.number}"]')
        expect(card).to_contain_text("87:11 again, stops partway through plots")

        # The tech posts on the job's thread from the phone, in a basement with no signal:
        # the message waits in the outbox and reaches the office at the next sync.
        card.get_by_role("link", name="Messages").click()
        expect(phone.get_by_role("heading", name=f"{job.number} · Messages")).to_be_visible()
        phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        form = phone.locator(f'[data-message-form][data-job="{job.number}"]')
        form.get_by_label("Message to the office").fill("Trailing cable cracked at the fold")
        form.get_by_role("button", name="Send").click()
        pending = phone.locator("[data-pending-message]")
        expect(pending).to_contain_text("Trailing cable cracked at the fold")
        expect(pending).to_contain_text("Waiting to sync")
        office.goto(f"{live_server.url}/jobs/{job.id}")
        expect(office.locator("#thread")).not_to_contain_text("Trailing cable cracked")
        context.set_offline(False)
        expect(phone.locator("#sync-status")).to_contain_text("all synced", timeout=30_000)
        expect(phone.locator(".msg-mine")).to_contain_text("Trailing cable cracked at the fold")

        # The office reads it in the job's thread.
        office.goto(f"{live_server.url}/jobs/{job.id}")
        thread = office.locator("#thread")
        expect(thread).to_contain_text("Sam Okafor")
        expect(thread).to_contain_text("Trailing cable cracked at the fold")

        # The office watches the dashboard while the tech logs the visit.
        office.goto(f"{live_server.url}/")
        office.evaluate("window.__stillTheSamePage = true")
        feed = office.locator("[data-feed]")
        expect(feed).not_to_contain_text("logged fixed")
        started = datetime.now(UTC) - timedelta(hours=1)
        visit = {
            "id": str(uuid.uuid4()),
            "equipment": plotter.qr_token,
            "job": job.number,
            "started_at": started.isoformat(),
            "finished_at": (started + timedelta(minutes=50)).isoformat(),
            "outcome": "fixed",
            "summary": "Replaced the trailing cable; 87:11 cleared",
        }
        status = phone.evaluate(
            """async (visit) => {
                const token = document.querySelector('meta[name="csrf-token"]').content;
                const response = await fetch("/api/v1/visits", {
                    method: "POST",
                    headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                    body: JSON.stringify(visit),
                });
                return response.status;
            }""",
            visit,
        )
        assert status == 201
        expect(feed.locator("li").first).to_contain_text(
            "Sam Okafor logged fixed on the HP DesignJet T830 at Lakeshore Reprographics",
            timeout=30_000,
        )
        expect(feed).to_contain_text("Replaced the trailing cable; 87:11 cleared")
        assert office.evaluate("window.__stillTheSamePage === true")  # no reload happened
        expect(office.locator("[data-feed-status]")).to_have_text(re.compile("^Live"))
    finally:
        # Stop the dashboard's polling before the server goes away, so no request is left
        # holding a database connection when the test's engine is disposed.
        office.goto("about:blank")
        office_context.close()
