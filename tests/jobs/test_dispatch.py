"""Dispatch: taking a call into a job, assigning and rescheduling, the board, the job page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import assign_job, open_job
from tests import factories

CHICAGO = ZoneInfo("America/Chicago")


def events(verb: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(ActivityEvent.summary)
            .where(ActivityEvent.verb == verb)
            .order_by(ActivityEvent.id)
        )
    )


# -- services -----------------------------------------------------------------------------


def test_assigning_a_new_job_schedules_it_and_tells_the_office(app):
    """new → scheduled through the state machine, and a job.assigned event with the time."""
    office = factories.make_user("office")
    sam = factories.make_user("tech", name="Sam Okafor")
    job = factories.make_job(status="new", scheduled_for=None)
    when = datetime(2026, 11, 30, 9, 30, tzinfo=CHICAGO)
    assign_job(job, sam.id, when, office.id)
    assert job.status == "scheduled" and job.assigned_to_id == sam.id
    assert job.scheduled_for == when
    assert events("job.status") == [f"{job.number} new → scheduled"]
    assert events("job.assigned") == [f"{job.number} assigned to Sam Okafor for Nov 30, 9:30"]


def test_reassign_reschedule_and_take_back(app):
    office = factories.make_user("office")
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya Natarajan")
    job = factories.make_job(status="new", scheduled_for=None)
    assign_job(job, sam.id, None, office.id)
    assign_job(job, priya.id, None, office.id)
    assign_job(job, priya.id, None, office.id)  # nothing changed: no event
    assign_job(job, None, None, office.id)
    assert job.status == "new" and job.assigned_to_id is None
    assert events("job.assigned") == [
        f"{job.number} assigned to Sam Okafor, not scheduled yet",
        f"{job.number} reassigned from Sam Okafor to Priya Natarajan, not scheduled yet",
    ]
    assert events("job.unassigned") == [f"{job.number} taken back from Priya Natarajan"]


def test_closed_jobs_and_non_techs_cannot_be_assigned(app):
    office = factories.make_user("office")
    sam = factories.make_user("tech")
    with pytest.raises(Conflict, match="already done"):
        assign_job(factories.make_job(status="done"), sam.id, None, office.id)
    with pytest.raises(Invalid) as refused:
        assign_job(factories.make_job(status="new"), office.id, None, office.id)
    assert refused.value.fields == {"tech": ["Choose an active technician."]}
    busy = factories.make_job(status="in_progress", assigned_to_id=sam.id)
    with pytest.raises(Conflict, match="a visit is under way"):
        assign_job(busy, None, None, office.id)


def test_open_job_reports_every_problem_at_once(app):
    office = factories.make_user("office")
    with pytest.raises(Invalid) as refused:
        open_job(
            actor_id=office.id,
            customer_id=None,
            equipment_id=None,
            problem=" ",
            tech_id=office.id,
        )
    assert set(refused.value.fields) == {"customer_id", "problem", "tech"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


# -- the intake form ----------------------------------------------------------------------


@pytest.fixture
def office(client, auth):
    return auth.login("office", name="Maria Chen")


def test_finding_the_plotter_by_serial_short_code_or_customer(client, office):
    """Does the Find button show matches by serial, short code and customer, keeping what was
    typed, and warn about a job already open on the plotter?"""
    customer = factories.make_customer(name="Halvorsen Kline Architects")
    plotter = factories.make_equipment(customer, serial_number="CN75V75UZR")
    factories.make_equipment(factories.make_customer(name="Other Firm"))
    open_one = factories.make_job(equipment=plotter, status="scheduled", problem="Belt slipping")
    form = {"action": "find", "caller_name": "Owen Pike", "find": "cn75v75"}
    html = client.post("/jobs/new", data=form).get_data(as_text=True)
    assert f'value="equipment:{plotter.id}"' in html and 'value="Owen Pike"' in html
    assert f"Already open: {open_one.number}" in html
    by_code = client.get(f"/jobs/new?find={plotter.short_code.lower()}").get_data(as_text=True)
    assert f'value="equipment:{plotter.id}"' in by_code and "Other Firm" not in by_code
    by_name = client.get("/jobs/new?find=halvorsen&fragment=finder").get_data(as_text=True)
    assert f'value="customer:{customer.id}"' in by_name and "<html" not in by_name
    nothing = client.get("/jobs/new?find=zzzz").get_data(as_text=True)
    assert "No plotter or customer matches" in nothing


def test_a_call_becomes_a_job_the_tech_sees_on_today(client, auth, office):
    """Caller, plotter, symptom, code, priority and who goes: the job opens scheduled, and the
    tech's Today lists it at the next load."""
    sam = factories.make_user("tech", name="Sam Okafor")
    plotter = factories.make_equipment(factories.make_customer(name="Lakeshore Reprographics"))
    response = client.post(
        "/jobs/new",
        data={
            "action": "create",
            "caller_name": "Dana Ruiz",
            "caller_phone": "+1 312 555 0172",
            "target": f"equipment:{plotter.id}",
            "problem": "Stops partway through plots",
            "error_code": "87:11",
            "priority": "urgent",
            "kind": "repair",
            "source": "phone",
            "tech": str(sam.id),
            "scheduled_for": "2026-11-30T10:30",
        },
    )
    assert response.status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert response.location == f"/jobs/{job.id}"
    assert (job.status, job.priority, job.error_code) == ("scheduled", "urgent", "87:11")
    assert job.customer_id == plotter.customer_id and job.caller_name == "Dana Ruiz"
    assert job.scheduled_for == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    page = client.get(response.location).get_data(as_text=True)
    assert "Stops partway through plots" in page and "Sam Okafor" in page
    auth.logout()
    auth.login(user=sam)
    today = client.get("/").get_data(as_text=True)
    assert job.number in today and "Stops partway through plots" in today
    assert f'href="/jobs/{job.id}/messages"' in today


