"""A measure outside its expected range fails its step: kept "fail" whatever the phone sent,
with the follow-up job when asked, on the page without JavaScript too, and on the report."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.sops.models import SopStep
from fieldapp.visits.models import StepResult, Visit
from fieldapp.visits.rules import StepRule, measured_label, range_note, recorded_status
from fieldapp.visits.services import start_visit
from tests import factories
from tests.scenarios import complete_visit, make_site
from tests.sync.test_sync import op, sync


@pytest.fixture
def ranged(app):
    """The site, its repair procedure expecting 4 to 6 N of carriage rod friction."""
    return make_site(friction=(4, 6))


@pytest.fixture
def tech_client(client, ranged):
    client.post("/login", data={"email": ranged.tech.email, "password": factories.PASSWORD})
    return client


def friction(site, status: str, value, **extra) -> dict:
    """A complete visit whose friction step says this."""
    payload = complete_visit(site)
    payload["steps"][2] = {"step": site.version.steps[2].id, "status": status, "value": value}
    payload["steps"][2].update(extra)
    return payload


def result_of(payload: dict, site) -> StepResult:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(StepResult).where(
            StepResult.visit_id == uuid.UUID(payload["id"]),
            StepResult.step_id == site.version.steps[2].id,
        )
    )


def follow_ups() -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.source == "follow_up")))


def test_done_outside_the_range_is_kept_failed_with_its_follow_up_job(tech_client, ranged):
    """A phone that says "done" at 3.2 N (expected 4 to 6 N) and asks for the follow-up job:
    the step is kept failed, the office sees it fail, and the job names the reading."""
    payload = friction(ranged, "done", 3.2, follow_up=True)
    response = tech_client.post("/api/v1/visits", json=payload)
    assert response.status_code == 201, response.json
    result = result_of(payload, ranged)
    assert (result.status, result.value) == ("fail", 3.2)
    (job,) = follow_ups()
    assert result.follow_up_job_id == job.id and job.equipment_id == ranged.plotter.id
    assert "“Carriage rod friction” failed (3.2 N, expected 4 to 6 N)" in job.problem
    failed = db.session.scalars(
        sa.select(ActivityEvent.summary).where(ActivityEvent.verb == "step.failed")
    ).all()
    assert failed == [
        f"Step failed on the {ranged.plotter.display_name} at {ranged.plotter.customer.name}: "
        "Carriage rod friction (3.2 N, expected 4 to 6 N)"
    ]


@pytest.mark.parametrize("value", [4, 5.5, 6])
def test_inside_the_range_the_step_stays_done(tech_client, ranged, value):
    """The ends of the range are inside it; no failure, no job."""
    payload = friction(ranged, "done", value)
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    assert result_of(payload, ranged).status == "done"
    assert follow_ups() == []
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(ActivityEvent.verb == "step.failed"))
        == 0
    )


def test_a_failed_measure_may_be_sent_failed(tech_client, ranged):
    """The phone sends what the server keeps ("fail"), with the follow-up job."""
    payload = friction(ranged, "fail", 7.25, follow_up=True)
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    assert result_of(payload, ranged).status == "fail"
    assert len(follow_ups()) == 1


def test_a_follow_up_for_a_measure_inside_its_range_is_refused(tech_client, ranged):
    """Only a failed step raises a follow-up job: 5 N is fine, so asking for one is a fault."""
    payload = friction(ranged, "done", 5, follow_up=True)
    response = tech_client.post("/api/v1/visits", json=payload)
    assert response.status_code == 422
    assert response.json["error"]["fields"]["steps.2.follow_up"] == [
        "Only a failed step can raise a follow-up job."
    ]
    assert db.session.get(Visit, uuid.UUID(payload["id"])) is None


def test_a_range_with_one_end_and_a_step_without_one():
    """At least 4 N: 3.9 fails, a million does not; a measure without a range never fails by
    its value; n/a and skipped stay as the tech said."""
    at_least = StepRule(1, 1, "Friction", "measure", True, min_value=4)
    assert at_least.out_of_range(3.9) and not at_least.out_of_range(1e6)
    assert recorded_status(at_least, "done", 3.9) == "fail"
    assert recorded_status(at_least, "n/a", 3.9) == "n/a"
    assert recorded_status(at_least, "done", None) == "done"
    free = StepRule(2, 2, "Humidity", "measure", False)
    assert recorded_status(free, "done", -40) == "done"
    check = StepRule(3, 3, "Look", "check", True, min_value=4)
    assert recorded_status(check, "done", 1) == "done"


def test_the_note_reads_as_people_write_numbers():
    assert range_note(3.2, "N", "4 to 6 N") == (
        "3.2 N is outside the expected 4 to 6 N: this step failed."
    )
    assert measured_label(1250.0, "sq ft") == "1,250 sq ft"
    assert measured_label(0.125) == "0.125"
    assert measured_label(-2.5, "°C") == "-2.5 °C"


def yesterday_at(hhmm: str) -> str:
    return f"{(datetime.now() - timedelta(days=1)):%Y-%m-%d}T{hhmm}"


def form_data(site, friction_value: str, **changes) -> dict:
    """The visit page's fields, as posted without JavaScript."""
    steps = site.version.steps
    data = {
        f"step-{steps[0].id}-status": "done",
        f"step-{steps[1].id}-status": "pass",
        f"step-{steps[2].id}-status": "done",
        f"step-{steps[2].id}-value": friction_value,
        f"step-{steps[3].id}-status": "n/a",
        "outcome": "fixed",
        "summary": "Oiled the rear bushing",
        "started_at": yesterday_at("09:00"),
        "finished_at": yesterday_at("10:00"),
    }
    data.update(changes)
    return data


