"""POST /api/v1/visits: a complete visit, idempotent, and refused whole when invalid."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import StockLevel, StockMovement
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from fieldapp.visits.models import StepResult, Visit, VisitErrorCode
from tests import factories
from tests.scenarios import complete_visit


def level(part, location) -> int:
    return db.session.scalar(
        sa.select(StockLevel.quantity).where(
            StockLevel.part_id == part.id, StockLevel.location_id == location.id
        )
    )


def counts() -> dict:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Visit, StepResult, StockMovement, MeterReading, VisitErrorCode, Job)
    }


@pytest.fixture
def tech_client(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


def test_complete_visit_is_recorded_with_everything(tech_client, site):
    payload = complete_visit(site)
    response = tech_client.post("/api/v1/visits", json=payload)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["duplicate"] is False and body["job_status"] == "done"
    visit = db.session.get(Visit, uuid.UUID(payload["id"]))
    assert visit.status == "finished" and visit.tech_id == site.tech.id
    assert visit.sop_version_id == site.version.id and visit.signoff_name == "Dana Ruiz"
    assert [code.code for code in visit.error_codes] == ["86:01"]
    results = {r.step_id: r for r in visit.step_results}
    assert results[site.version.steps[2].id].value == 3.2
    assert all(r.by_id == site.tech.id for r in results.values())
    assert level(site.belt, site.van) == 2 and level(site.head, site.warehouse) == 4
    meter = db.session.scalar(sa.select(MeterReading).where(MeterReading.visit_id == visit.id))
    assert meter.value == 182340
    db.session.refresh(site.job)
    assert site.job.status == "done" and site.job.closed_at is not None
    verbs = set(db.session.scalars(sa.select(ActivityEvent.verb)))
    assert {"visit.logged", "job.status", "part.used"} <= verbs


def test_same_visit_twice_is_one_visit_and_one_set_of_movements(tech_client, site):
    """Does posting the same visit id again change nothing?"""
    payload = complete_visit(site)
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    before = counts()
    again = tech_client.post("/api/v1/visits", json=payload)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert counts() == before
    assert level(site.belt, site.van) == 2


def refused(client, payload, field_prefix):
    before = counts()
    response = client.post("/api/v1/visits", json=payload)
    assert response.status_code == 422, response.json
    fields = response.json["error"]["fields"]
    assert any(name.startswith(field_prefix) for name in fields), fields
    assert counts() == before
    return fields


def test_unknown_plotter_is_refused(tech_client, site):
    refused(tech_client, complete_visit(site, equipment="ZZZZZZZZ"), "equipment")


def test_missing_required_step_is_refused_and_named(tech_client, site):
    payload = complete_visit(site)
    payload["steps"] = payload["steps"][1:]
    fields = refused(tech_client, payload, "steps")
    assert "1. Read the history" in fields["steps"][0]


def test_negative_quantity_is_refused(tech_client, site):
    payload = complete_visit(site)
    payload["parts"][0]["quantity"] = -2
    refused(tech_client, payload, "parts")
    assert level(site.belt, site.van) == 3


def test_unknown_part_is_refused(tech_client, site):
    payload = complete_visit(site)
    payload["parts"][1]["sku"] = "NOPE-123"
    fields = refused(tech_client, payload, "parts.1.sku")
    assert "NOPE-123" in fields["parts.1.sku"][0]
    assert level(site.belt, site.van) == 3


def test_someone_elses_tech_id_is_refused(tech_client, site):
    """Can a tech record a visit as another tech by naming them?"""
    other = factories.make_user("tech")
    refused(tech_client, complete_visit(site, tech=other.id), "tech")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "exploded"}, "outcome"),
        ({"finished_at": "2020-01-01T00:00:00Z"}, "finished_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-11-27T10:00:00"}, "started_at"),  # no time zone
        ({"job": "J-999999"}, "job"),
        ({"photos": ["6f1c1a52-0000-4000-8000-000000000000"]}, "photos"),
    ],
)
def test_other_invalid_visits(tech_client, site, change, field):
    refused(tech_client, complete_visit(site, **change), field)


def test_step_status_must_fit_its_kind(tech_client, site):
    payload = complete_visit(site)
    payload["steps"][0]["status"] = "pass"  # a check step is done, not passed
    payload["steps"][2]["value"] = None  # a measure needs its value
    fields = refused(tech_client, payload, "steps")
    assert "steps.0.status" in fields and "steps.2.value" in fields


def test_lower_meter_reading_needs_a_note(tech_client, site):
    first = complete_visit(site, meter_reading=200_000)
    assert tech_client.post("/api/v1/visits", json=first).status_code == 201
    lower = complete_visit(site, meter_reading=150_000, job=None)
    fields = refused(tech_client, lower, "meter_note")
    assert "200,000" in fields["meter_note"][0]
    lower["meter_note"] = "Counter reset after formatter swap"
    assert tech_client.post("/api/v1/visits", json=lower).status_code == 201


def test_failed_step_raises_a_follow_up_job(tech_client, site):
    payload = complete_visit(site, outcome="needs_followup")
    payload["steps"][1] = {
        "step": site.version.steps[1].id,
        "status": "fail",
        "note": "Banding in cyan",
        "follow_up": True,
    }
    response = tech_client.post("/api/v1/visits", json=payload)
    assert response.status_code == 201
    [number] = response.json["follow_up_jobs"]
    follow_up = db.session.scalar(sa.select(Job).where(Job.source == "follow_up"))
    assert follow_up.number == number and follow_up.equipment_id == site.plotter.id
    assert "Test print before" in follow_up.problem and "Banding in cyan" in follow_up.problem
    db.session.refresh(site.job)
    assert site.job.status == "new"  # needs follow-up: back to the office


def test_stock_may_go_negative_and_is_flagged(tech_client, site):
    """Is using more than the van holds accepted, and the negative level flagged?"""
    payload = complete_visit(site)
    payload["parts"] = [{"sku": "CR357-67010", "quantity": 5, "from": "van"}]
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    assert level(site.belt, site.van) == -2
    event = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "stock.negative")
    )
    assert "now shows -2" in event.summary


def test_visit_on_a_cancelled_job_is_kept(tech_client, site):
    """Is the tech's visit kept when the office cancelled the job meanwhile?"""
    site.job.status = "cancelled"
    db.session.commit()
    response = tech_client.post("/api/v1/visits", json=complete_visit(site))
    assert response.status_code == 201
    assert "cancelled" in response.json["job_note"]
    db.session.refresh(site.job)
    assert site.job.status == "cancelled"


