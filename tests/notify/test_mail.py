"""Email through a real SMTP server: each event's message is queued in the event's own
transaction and sent once by the worker (`flask mail send-queued`), to the right person, with
the reference, the status link or the report PDF; a server that is down delays mail and never
fails the request, and a server that refuses a message leaves its answer on the Outbox page."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldapp.customers.models import Contact, Site
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.services import schedule_job
from fieldapp.localtime import company_zone
from fieldapp.notify.models import OutboxMail
from fieldapp.notify.sender import BACKOFF, STALE_SENDING, send_queued
from fieldapp.public.models import ServiceRequest
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.mail import body_of
from tests.pdf import pdf_text
from tests.scenarios import complete_visit, make_site

CONTACT = "dana.ruiz@halvorsen.example"
PROBLEM = "Stopped mid-job with EC03-2F21 on the screen"


def mails() -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


def request_service(client, plotter, email="carlos@riverwalk.example"):
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Carlos Mendez",
            "phone": "" if email else "630 555 0114",
            "email": email,
            "problem": PROBLEM,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(ServiceRequest).order_by(ServiceRequest.id.desc()))


@pytest.fixture
def plotter(app):
    return factories.make_equipment(
        factories.make_customer(name="Riverwalk Print & Copy"), model="imagePROGRAF TM-300"
    )


@pytest.fixture
def on_site(app):
    """make_site's tech and plotter, its customer's contact reachable by email."""
    site = make_site()
    customer = site.plotter.customer
    customer.contact_name, customer.email = "Dana Ruiz", CONTACT
    db.session.commit()
    return site


def schedule(job, tech, *, days=2, window=120):
    start = (utcnow() + timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)
    with unit_of_work():
        schedule_job(
            job,
            tech_id=tech.id,
            start=start,
            duration_minutes=None,
            arrival_window_minutes=window,
            actor_id=None,
        )
    return start


def test_a_request_mails_the_requester_and_the_office_once(client, smtp, plotter):
    office = factories.make_user("office", email="olivia@precision.example")
    sent = request_service(client, plotter)
    assert {m.to for m in mails()} == {"carlos@riverwalk.example", office.email}
    assert smtp.messages == []  # queued with the request, sent by the worker

    result = send_queued()
    assert result.sent == 2
    [requester] = smtp.to("carlos@riverwalk.example")
    assert sent.reference in requester["Subject"]
    assert "received" in requester["Subject"].lower()
    assert requester["From"] == "Precision Plotter Service <office@precision.example>"
    text, html = body_of(requester), body_of(requester, "html")
    assert f"http://fieldapp.test/r/{sent.status_token}" in text
    status_link = f'<a href="http://fieldapp.test/r/{sent.status_token}"'
    assert f"Your reference is {sent.reference}." in text
    assert f"Your reference is {status_link}" in html  # the reference links to the status
    assert "What happens next" in text and PROBLEM in text
    assert "/unsubscribe/" in text and requester["List-Unsubscribe"].strip().startswith("<http://")
    [told] = smtp.to(office.email)
    assert sent.reference in told["Subject"] and "Riverwalk Print & Copy" in told["Subject"]
    assert "http://fieldapp.test/requests" in body_of(told)

    assert send_queued().handled == 0
    assert len(smtp.messages) == 2
    assert {m.state for m in mails()} == {"sent"}


def test_a_request_without_an_email_tells_only_the_office(client, smtp, plotter):
    factories.make_user("office")
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={"name": "Carlos", "phone": "630 555 0114", "problem": PROBLEM},
    )
    assert response.status_code == 302
    assert [m.topic for m in mails()] == ["new_request"]


def test_the_site_contact_hears_of_the_schedule_the_way_and_the_report(client, smtp, on_site):
    site = on_site
    start = schedule(site.job, site.tech)
    send_queued()
    [scheduled] = smtp.to(CONTACT)
    assert site.job.number in scheduled["Subject"] and "scheduled" in scheduled["Subject"]
    text = body_of(scheduled)
    assert "Technician: Sam\n" in text  # the first name only
    window = f"{start.astimezone(company_zone()):%H:%M}"
    assert window in text and "(the tech arrives within this window)" in text

    # A new time tells them; moved back, they are told again; the same plan, never twice.
    schedule(site.job, site.tech, days=3)
    schedule(site.job, site.tech, days=3, window=60)
    schedule(site.job, site.tech, days=3, window=60)
    schedule(site.job, site.tech, days=2)
    send_queued()
    whens = [body_of(m).split("When: ")[1].split("\n")[0] for m in smtp.to(CONTACT)]
    assert len(whens) == 4 and whens[3] == whens[0] and len(set(whens)) == 3
    with unit_of_work():  # a duration changed alone: the customer's day and window did not
        schedule_job(
            site.job,
            tech_id=site.tech.id,
            start=site.job.scheduled_for,
            duration_minutes=180,
            arrival_window_minutes=120,
            actor_id=None,
        )
    assert len(mails()) == 4

    # Today's visit (planned for now): "On my way", tapped twice, tells them once.
    with unit_of_work():
        site.job.scheduled_for = utcnow().replace(microsecond=0)
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    assert client.post(f"/jobs/{site.job.id}/on-the-way").status_code == 302
    assert client.post(f"/jobs/{site.job.id}/on-the-way").status_code == 302  # a second tap
    send_queued()
    way = smtp.to(CONTACT)[4:]
    assert [m["Subject"] for m in way] == [f"Sam is on the way [{site.job.number}]"]
    assert "Sam, your technician, is on the way" in body_of(way[0])

    payload = complete_visit(site)
    assert client.post("/api/v1/visits", json=payload).status_code == 201
    assert smtp.to(CONTACT)[5:] == []
    send_queued()
    [report] = smtp.to(CONTACT)[5:]
    assert report["Subject"] == f"Service report: HP DesignJet T830 [{site.job.number}]"
    assert "signed off by Dana Ruiz" in body_of(report)
    [pdf] = list(report.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename().startswith("service-report-")
    text, _ = pdf_text(pdf.get_content())
    assert "Replaced carriage belt" in text
    assert "CR357-67010" in text and "F9J81A" in text
    assert send_queued().handled == 0


def test_a_job_moved_to_another_tech_on_the_schedule_page_names_the_new_tech(
    client, auth, smtp, on_site
):
    site = on_site
    priya = factories.make_user("tech", name="Priya Natarajan")
    auth.login("office")
    for tech, day in ((site.tech, "2"), (priya, "2")):  # the same time, another tech
        when = (utcnow() + timedelta(days=int(day))).astimezone(company_zone())
        response = client.post(
            f"/jobs/{site.job.id}/schedule",
            data={
                "tech": str(tech.id),
                "scheduled_for": when.strftime("%Y-%m-%dT10:00"),
                "duration": "",
                "arrival_window": "60",
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    send_queued()
    technicians = [body_of(m).split("Technician: ")[1].split("\n")[0] for m in smtp.messages]
    assert technicians == ["Sam", "Priya"]


def test_the_site_contact_is_the_one_mailed_and_an_opted_out_customer_is_not(
    client, smtp, on_site, auth
):
    site = on_site
    place = Site(customer_id=site.plotter.customer_id, name="Plant 2")
    db.session.add(place)
    db.session.flush()
    db.session.add(
        Contact(
            customer_id=place.customer_id,
            site_id=place.id,
            name="Lee Park",
            email="lee@halvorsen.example",
            is_site_contact=True,
        )
    )
    site.plotter.site_id = place.id
    db.session.commit()
    schedule(site.job, site.tech)
    assert [m.to for m in mails()] == ["lee@halvorsen.example"]

    auth.login("office")
    path = f"/customers/{site.plotter.customer_id}/contact-mail"
    client.post(path, data={"on": "maybe"})  # not a choice: refused, nothing changes
    db.session.expire_all()
    assert site.plotter.customer.mail_contacts is True
    response = client.post(path, data={"on": "0"})
    assert response.status_code == 302
    assert "Visit emails:</strong> off." in client.get(response.location).get_data(as_text=True)
    schedule(site.job, site.tech, days=4)
    assert len(mails()) == 1


def test_the_server_down_keeps_mail_queued_and_sends_it_once_when_back(client, smtp, plotter):
    smtp.stop()
    sent = request_service(client, plotter)  # the request itself never waits on the server
    assert client.get(f"/r/{sent.status_token}").status_code == 200
    result = send_queued()
    assert result.retrying == 1 and result.sent == 0
    [waiting] = mails()
    assert waiting.state == "queued" and waiting.attempts == 1
    assert "ConnectionRefusedError" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + BACKOFF[0] - timedelta(seconds=5)
    assert send_queued().handled == 0  # not due again yet

    smtp.start()
    assert send_queued(now=utcnow() + BACKOFF[0] + timedelta(seconds=1)).sent == 1
    assert send_queued(now=utcnow() + timedelta(days=1)).handled == 0
    assert len(smtp.to("carlos@riverwalk.example")) == 1
    [done] = mails()
    assert done.state == "sent" and done.attempts == 2 and done.last_error == ""


def test_a_refused_address_fails_with_the_servers_answer_and_can_be_retried(
    client, smtp, plotter, auth
):
    smtp.refuse.add("carlos@riverwalk.example")
    request_service(client, plotter)
    assert send_queued().failed == 1
    [failed] = mails()
    assert failed.state == "failed" and failed.last_error.startswith("550 5.1.1")

    auth.login("office")
    page = client.get("/outbox?tab=failed").get_data(as_text=True)
    assert "Last try: 550 5.1.1" in page and "carlos@riverwalk.example" in page
    assert failed.unsubscribe_token not in page  # the recipient's own link, not the office's
    assert client.post(f"/outbox/{failed.id}/retry").status_code == 302
    smtp.refuse.clear()
    assert send_queued().sent == 1
    assert len(smtp.to("carlos@riverwalk.example")) == 1


def test_the_office_hears_of_a_refused_visit_and_of_negative_stock(client, smtp, on_site):
    site = on_site
    office = factories.make_user("office", email="olivia@precision.example")
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    bad = complete_visit(site, outcome="teleported")
    op = {"id": str(uuid.uuid4()), "type": "visit.record", "payload": bad}
    answer = client.post("/api/v1/sync", json={"ops": [op]}).get_json()
    assert answer["results"][0]["status"] == "rejected"
    client.post("/api/v1/sync", json={"ops": [op]})  # the phone tries the same op again
    empty = complete_visit(site, parts=[{"sku": "CR357-67010", "quantity": 5, "from": "van"}])
    assert client.post("/api/v1/visits", json=empty).status_code == 201
    send_queued()
    subjects = sorted(m["Subject"] for m in smtp.to(office.email))
    assert subjects == ["A visit from a tech's phone was refused", "Stock went below zero"]
    refused = next(m for m in smtp.to(office.email) if "refused" in m["Subject"])
    assert "Sam Okafor's phone sent a visit the server refused" in body_of(refused)


def test_mail_is_claimed_once_and_a_dead_workers_mail_is_sent_later(client, smtp, plotter):
    request_service(client, plotter)
    [queued] = mails()
    with unit_of_work():  # a worker took it and died before it could send
        queued.state, queued.next_attempt_at = "sending", utcnow()
    assert send_queued().handled == 0  # another worker leaves it alone for now
    assert send_queued(now=utcnow() + STALE_SENDING + timedelta(minutes=1)).sent == 1
    assert len(smtp.messages) == 1


def test_an_address_that_unsubscribes_after_queueing_gets_nothing(client, smtp, plotter):
    request_service(client, plotter)
    request_service(client, plotter)
    send_queued()
    first = smtp.to("carlos@riverwalk.example")[0]
    path = re.search(r"http://fieldapp\.test(/unsubscribe/\S+)", body_of(first))[1]
    request_service(client, plotter)  # queued before the click
    client.post(path)
    assert send_queued().sent == 0
    assert len(smtp.to("carlos@riverwalk.example")) == 2
    assert mails()[-1].state == "skipped"


def test_without_an_smtp_host_mail_is_logged_and_kept(app, client, smtp, plotter, caplog):
    app.config["MAIL_SERVER"] = ""
    request_service(client, plotter)
    with caplog.at_level("INFO", logger="fieldapp.mail"):
        assert send_queued().logged == 1
    assert "carlos@riverwalk.example" in caplog.text and PROBLEM in caplog.text
    assert smtp.messages == []
    assert [m.state for m in mails()] == ["logged"]


def test_the_worker_command(runner, client, smtp, plotter):
    request_service(client, plotter)
    result = runner.invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 logged, 0 to retry, 0 failed" in result.output
    assert len(smtp.messages) == 1
    assert "0 sent" in runner.invoke(args=["mail", "send-queued"]).output


def test_the_outbox_is_the_offices(client, auth, plotter):
    request_service(client, plotter)
    auth.login("tech")
    assert client.get("/outbox").status_code == 403
    client.post("/logout")
    assert client.get("/outbox").status_code == 302
    auth.login("office")
    page = client.get("/outbox").get_data(as_text=True)
    assert "We received your service request" in page and "Queued" in page
    assert re.search(r"Waiting <span class=\"tab-count\">1</span>", page)
