"""In the van with no signal, the tech taps "On my way" on Today: the button says so at once,
the tap waits in the phone's outbox, and when the signal is back the job shows it, the
customer's status page says the tech is on the way and their email is queued, once."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.notify.models import OutboxMail
from fieldapp.public.models import ServiceRequest
from tests import factories
from tests.e2e.browser import sign_in
from tests.e2e.test_accessibility import check_page


def test_on_my_way_offline_reaches_the_customer_once_back_online(phone, live_server, day):
    job = day["job"]
    customer = job.customer
    customer.email = "dana.ruiz@halvorsen.example"
    job.scheduled_for = utcnow().replace(second=0, microsecond=0)  # today's visit
    asked = ServiceRequest(
        reference="SR-WAY", equipment_id=job.equipment_id, name="Dana", phone="555", problem="86:01"
    )
    asked.job_id, asked.status = job.id, "converted"
    db.session.add(asked)
    db.session.commit()

    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.ready_for_offline("/")
    card = page.locator(f'[data-job="{job.number}"]')
    expect(card.get_by_role("button", name="On my way")).to_be_visible()
    assert check_page(page, "Today, before On my way") == []

    phone.offline()
    card.get_by_role("button", name="On my way").click()
    expect(card.locator("[data-on-the-way-sent]")).to_contain_text("On the way since")
    expect(phone.status()).to_contain_text("waiting to sync")
    db.session.expire_all()
    assert db.session.get(Job, job.id).on_the_way_at is None  # nothing reached the server

    phone.offline(False)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    db.session.expire_all()
    assert db.session.get(Job, job.id).on_the_way_at is not None
    told = list(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.topic == "on_the_way")))
    assert [m.to for m in told] == ["dana.ruiz@halvorsen.example"]

    # After a reload the server draws the same state, and a second tap is not offered.
    page.reload()
    expect(card.locator("[data-on-the-way-sent]")).to_contain_text("On the way since")
    expect(card.get_by_role("button", name="On my way")).to_have_count(0)
    status = page.context.new_page()
    status.goto(f"{live_server.url}/r/{asked.status_token}")
    expect(status.locator("[data-stage-title]")).to_have_text("Your technician is on the way")
    expect(status.locator('[aria-current="step"]')).to_have_text("On the way")
    status.close()