def test_photos_and_signature_attach_to_the_visit(tech_client, site):
    photo_id, signature_id = uuid.uuid4(), uuid.uuid4()
    assert (
        tech_client.put(
            f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes(), content_type="image/jpeg"
        ).status_code
        == 201
    )
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(png, "PNG")
    assert (
        tech_client.put(
            f"/api/v1/photos/{signature_id}?kind=signature",
            data=png.getvalue(),
            content_type="image/png",
        ).status_code
        == 201
    )
    payload = complete_visit(
        site, photos=[str(photo_id)], signoff={"name": "Dana Ruiz", "signature": str(signature_id)}
    )
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    photos = {p.id: p for p in db.session.scalars(sa.select(Photo))}
    assert photos[photo_id].visit_id == uuid.UUID(payload["id"])
    assert photos[signature_id].visit_id == uuid.UUID(payload["id"])
    assert photos[signature_id].kind == "signature"


def test_office_cannot_post_visits(client, site):
    office = factories.make_user("office")
    client.post("/login", data={"email": office.email, "password": factories.PASSWORD})
    assert client.post("/api/v1/visits", json=complete_visit(site)).status_code == 403


def test_malformed_body_is_a_400(tech_client, site):
    response = tech_client.post("/api/v1/visits", data="{", content_type="application/json")
    assert response.status_code == 400


def test_a_tech_cannot_close_another_techs_job(client, site):
    """A visit naming another tech's job, outcome fixed: refused, the job left as it was?"""
    priya = factories.make_user("tech", name="Priya Natarajan")
    client.post("/login", data={"email": priya.email, "password": factories.PASSWORD})
    response = client.post("/api/v1/visits", json=complete_visit(site, parts=[]))
    assert response.status_code == 422
    assert "assigned to" in response.json["error"]["fields"]["job"][0]
    db.session.refresh(site.job)
    assert site.job.status == "scheduled" and counts()["Visit"] == 0


def test_a_tech_cannot_start_a_visit_on_another_techs_job(client, site):
    """Through the outbox: does visit.start on another tech's job leave the job alone?"""
    priya = factories.make_user("tech")
    client.post("/login", data={"email": priya.email, "password": factories.PASSWORD})
    start = {
        "id": str(uuid.uuid4()),
        "equipment": site.plotter.qr_token,
        "job": site.job.number,
        "started_at": "2026-11-27T14:00:00+00:00",
    }
    ops = {"ops": [{"id": str(uuid.uuid4()), "type": "visit.start", "payload": start}]}
    result = client.post("/api/v1/sync", json=ops).json["results"][0]
    assert result["status"] == "rejected" and "not to you" in result["reason"]
    db.session.refresh(site.job)
    assert site.job.status == "scheduled" and counts()["Visit"] == 0


def test_a_tech_takes_an_open_job_nobody_has(tech_client, site):
    """An unassigned job on this plotter: starting work on it makes it the tech's."""
    job = factories.make_job(equipment=site.plotter, status="new", scheduled_for=None)
    response = tech_client.post("/api/v1/visits", json=complete_visit(site, job=job.number))
    assert response.status_code == 201, response.json
    db.session.refresh(job)
    assert job.assigned_to_id == site.tech.id and job.status == "done"
