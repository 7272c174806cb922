"""After a visit: its job follows the outcome, follow-up jobs go to the right person with a
local date, a quick visit where the job allows one, the meter asked once, corrections for a
day that keep the ledger whole, and unfinished visits that can be dropped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import StockLevel, StockMovement
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from fieldapp.settings.services import change_visit_settings, visit_settings
from fieldapp.visits.models import StepResult, Visit
from tests import factories
from tests.scenarios import complete_visit
from tests.sync.test_sync import op, sync


@pytest.fixture
def tech_client(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


def level(part, location) -> int:
    return db.session.scalar(
        sa.select(StockLevel.quantity).where(
            StockLevel.part_id == part.id, StockLevel.location_id == location.id
        )
    )


def record(client, payload) -> dict:
    return sync(client, op("visit.record", payload))[0]


def test_needs_follow_up_sends_the_job_back_to_the_office(tech_client, site):
    """The job goes back to new and to nobody: off the tech's Today, in the office's list."""
    assert (
        record(tech_client, complete_visit(site, outcome="needs_followup"))["status"] == "applied"
    )
    db.session.refresh(site.job)
    assert site.job.status == "new" and site.job.assigned_to_id is None
    today = tech_client.get("/").get_data(as_text=True)
    assert site.job.number not in today


def test_a_follow_up_job_goes_to_the_same_tech_with_a_local_date(app, tech_client, site):
    """A failed step raising a follow-up: the job is the tech's (the default setting), and
    its text dates the visit in the company's zone, not UTC."""
    late = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)  # Nov 27, 22:30 in Chicago
    steps = complete_visit(site)["steps"]
    steps[1] = {"step": site.version.steps[1].id, "status": "fail", "follow_up": True}
    payload = complete_visit(
        site,
        steps=steps,
        started_at=late.isoformat(),
        finished_at=(late + timedelta(hours=1)).isoformat(),
    )
    result = record(tech_client, payload)
    assert result["status"] == "applied", result
    follow_up = db.session.scalar(sa.select(Job).where(Job.source == "follow_up"))
    assert result["data"]["follow_up_jobs"] == [follow_up.number]
    assert follow_up.assigned_to_id == site.tech.id
    assert "the visit of Nov 27, 2026 for J-1001" in follow_up.problem


def test_the_office_can_keep_follow_up_jobs(tech_client, site):
    factories.committed(
        change_visit_settings, procedure_kinds=["repair"], follow_up_to="office", actor_id=None
    )
    steps = complete_visit(site)["steps"]
    steps[1] = {"step": site.version.steps[1].id, "status": "fail", "follow_up": True}
    assert record(tech_client, complete_visit(site, steps=steps))["status"] == "applied"
    follow_up = db.session.scalar(sa.select(Job).where(Job.source == "follow_up"))
    assert follow_up.assigned_to_id is None


def test_a_quick_visit_only_where_the_job_allows_one(tech_client, site):
    """A repair follows the procedure; an inspection may be a quick visit."""
    quick = complete_visit(site, steps=[], parts=[])
    refused = record(tech_client, quick)
    assert refused["status"] == "rejected"
    assert "A repair job follows the company's procedure" in refused["fields"]["steps"][0]
    inspection = factories.make_job(
        equipment=site.plotter, assigned_to_id=site.tech.id, kind="inspection"
    )
    allowed = record(tech_client, complete_visit(site, steps=[], parts=[], job=inspection.number))
    assert allowed["status"] == "applied", allowed
    alone = record(tech_client, complete_visit(site, steps=[], parts=[], job=None))
    assert alone["status"] == "applied", alone


def test_the_procedure_setting_is_changed_by_the_office(client, auth):
    auth.login("office")
    page = client.get("/settings").get_data(as_text=True)
    assert 'value="repair" checked' in page and 'value="install" checked' not in page
    response = client.post(
        "/settings", data={"procedure_kinds": ["repair", "install"], "follow_up_to": "office"}
    )
    assert response.status_code == 302
    settings = visit_settings()
    assert settings.procedure_kinds == ("repair", "install")
    assert settings.follow_up_to == "office"
    bad = client.post("/settings", data={"procedure_kinds": ["nonsense"], "follow_up_to": "x"})
    assert bad.status_code == 422
    assert visit_settings().procedure_kinds == ("repair", "install")
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ActivityEvent)
        .where(ActivityEvent.verb == "settings.changed")
    )


def test_the_meter_step_is_the_meter_reading(tech_client, site):
    """A procedure's meter step feeds the plotter's meter history: asked once."""
    version = factories.make_meter_sop()
    clean, reading = version.steps
    payload = complete_visit(
        site,
        job=None,
        meter_reading=None,
        steps=[
            {"step": clean.id, "status": "done"},
            {"step": reading.id, "status": "done", "value": 182340},
        ],
    )
    assert record(tech_client, payload)["status"] == "applied"
    meter = db.session.scalar(sa.select(MeterReading))
    assert meter.value == 182340 and str(meter.visit_id) == payload["id"]
    twice = complete_visit(
        site,
        job=None,
        meter_reading=190000,
        steps=[
            {"step": clean.id, "status": "done"},
            {"step": reading.id, "status": "done", "value": 190500},
        ],
    )
    refused = record(tech_client, twice)
    assert refused["fields"]["meter_reading"] == [
        "The meter step says 190,500 but the meter reading says 190,000."
    ]
    lower = complete_visit(
        site,
        job=None,
        meter_reading=None,
        steps=[
            {"step": clean.id, "status": "done"},
            {"step": reading.id, "status": "done", "value": 1000},
        ],
    )
    assert (
        "lower than the last one (182,340)" in record(tech_client, lower)["fields"]["meter_note"][0]
    )


