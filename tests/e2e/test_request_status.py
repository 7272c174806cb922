"""On a phone, a customer who scanned the label follows their request: the confirmation's
link opens the status page, which moves from received to scheduled, on the way and done (with
the report to download) as the office and the tech work; an expired or unknown link shows
nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.services import announce_on_the_way, schedule_job
from fieldapp.public.models import ServiceRequest
from fieldapp.public.services import convert_request
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.e2e.browser import PHONE
from tests.e2e.test_accessibility import check_page


def test_a_customer_follows_a_request_from_received_to_done(live_server, browser):
    plotter = factories.make_equipment(
        factories.make_customer(name="Riverwalk Print & Copy"), model="imagePROGRAF TM-300"
    )
    tech = factories.make_user("tech", name="Priya Natarajan")
    office = factories.make_user("office")
    db.session.commit()

    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/e/{plotter.qr_token}")
        page.get_by_label("Your name").fill("Carlos Mendez")
        page.get_by_label("Phone").fill("+1 (630) 555-0114")
        page.get_by_label("What is the problem?").fill("Stopped with EC03-2F21 on the screen.")
        page.get_by_role("button", name="Send request").click()
        expect(page.get_by_role("heading", name="Request received")).to_be_visible()
        page.get_by_role("link", name="Follow your request").click()

        stage = page.locator("[data-stage-title]")
        expect(stage).to_have_text("Received: we are planning the visit")
        expect(page.locator("main")).not_to_contain_text("EC03-2F21")
        assert check_page(page, "status page, received") == []
        link = page.url

        db.session.rollback()
        sent = db.session.scalar(sa.select(ServiceRequest))
        start = (utcnow() + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
        with unit_of_work():
            job = convert_request(sent, actor_id=office.id)
            schedule_job(
                job,
                tech_id=tech.id,
                start=start,
                duration_minutes=None,
                arrival_window_minutes=120,
                actor_id=office.id,
            )
        page.reload()
        expect(stage).to_have_text("Visit scheduled")
        expect(page.locator("[data-visit-window]")).to_contain_text("your technician is Priya")
        expect(page.locator('[aria-current="step"]')).to_have_text("Visit scheduled")

        with unit_of_work():  # the day comes: the tech sets off
            job.scheduled_for = utcnow().replace(microsecond=0)
            announce_on_the_way(job, tech)
        page.reload()
        expect(stage).to_have_text("Your technician is on the way")
        expect(page.locator("[data-visit-window]")).to_contain_text("Priya set off at")
        expect(page.locator('[aria-current="step"]')).to_have_text("On the way")

        factories.make_visit(plotter, tech, job=job, summary="Replaced the cutter assembly.")
        job.status, job.closed_at = "done", utcnow()
        db.session.commit()
        page.reload()
        expect(stage).to_have_text("Done")
        report = page.get_by_role("link", name="Download the service report (PDF)")
        expect(report).to_be_visible()
        pdf = context.request.get(live_server.url + report.get_attribute("href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert check_page(page, "status page, done") == []

        # 90 days after the job closed, the link shows nothing of the request.
        job.closed_at = utcnow() - timedelta(days=91)
        db.session.commit()
        page.goto(link)
        expect(page.get_by_role("heading", name="This link doesn't work")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(sent.reference)
        page.goto(f"{live_server.url}/r/{'x' * 43}")
        expect(page.get_by_role("heading", name="This link doesn't work")).to_be_visible()
        assert check_page(page, "status page, unknown link") == []
    finally:
        context.close()