def started(site) -> Visit:
    return factories.committed(
        start_visit,
        visit_id=uuid.uuid4(),
        equipment=site.plotter,
        tech=site.tech,
        job=site.job,
        sop_version=site.version,
    )


def test_the_page_shows_the_range_and_fails_the_step_without_javascript(tech_client, ranged):
    """The form names the expected range; posted at 3,2 N and sent back for another fault, it
    shows the step failed with the reason and the follow-up offer; fixed, it is kept failed."""
    visit = started(ranged)
    step = ranged.version.steps[2]
    page = tech_client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Expected 4 to 6 N" in page
    assert 'data-min="4.0" data-max="6.0" data-unit="N" data-expected="4 to 6 N"' in page

    response = tech_client.post(f"/visits/{visit.id}", data=form_data(ranged, "3,2", outcome=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "3.2 N is outside the expected 4 to 6 N: this step failed." in page
    assert re.search(rf'name="step-{step.id}-status" value="fail" checked', page)
    follow_up = re.search(
        r'<div class="follow-up" data-follow-up ([^>]*)>', page.split(f'data-step="{step.id}"')[1]
    ).group(1)
    assert "hidden" not in follow_up

    response = tech_client.post(
        f"/visits/{visit.id}", data=form_data(ranged, "3,2", **{f"step-{step.id}-follow_up": "1"})
    )
    assert response.status_code == 302
    result = db.session.scalar(sa.select(StepResult).where(StepResult.step_id == step.id))
    assert result.status == "fail" and result.follow_up_job_id is not None


def test_the_report_shows_the_failed_measure_and_the_version_followed(tech_client, ranged):
    payload = friction(ranged, "done", 3.2)
    assert tech_client.post("/api/v1/visits", json=payload).status_code == 201
    for path in (f"/visits/{payload['id']}", f"/visits/{payload['id']}/report"):
        page = tech_client.get(path).get_data(as_text=True)
        assert "Followed" in page
        assert "On-site diagnostic and repair visit, version 1" in page
        row = page.split("Carriage rod friction")[1].split("</tr>")[0]
        assert "Fail" in row and "3.2 N" in row and "Expected 4 to 6 N" in row


def test_a_visit_started_on_version_1_is_kept_with_it_after_version_2(tech_client, ranged):
    """Started offline on v1; v2 is published before the phone syncs. The start (which names
    only the SOP) and the visit (v1's steps) arrive after: the visit is kept with v1, its
    results point at v1's steps, and its report says version 1."""
    payload = friction(ranged, "done", 3.2, follow_up=True)  # fails on v1 (4 to 6 N)
    v2 = factories.publish_repair_v2(ranged.version)
    assert v2.number == 2
    start = op(
        "visit.start",
        {
            "id": payload["id"],
            "equipment": ranged.plotter.qr_token,
            "job": ranged.job.number,
            "sop": ranged.version.sop.slug,
            "started_at": payload["started_at"],
        },
    )
    results = sync(tech_client, start, op("visit.record", payload))
    assert [r["status"] for r in results] == ["applied", "applied"], results
    db.session.expire_all()
    visit = db.session.get(Visit, uuid.UUID(payload["id"]))
    assert visit.sop_version_id == ranged.version.id and visit.status == "finished"
    steps = db.session.scalars(
        sa.select(SopStep).join(StepResult).where(StepResult.visit_id == visit.id)
    ).all()
    assert len(steps) == 4 and {step.version_id for step in steps} == {ranged.version.id}
    assert result_of(payload, ranged).status == "fail"  # v1's range, not v2's
    report = tech_client.get(f"/visits/{visit.id}/report").get_data(as_text=True)
    assert "On-site diagnostic and repair visit, version 1" in report
    assert "Encoder strip" not in report


def test_steps_of_two_versions_in_one_visit_are_refused(tech_client, ranged):
    v2 = factories.publish_repair_v2(ranged.version)
    payload = complete_visit(ranged)
    payload["steps"][0]["step"] = v2.steps[0].id
    response = tech_client.post("/api/v1/visits", json=payload)
    assert response.status_code == 422
    assert "different SOPs or versions" in " ".join(response.json["error"]["fields"]["steps"])