def test_a_correction_keeps_the_ledger_whole(tech_client, site):
    """Within a day, the tech corrects parts, outcome, meter and photos: parts go back by a
    return (nothing deleted), the activity says what changed."""
    payload = complete_visit(site)
    assert record(tech_client, payload)["status"] == "applied"
    assert level(site.belt, site.van) == 2
    photo_id = str(uuid.uuid4())
    tech_client.put(f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes())
    corrected = {
        **payload,
        "parts": [{"sku": "F9J81A", "quantity": 1, "from": "warehouse"}],
        "meter_reading": 182400,
        "summary": "Belt was fine after all; printhead swapped.",
        "photos": [photo_id],
    }
    result = sync(tech_client, op("visit.amend", corrected))[0]
    assert result["status"] == "applied", result
    assert level(site.belt, site.van) == 3  # the belt went back to the van
    kinds = sorted(
        db.session.scalars(
            sa.select(StockMovement.kind).where(StockMovement.visit_id == uuid.UUID(payload["id"]))
        )
    )
    assert kinds == ["return", "use", "use"]
    assert db.session.scalar(sa.select(MeterReading.value)) == 182400
    visit = db.session.get(Visit, uuid.UUID(payload["id"]))
    assert visit.summary.startswith("Belt was fine")
    event = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "visit.corrected")
    )
    assert "parts used" in event.summary and "meter 182340 → 182400" in event.summary
    assert db.session.get(Photo, uuid.UUID(photo_id)).visit_id == visit.id
    page = tech_client.get(f"/e/{site.plotter.qr_token}").get_data(as_text=True)
    assert "HP 729 printhead" in page and "Carriage belt 24in" not in page.split("Parts fitted")[0]


def test_only_its_tech_corrects_a_visit_and_only_for_a_day(tech_client, client, site):
    payload = complete_visit(site)
    record(tech_client, payload)
    visit = db.session.get(Visit, uuid.UUID(payload["id"]))
    visit.finished_at = datetime.now(UTC) - timedelta(hours=25)
    visit.started_at = visit.finished_at - timedelta(hours=1)
    db.session.commit()
    late = sync(tech_client, op("visit.amend", {**payload, "summary": "later"}))[0]
    assert late["status"] == "rejected" and "24 hours" in late["reason"]
    assert tech_client.get(f"/visits/{visit.id}/edit").status_code == 302


def test_a_removed_photo_is_gone_from_the_server(tech_client, site, app):
    """A photo uploaded, then taken off the visit before saving: discarded, files too."""
    photo_id = str(uuid.uuid4())
    tech_client.put(f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes())
    assert sync(tech_client, op("photo.discard", {"photos": [photo_id]}))[0]["status"] == "applied"
    assert db.session.get(Photo, uuid.UUID(photo_id)) is None
    assert not [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_an_unfinished_visit_can_be_dropped(tech_client, site):
    """Started on a phone that is gone: discarding it puts the job back as it was."""
    visit_id = str(uuid.uuid4())
    start = {
        "id": visit_id,
        "equipment": site.plotter.qr_token,
        "job": site.job.number,
        "sop": "repair",
        "started_at": datetime.now(UTC).isoformat(),
    }
    sync(tech_client, op("visit.start", start))
    db.session.refresh(site.job)
    assert site.job.status == "in_progress"
    assert sync(tech_client, op("visit.abandon", {"id": visit_id}))[0]["status"] == "applied"
    db.session.refresh(site.job)
    assert site.job.status == "scheduled"
    assert db.session.get(Visit, uuid.UUID(visit_id)) is None
    assert sync(tech_client, op("visit.abandon", {"id": visit_id}))[0]["status"] == "duplicate"


def test_consumables_never_raise_a_recurrence_hint(tech_client, site):
    wipes = factories.make_part(sku="WIPES", name="Lint-free wipes", consumable=True)
    factories.stock(wipes, site.van, 10)
    for days in (60, 20):
        start = datetime.now(UTC) - timedelta(days=days)
        payload = complete_visit(
            site,
            job=None,
            parts=[{"sku": "WIPES", "quantity": 1, "from": "van"}],
            started_at=start.isoformat(),
            finished_at=(start + timedelta(hours=1)).isoformat(),
            meter_reading=None,
        )
        assert record(tech_client, payload)["status"] == "applied"
    page = tech_client.get(f"/e/{site.plotter.qr_token}").get_data(as_text=True)
    assert "Lint-free wipes replaced again" not in page


def test_every_history_entry_opens_its_visit(tech_client, site, client):
    payload = complete_visit(site)
    record(tech_client, payload)
    page = tech_client.get(f"/e/{site.plotter.qr_token}").get_data(as_text=True)
    assert f'href="/visits/{payload["id"]}"' in page
    detail = tech_client.get(f"/visits/{payload['id']}").get_data(as_text=True)
    for text in ("Carriage belt 24in", "182,340", "Correct this visit", "Service report"):
        assert text in detail
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StepResult)) == 4
