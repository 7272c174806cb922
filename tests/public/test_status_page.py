"""A requester follows their service request on /r/<token>: the link the confirmation gives
(a long random token, not the reference) shows where the request stands, from received to
done with the report to download, and nothing else; it stops working 90 days after the job
closes, and an unknown link shows nothing at all."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.services import schedule_job
from fieldapp.public.models import ServiceRequest
from fieldapp.public.services import convert_request, dismiss_request
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.pdf import pdf_text

PROBLEM = "Stopped mid-job with EC03-2F21 on the screen; secret room code 4471."


@pytest.fixture
def plotter(app):
    return factories.make_equipment(
        factories.make_customer(name="Riverwalk Print & Copy"), model="imagePROGRAF TM-300"
    )


def send(client, plotter) -> tuple[ServiceRequest, str]:
    """Send a request from the label's public page; the confirmation's status link."""
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={"name": "Carlos Mendez", "phone": "+1 (630) 555-0114", "problem": PROBLEM},
    )
    assert response.status_code == 302
    confirmation = client.get(response.location).get_data(as_text=True)
    link = re.search(r'href="(/r/[^"]+)" data-status-link', confirmation)
    assert link, "the confirmation links to the status page"
    return db.session.scalar(sa.select(ServiceRequest)), link[1]


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    main = html[html.index("<main") :]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def test_the_link_is_a_long_secret_not_the_reference(client, plotter):
    sent, link = send(client, plotter)
    token = link.removeprefix("/r/")
    assert len(token) == 43 and sent.reference not in token and token == sent.status_token
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]


def test_the_page_follows_the_request_from_received_to_done(client, plotter):
    sent, link = send(client, plotter)
    received = text_of(client.get(link))
    assert f"Request {sent.reference}" in received
    assert "Received: we are planning the visit" in received
    # Nothing of the request but its state: not the problem, the caller or the customer.
    for private in ("EC03-2F21", "4471", "Carlos", "555-0114", "Riverwalk"):
        assert private not in received, private

    tech = factories.make_user("tech", name="Priya Natarajan")
    office = factories.make_user("office")
    start = (utcnow() + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
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
    scheduled = text_of(client.get(link))
    assert "Visit scheduled" in scheduled and "your technician is Priya" in scheduled
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", scheduled)  # the arrival window
    assert "Natarajan" not in scheduled

    visit = factories.make_visit(plotter, tech, job=job)
    visit.status, visit.finished_at, visit.outcome = "in_progress", None, None
    job.status = "in_progress"
    db.session.commit()
    assert "The technician is working on it" in text_of(client.get(link))
    assert "Priya is at the plotter" in text_of(client.get(link))

    visit.status, visit.finished_at, visit.outcome = "finished", utcnow(), "fixed"
    visit.summary = "Replaced the cutter; test cuts clean."
    job.status, job.closed_at = "done", utcnow()
    db.session.commit()
    done = client.get(link)
    assert "Done" in text_of(done)
    report = re.search(r'href="([^"]+)" data-report-link', done.get_data(as_text=True))[1]
    assert report == f"{link}/report.pdf"
    pdf = client.get(report)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    text, _ = pdf_text(pdf.data)
    assert "Replaced the cutter; test cuts clean." in " ".join(text.split())


def test_the_link_stops_working_90_days_after_the_job_closes(client, plotter):
    sent, link = send(client, plotter)
    office = factories.make_user("office")
    with unit_of_work():
        job = convert_request(sent, actor_id=office.id)
    job.status, job.closed_at = "done", utcnow() - timedelta(days=89)
    db.session.commit()
    assert client.get(link).status_code == 200
    job.closed_at = utcnow() - timedelta(days=91)
    db.session.commit()
    gone = client.get(link)
    assert gone.status_code == 404
    assert "This link doesn't work" in text_of(gone)
    assert sent.reference not in text_of(gone)
    assert client.get(f"{link}/report.pdf").status_code == 404


def test_a_dismissed_request_shows_closed_then_expires(client, plotter):
    sent, link = send(client, plotter)
    office = factories.make_user("office")
    with unit_of_work():
        dismiss_request(sent, "Duplicate of a phoned-in job", actor_id=office.id)
    closed = text_of(client.get(link))
    assert "Closed" in closed and "Duplicate" not in closed  # the office's reason is its own
    sent.handled_at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert client.get(link).status_code == 404


@pytest.mark.parametrize(
    "token",
    ["nope", "A" * 43, "R-00001", "%00" * 20, "x" * 500],
)
def test_an_unknown_link_shows_nothing(client, plotter, token):
    send(client, plotter)
    page = client.get(f"/r/{token}")
    assert page.status_code == 404
    assert "This link doesn't work" in text_of(page)
    assert client.get(f"/r/{token}/report.pdf").status_code == 404


def test_the_report_is_not_offered_before_the_work_is_done(client, plotter):
    _, link = send(client, plotter)
    assert client.get(f"{link}/report.pdf").status_code == 404
