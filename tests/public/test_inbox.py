"""The service-request inbox: a request becomes a job in one step, or is dismissed with a reason."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from fieldapp.public.models import ServiceRequest
from tests import factories


@pytest.fixture
def sent(client, app):
    """A request sent from the public page of a plotter's label, with a photo."""
    plotter = factories.make_equipment(
        factories.make_customer(name="Riverwalk Print & Copy"), model="imagePROGRAF TM-300"
    )
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Carlos Mendez",
            "phone": "+1 (630) 555-0114",
            "problem": "Stopped mid-job with EC03-2F21 on the screen.",
            "photo": (io.BytesIO(factories.jpeg_bytes()), "panel.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return db.session.scalar(sa.select(ServiceRequest))


def test_a_converted_request_keeps_its_photo_and_description(client, auth, sent):
    """One step: the job gets the plotter, its customer, the caller and the description; the
    job page shows the request's photo and words."""
    sam = factories.make_user("tech", name="Sam Okafor")
    office = auth.login("office")
    inbox = client.get("/requests").get_data(as_text=True)
    assert sent.reference in inbox and "EC03-2F21" in inbox
    photo = db.session.scalar(sa.select(Photo))
    assert f"/photos/{photo.id}/thumb" in inbox
    response = client.post(
        f"/requests/{sent.id}/convert",
        data={"priority": "high", "tech": str(sam.id), "scheduled_for": "2026-12-01T09:00"},
    )
    job = db.session.scalar(sa.select(Job))
    assert response.status_code == 302 and response.location == f"/jobs/{job.id}"
    assert job.equipment_id == sent.equipment_id and job.customer_id == sent.equipment.customer_id
    assert job.problem == "Stopped mid-job with EC03-2F21 on the screen."
    assert (job.source, job.priority, job.status) == ("qr_request", "high", "scheduled")
    assert (job.caller_name, job.caller_phone) == ("Carlos Mendez", "+1 (630) 555-0114")
    db.session.refresh(sent)
    assert (sent.status, sent.job_id, sent.handled_by_id) == ("converted", job.id, office.id)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f"Service request {sent.reference}" in page
    assert "Stopped mid-job with EC03-2F21 on the screen." in page
    assert f"/photos/{photo.id}/thumb" in page
    verbs = set(db.session.scalars(sa.select(ActivityEvent.verb)))
    assert {"request.received", "job.created", "job.assigned", "request.converted"} <= verbs
    again = client.post(f"/requests/{sent.id}/convert", data={}, follow_redirects=True)
    assert f"was already made into {job.number}" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_dismissing_needs_a_reason(client, auth, sent):
    auth.login("admin")
    response = client.post(
        f"/requests/{sent.id}/dismiss", data={"reason": " "}, follow_redirects=True
    )
    assert "Say why" in response.get_data(as_text=True)
    db.session.refresh(sent)
    assert sent.status == "new"
    client.post(f"/requests/{sent.id}/dismiss", data={"reason": "Duplicate of J-1042"})
    db.session.refresh(sent)
    assert (sent.status, sent.dismissed_reason) == ("dismissed", "Duplicate of J-1042")
    assert "No new requests" in client.get("/requests").get_data(as_text=True)
    dismissed = client.get("/requests?status=dismissed").get_data(as_text=True)
    assert "Duplicate of J-1042" in dismissed


def test_inbox_warns_of_a_job_already_open_on_the_plotter(client, auth, sent):
    open_job = factories.make_job(equipment=sent.equipment, status="scheduled")
    auth.login("office")
    html = client.get("/requests").get_data(as_text=True)
    assert re.search(rf"Already open on this plotter:\s*<a[^>]*>{open_job.number}</a>", html)


def test_techs_and_the_public_cannot_handle_requests(client, auth, sent):
    assert client.get("/requests").status_code == 302
    assert client.post(f"/requests/{sent.id}/convert").status_code == 302
    auth.login("tech")
    assert client.get("/requests").status_code == 403
    assert client.post(f"/requests/{sent.id}/dismiss", data={"reason": "x"}).status_code == 403
    db.session.refresh(sent)
    assert sent.status == "new"
