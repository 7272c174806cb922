"""The office plans jobs on the schedule with the mouse (drag to a tech and a time) and with
the keyboard (the plan form), and the tech's Today follows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from tests import factories
from tests.e2e.browser import sign_in

DESKTOP = {"width": 1366, "height": 900}
CHICAGO = ZoneInfo("America/Chicago")


def test_the_office_plans_by_drag_and_by_keyboard_and_today_follows(live_server, browser, context):
    office_user = factories.make_user("office", name="Maria Chen")
    sam = factories.make_user("tech", name="Sam Okafor")
    factories.make_user("tech", name="Ines Duarte")
    dragged = factories.make_job(
        factories.make_customer(name="Lakeshore Reprographics"),
        scheduled_for=None,
        problem="Banding on every print",
    )
    typed = factories.make_job(
        factories.make_customer(name="Halvorsen Kline Architects"),
        scheduled_for=None,
        kind="preventive",
        problem="Quarterly maintenance",
    )
    today = datetime.now(CHICAGO).date()
    day = today + timedelta(days=(1 - today.weekday()) % 7 + 7)  # a Tuesday ahead

    office_context = browser.new_context(viewport=DESKTOP)
    office_context.set_default_timeout(30_000)
    office = office_context.new_page()
    phone = context.new_page()
    try:
        sign_in(office, live_server.url, office_user.email, factories.PASSWORD)
        office.goto(f"{live_server.url}/schedule?date={day.isoformat()}")
        waiting = office.locator(".schedule-waiting")
        expect(waiting).to_contain_text(dragged.number)
        expect(waiting).to_contain_text(typed.number)

        # The mouse: drag the job onto Sam's lane a third of the way along (08:00 + 3 h).
        lane = office.locator(f'.lane-track[data-tech="{sam.id}"]')
        box = lane.bounding_box()
        office.locator(f'.schedule-waiting [data-job="{dragged.id}"]').drag_to(
            lane, target_position={"x": box["width"] / 3, "y": box["height"] / 2}
        )
        planned = lane.locator(f'[data-job="{dragged.id}"]')
        expect(planned).to_contain_text("11:00–13:00")
        expect(waiting).not_to_contain_text(dragged.number)

        # The keyboard: open the other job from the waiting list and plan it with the form.
        office.locator(f'.schedule-waiting [data-job="{typed.id}"]').focus()
        office.keyboard.press("Enter")
        expect(office.get_by_role("heading", name=f"Plan {typed.number}")).to_be_visible()
        office.get_by_label("Technician").select_option(label="Sam Okafor")
        office.get_by_label("Start").fill(f"{day.isoformat()}T11:30")
        office.get_by_label("Arrival window").select_option(label="1 hour")
        office.get_by_role("button", name="Save the plan").click()
        expect(office.locator(".flash-success")).to_contain_text(f"{typed.number} is planned")
        both = lane.locator(".plan-chip")
        expect(both).to_have_count(2)
        # A preventive visit is planned for 90 minutes: 11:30 overlaps the 11:00 repair.
        expect(lane.locator(f'[data-job="{typed.id}"]')).to_contain_text(
            f"Overlaps {dragged.number}"
        )

        with live_server.app.app_context():
            jobs = {job.id: job for job in db.session.query(Job).all()}
            assert jobs[dragged.id].assigned_to_id == sam.id
            start = jobs[dragged.id].scheduled_for.astimezone(CHICAGO)
            assert (start.date(), start.hour, start.minute) == (day, 11, 0)
            assert jobs[typed.id].arrival_window_minutes == 60

        # Sam's Today shows both, with the day and the arrival window.
        sign_in(phone, live_server.url, sam.email, factories.PASSWORD)
        first = phone.locator(f'article[data-job="{dragged.number}"]')
        expect(first).to_contain_text("Banding on every print")
        expect(first.locator("[data-planned]")).to_have_text(re.compile(r"11:00$"))
        second = phone.locator(f'article[data-job="{typed.number}"] [data-planned]')
        expect(second).to_have_text(re.compile(r"11:30–12:30$"))
    finally:
        office_context.close()
