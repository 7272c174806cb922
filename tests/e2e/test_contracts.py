"""The office writes a service contract for two metered plotters in the browser, adds a PM
plan by the meter, and the planner makes one PM job per plotter ahead of time: the forecast,
the board and the plotter page show them, and a second run of the planner makes none."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.contracts.models import Contract
from fieldapp.contracts.services import add_a_year
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.localtime import company_zone, local_date, local_today
from tests import factories
from tests.contracts.helpers import readings
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1280, "height": 900}
NUMBER = "SC-E2E-0042"
EVERY = 12_000  # sq ft; the plotters print about 1,000 a day: due in about 12 days


def pm_jobs() -> list[Job]:
    db.session.rollback()  # a new read: the server and the planner wrote meanwhile
    return list(db.session.scalars(sa.select(Job).where(Job.kind == "preventive").order_by(Job.id)))


def run_planner(app) -> str:
    result = app.test_cli_runner().invoke(args=["pm", "plan"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_contract_with_a_meter_plan_makes_one_pm_job_per_plotter(live_server, browser):
    office_user = factories.make_user("office", name="Maria Chen")
    customer = factories.make_customer(name="Halvorsen Kline Architects")
    plotters = [
        factories.make_equipment(customer, meter_unit="sq_ft", model=model, serial_number=serial)
        for model, serial in (("DesignJet T1700", "CN0E2E0001"), ("DesignJet Z9+", "CN0E2E0002"))
    ]
    today = local_today(company_zone())
    # Ten days of readings up to yesterday, about 1,000 sq ft a day on each plotter.
    first_day = today - timedelta(days=10)
    latest = {}
    for start, plotter in zip((40_000, 95_000), plotters, strict=True):
        values = [start + 1_000 * day for day in range(10)]
        readings(plotter, first_day, values)
        latest[plotter.id] = values[-1]
    # The base is the latest reading (yesterday's): the threshold is reached 12 days later.
    due_on = today - timedelta(days=1) + timedelta(days=EVERY // 1_000)
    ends_on = add_a_year(today)

    office_context = browser.new_context(viewport=DESKTOP)
    office_context.set_default_timeout(30_000)
    office = office_context.new_page()
    try:
        sign_in(office, live_server.url, office_user.email, factories.PASSWORD)

        # The contract: the customer first, then the terms and the plotters.
        office.goto(f"{live_server.url}/contracts")
        office.locator(".page-header").get_by_role("link", name="New contract").click()
        office.get_by_label("Customer", exact=True).select_option(label=customer.name)
        office.get_by_role("button", name="Continue").click()
        expect(office.get_by_role("heading", name="New service contract")).to_be_visible()
        expect(office.locator(".subtitle")).to_have_text(customer.name)
        office.get_by_label("Contract number").fill(NUMBER)
        office.get_by_label("Starts on").fill(today.isoformat())
        office.get_by_label("Ends on").fill(ends_on.isoformat())
        office.get_by_label("Price a year (USD)").fill("4800")
        office.get_by_label("State").select_option(label="Active")
        office.get_by_label("Parts", exact=True).check()
        office.get_by_label(re.compile("^Response time promised")).fill("8")
        for plotter in plotters:
            expect(office.get_by_label(re.compile(f"SN {plotter.serial_number}"))).to_be_checked()
        office.get_by_role("button", name="Create contract").click()

        heading = office.get_by_role("heading", level=1)
        expect(heading).to_contain_text(f"Contract {NUMBER}")
        expect(heading.locator(".badge")).to_have_text("Active")
        expect(office.locator(".flash-success")).to_contain_text(f"Contract {NUMBER} saved.")
        expect(office.locator(".contract-stats")).to_contain_text("$4,800.00")
        expect(office.get_by_role("heading", name="Plotters (2)")).to_be_visible()

        # The PM plan: every 12,000 sq ft for both plotters, the job made 14 days ahead.
        office.get_by_role("link", name="Add PM plan").click()
        expect(office.get_by_role("heading", name="New PM plan")).to_be_visible()
        for plotter in plotters:
            expect(office.get_by_label(re.compile(f"SN {plotter.serial_number}"))).to_be_checked()
        office.get_by_label(re.compile("^Every … on the meter")).fill(str(EVERY))
        office.get_by_label("Make the job … days ahead").fill("14")
        office.get_by_role("button", name="Add plan").click()

        expect(office.locator(".flash-success")).to_contain_text("added for 2 plotters")
        plans = office.locator("section[aria-labelledby='plans-h'] tbody tr[data-plan]")
        expect(plans).to_have_count(2)
        for index, plotter in enumerate(plotters):
            row = plans.nth(index)
            expect(row).to_contain_text(plotter.serial_number)
            expect(row).to_contain_text("Every 12,000 sq ft")
            expect(row.locator("[data-label='Next due']")).to_have_text(
                f"{local_date(due_on)} by meter"
            )

        # The planner (the worker runs it daily): both plans fall due within their lead time.
        assert "2 jobs made" in run_planner(live_server.app)
        jobs = pm_jobs()
        assert len(jobs) == 2
        job_of = {job.equipment_id: job for job in jobs}
        assert set(job_of) == {plotter.id for plotter in plotters}

        office.goto(f"{live_server.url}/pm/forecast")
        expect(office.get_by_role("heading", name="PM forecast")).to_be_visible()
        rows = office.locator("tr[data-plan]")
        expect(rows).to_have_count(2)
        for plotter in plotters:
            row = rows.filter(has=office.get_by_role("link", name=plotter.display_name, exact=True))
            expect(row).to_have_count(1)
            expect(row.locator("[data-label='Job']")).to_contain_text(job_of[plotter.id].number)
            expect(row.locator("[data-label='Job']")).to_contain_text(re.compile(r"J-\d+"))
            expect(row.locator("[data-label='By']")).to_contain_text("Meter")
            expect(row.locator("[data-label='Due']")).to_contain_text(
                local_date(due_on, "%a %b %d")
            )

        office.goto(f"{live_server.url}/jobs")
        new = office.locator(".board-col-new")
        for plotter in plotters:
            card = new.locator(f'[data-job="{job_of[plotter.id].number}"]')
            expect(card).to_contain_text("Preventive maintenance due")
            expect(card).to_contain_text(plotter.display_name)
            expect(card).to_contain_text(f"Due at {latest[plotter.id] + EVERY:,} sq ft")
        expect(new.locator(".job-card", has_text="Preventive maintenance due")).to_have_count(2)

        plotter = plotters[0]
        office.goto(f"{live_server.url}/e/{plotter.qr_token}")
        coverage = office.locator("[data-coverage]")
        expect(coverage).to_contain_text(f"Under contract until {local_date(ends_on)}")
        expect(coverage).to_contain_text("Parts covered")
        expect(coverage).to_contain_text("On site within 8 h")
        pm = office.locator("section[aria-labelledby='pm-h']")
        expect(pm.get_by_role("heading", name="Preventive maintenance")).to_be_visible()
        expect(pm.locator("li[data-plan]")).to_have_count(1)
        expect(pm).to_contain_text("Every 12,000 sq ft")
        expect(pm).to_contain_text(f"Next due {local_date(due_on)}")
        expect(pm).to_contain_text(f"by meter ({latest[plotter.id] + EVERY:,} sq ft)")
        expect(pm).to_contain_text(NUMBER)
    finally:
        office_context.close()

    # The database: one preventive job per plan, the contract covering both plotters.
    jobs = pm_jobs()
    contract = db.session.scalar(sa.select(Contract).where(Contract.number == NUMBER))
    assert contract.state == "active" and contract.covers_parts
    assert contract.price_cents_per_year == 480_000 and contract.response_hours == 8
    assert sorted(plotter.id for plotter in contract.plotters) == sorted(p.id for p in plotters)
    assert len(jobs) == 2
    assert all(job.pm_plan_id is not None and job.pm_due_on == due_on for job in jobs)
    assert all(job.contract_id == contract.id and job.status == "new" for job in jobs)
    assert sorted(job.equipment_id for job in jobs) == sorted(p.id for p in plotters)
    assert len({job.pm_plan_id for job in jobs}) == 2

    # A second run finds both plans' jobs made already.
    assert "0 jobs made" in run_planner(live_server.app)
    assert [job.id for job in pm_jobs()] == [job.id for job in jobs]