def test_an_incomplete_call_keeps_what_was_typed(client, office):
    response = client.post(
        "/jobs/new",
        data={"action": "create", "caller_name": "Dana Ruiz", "problem": "", "scheduled_for": "x"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Dana Ruiz"' in html
    assert "Enter the date and time" in html
    response = client.post(
        "/jobs/new", data={"action": "create", "caller_name": "Dana", "problem": ""}
    )
    html = response.get_data(as_text=True)
    assert "Choose the customer." in html and "Describe the problem" in html


def test_assign_from_the_job_page_and_change_status(client, office):
    sam = factories.make_user("tech", name="Sam Okafor")
    job = factories.make_job(status="new", scheduled_for=None)
    response = client.post(
        f"/jobs/{job.id}/assign", data={"tech": str(sam.id), "scheduled_for": "2026-12-01T08:00"}
    )
    assert response.status_code == 302
    db.session.refresh(job)
    assert job.status == "scheduled" and job.assigned_to_id == sam.id
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "assigned to Sam Okafor for Dec 1, 8:00" in html  # inline in the thread
    client.post(
        f"/jobs/{job.id}/status", data={"status": "cancelled", "reason": "Customer fixed it"}
    )
    db.session.refresh(job)
    assert job.status == "cancelled"
    refused = client.post(
        f"/jobs/{job.id}/assign", data={"tech": str(sam.id)}, follow_redirects=True
    )
    assert "cannot be assigned" in refused.get_data(as_text=True)


def test_board_groups_by_status_and_filters(client, office):
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya Natarajan")
    acme = factories.make_customer(name="Acme Architects")
    birch = factories.make_customer(name="Birch Builders")
    new = factories.make_job(acme, status="new", priority="urgent", problem="Head strike")
    sams = factories.make_job(
        birch,
        status="scheduled",
        assigned_to_id=sam.id,
        scheduled_for=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
    )
    priyas = factories.make_job(acme, status="waiting_parts", assigned_to_id=priya.id)
    old_done = factories.make_job(
        acme, status="done", closed_at=datetime(2020, 1, 1, tzinfo=UTC), problem="Ancient"
    )

    def numbers(query: str = "") -> set[str]:
        html = client.get(f"/jobs{query}").get_data(as_text=True)
        return set(re.findall(r'data-job="(J-\d+)"', html))

    assert numbers() == {new.number, sams.number, priyas.number}  # old done jobs drop off
    assert numbers(f"?tech={sam.id}") == {sams.number}
    assert numbers("?tech=none") == {new.number}
    assert numbers("?customer=acme") == {new.number, priyas.number}
    assert numbers("?priority=urgent") == {new.number}
    assert numbers("?day=2026-12-01") == {sams.number}
    assert old_done.number not in numbers()
    empty = client.get("/jobs?customer=nobody").get_data(as_text=True)
    assert "No jobs match these filters" in empty
    bad = client.get("/jobs?day=tomorrow").get_data(as_text=True)
    assert "Enter the date as YYYY-MM-DD" in bad and "Showing every day" in bad
    far = client.get("/jobs?day=9999-12-31").get_data(as_text=True)
    assert "Enter a date between 2000 and 2099" in far


def test_techs_cannot_dispatch(client, auth):
    job = factories.make_job()
    auth.login("tech")
    assert client.get("/jobs").status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 403
    assert client.post(f"/jobs/{job.id}/assign", data={}).status_code == 403
    assert client.post("/jobs/new", data={"action": "create"}).status_code == 403
