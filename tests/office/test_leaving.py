"""When a person leaves (issue 13, point 5): what they hold is shown, placed where the office
says in one unit of work with the deactivation, and nothing stays with an inactive account.
Runs on SQLite and, with FIELDAPP_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.inventory.models import StockLevel, StockMovement
from fieldapp.jobs.models import Job
from fieldapp.localtime import company_zone
from fieldapp.office import leaving
from fieldapp.office.queries import dashboard
from fieldapp.sops.models import SopDraft
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.models import Visit
from tests import factories


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def level(part, location) -> int:
    return (
        db.session.scalar(
            sa.select(StockLevel.quantity).where(
                StockLevel.part_id == part.id, StockLevel.location_id == location.id
            )
        )
        or 0
    )


def ledger_sum(part, location) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.sum(StockMovement.quantity)).where(
                StockMovement.part_id == part.id, StockMovement.location_id == location.id
            )
        )
        or 0
    )


def events(verb: str) -> list[ActivityEvent]:
    return list(db.session.scalars(sa.select(ActivityEvent).where(ActivityEvent.verb == verb)))


@pytest.fixture
def leaver():
    """Sam, a tech with 4 open jobs (one under way) and a stocked van; Priya, another tech."""
    warehouse = factories.make_location("warehouse", name="Main warehouse")
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya Natarajan")
    van = factories.van_of(sam)
    belt, head = factories.make_part(name="Carriage belt"), factories.make_part(name="Printhead")
    factories.stock(belt, van, 3)
    factories.stock(head, van, 1)
    soon = datetime.now(UTC) + timedelta(days=1)
    jobs = [
        factories.make_job(assigned_to_id=sam.id, status="scheduled", scheduled_for=soon)
        for _ in range(3)
    ]
    jobs.append(factories.make_job(assigned_to_id=sam.id, status="in_progress"))
    factories.make_job(assigned_to_id=sam.id, status="done")
    return {
        "sam": sam,
        "priya": priya,
        "van": van,
        "warehouse": warehouse,
        "belt": belt,
        "head": head,
        "jobs": jobs,
        "priya_van": factories.van_of(priya),
    }


def open_jobs_of(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.assigned_to_id == user.id, Job.status.not_in(("done", "cancelled")))
    )


# -- What was seen -------------------------------------------------------------------------


def test_seen_deactivating_a_tech_with_open_jobs_no_longer_strands_them(client, auth, leaver):
    """Unchecking "active" on a tech with 4 open jobs: are the jobs left with the inactive
    account? (Before: deactivated at once, all 4 still assigned to Sam.)"""
    auth.login("admin")
    sam = leaver["sam"]
    response = client.post(
        f"/admin/users/{sam.id}", data={"name": sam.name, "email": sam.email, "role": "tech"}
    )
    db.session.expire_all()
    assert not (not sam.active and open_jobs_of(sam)), "jobs stranded with an inactive account"
    assert response.headers["Location"] == f"/admin/users/{sam.id}/leave"
    assert sam.active and open_jobs_of(sam) == 4  # nothing changes before the choice


def test_seen_a_stranded_job_counts_as_unassigned(client, auth, leaver):
    """Jobs left with a deactivated tech by the old code: do the dashboard and the board's
    Unassigned filter count them? (Before: neither did, and Sam's card and filter were gone.)"""
    sam = leaver["sam"]
    sam.active = False  # as the old deactivation left things
    db.session.commit()
    board = dashboard(datetime.now(UTC), company_zone())
    assert board.unassigned_total == 4
    assert {job.id for job in board.unassigned} == {job.id for job in leaver["jobs"]}
    auth.login("office")
    text = page_text(client.get("/jobs?tech=none"))
    for job in leaver["jobs"]:
        assert f'data-job="{job.number}"' in text
    assert "Sam Okafor (no longer active)" in text
    assert "Still with Sam Okafor (no longer active)" in page_text(client.get("/"))


def selected_tech(html: str) -> str:
    """The value the job page's tech select sends when the office changes only the time."""
    select = re.search(r'<select id="assign-tech" name="tech"[^>]*>(.*?)</select>', html, re.S)
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))
    return chosen.group(1) if chosen else ""  # no option selected: the browser sends the first


def test_seen_changing_only_the_time_of_a_stranded_job_says_who_is_missing(client, auth, leaver):
    """On a job still with a deactivated tech, "Reassign or reschedule" with only the time
    changed: is the job silently unassigned? (Before: "J-1401 is with nobody.")"""
    sam, job = leaver["sam"], leaver["jobs"][0]
    sam.active = False
    db.session.commit()
    auth.login("office")
    page = client.get(f"/jobs/{job.id}")
    html = page.get_data(as_text=True)
    assert "(no longer active)" in page_text(page)
    response = client.post(
        f"/jobs/{job.id}/assign",
        data={"tech": selected_tech(html), "scheduled_for": "2027-01-07T09:30"},
        follow_redirects=True,
    )
    text = page_text(response)
    assert "is with nobody" not in text
    assert f"Sam Okafor is no longer active: choose who takes {job.number}" in text
    db.session.expire_all()
    assert job.assigned_to_id == sam.id  # nothing changed; the office now chooses


def test_changing_only_the_time_keeps_an_active_tech(client, auth, leaver):
    """The same form on a job whose tech is fine: does the tech stay?"""
    job = leaver["jobs"][0]
    auth.login("office")
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    response = client.post(
        f"/jobs/{job.id}/assign",
        data={"tech": selected_tech(html), "scheduled_for": "2027-01-07T09:30"},
        follow_redirects=True,
    )
    assert f"{job.number} is with Sam Okafor." in page_text(response)
    db.session.expire_all()
    assert job.assigned_to_id == leaver["sam"].id and job.scheduled_for.year == 2027


def test_a_stranded_job_can_be_reassigned_and_rescheduled_from_its_page(client, auth, leaver):
    sam, priya, job = leaver["sam"], leaver["priya"], leaver["jobs"][3]  # in progress
    sam.active = False
    db.session.commit()
    auth.login("office")
    taken_back = client.post(f"/jobs/{job.id}/assign", data={"tech": ""}, follow_redirects=True)
    assert "is in progress: a visit is under way" in page_text(taken_back)
    response = client.post(
        f"/jobs/{job.id}/assign",
        data={"tech": str(priya.id), "scheduled_for": "2027-01-07T09:30"},
        follow_redirects=True,
    )
    assert f"{job.number} is with Priya Natarajan." in page_text(response)
    db.session.expire_all()
    assert job.assigned_to_id == priya.id
    unassigned = leaver["jobs"][0]
    response = client.post(
        f"/jobs/{unassigned.id}/assign",
        data={"tech": "", "scheduled_for": "2027-01-08T09:30"},
        follow_redirects=True,
    )
    assert f"{unassigned.number} is back with the unassigned jobs." in page_text(response)


# -- The service ---------------------------------------------------------------------------


def test_deactivating_moves_jobs_and_stock_in_one_unit_of_work(app, leaver):
    """Jobs to Priya (one back to unassigned), the van's stock to Priya's van by transfers in
    the ledger, one user.deactivated event that says where it all went."""
    sam, priya, jobs = leaver["sam"], leaver["priya"], leaver["jobs"]
    admin = factories.make_user("admin")
    with unit_of_work():
        held = leaving.deactivate_with_handover(
            sam,
            jobs_to=priya.id,
            per_job={jobs[1].id: leaving.UNASSIGNED},
            stock_to_id=leaver["priya_van"].id,
            actor_id=admin.id,
        )
    db.session.expire_all()
    assert not sam.active and open_jobs_of(sam) == 0 and len(held.jobs) == 4
    assert [job.assigned_to_id for job in jobs] == [priya.id, None, priya.id, priya.id]
    assert jobs[1].status == "new" and jobs[3].status == "in_progress"
    van, target = leaver["van"], leaver["priya_van"]
    for part, quantity in ((leaver["belt"], 3), (leaver["head"], 1)):
        assert (level(part, van), level(part, target)) == (0, quantity)
        assert (ledger_sum(part, van), ledger_sum(part, target)) == (0, quantity)
    assert not van.active
    [event] = events("user.deactivated")
    assert event.actor_id == admin.id and event.subject_id == str(sam.id)
    assert "to Priya Natarajan" in event.summary and "back to unassigned" in event.summary
    assert f"4 parts to {target.name}" in event.summary
    assert events("user.updated") == []
    # Each job's thread still tells its own story.
    assert {e.job_id for e in events("job.assigned")} == {jobs[0].id, jobs[2].id, jobs[3].id}


def test_a_refused_choice_changes_nothing(app, leaver):
    """A job under way sent back to unassigned, a job to an inactive tech: refused, with each
    job named, and nothing (account, jobs, stock) changed."""
    sam, jobs = leaver["sam"], leaver["jobs"]
    gone = factories.make_user("tech", name="Gone Tech", active=False)
    with pytest.raises(Invalid) as refused, unit_of_work():
        leaving.deactivate_with_handover(
            sam,
            jobs_to=leaving.UNASSIGNED,
            per_job={jobs[0].id: gone.id},
            stock_to_id=None,
            actor_id=None,
        )
    fields = refused.value.fields
    assert f"{jobs[3].number} is in progress" in " ".join(fields["jobs_to"])
    assert f"Choose an active technician for {jobs[0].number}" in " ".join(
        fields[f"job_{jobs[0].id}"]
    )
    db.session.expire_all()
    assert sam.active and open_jobs_of(sam) == 4 and level(leaver["belt"], leaver["van"]) == 3
    assert events("user.deactivated") == []


def test_the_last_admin_and_oneself_are_refused(app):
    admin = factories.make_user("admin")
    with pytest.raises(Invalid, match="You cannot deactivate yourself"):
        leaving.deactivate_with_handover(admin, jobs_to=None, stock_to_id=None, actor_id=admin.id)
    with pytest.raises(Invalid, match="last active admin"):
        leaving.deactivate_with_handover(admin, jobs_to=None, stock_to_id=None, actor_id=None)


def test_the_edit_form_service_refuses_to_strand_jobs(app, leaver):
    """Called straight (not through the page), does saving the account refuse both a
    deactivation and a role change that would leave open jobs behind?"""
    sam, admin = leaver["sam"], factories.make_user("admin")
    fields = {"email": sam.email, "name": sam.name, "phone": ""}
    with pytest.raises(Invalid, match="choose where they go before deactivating"):
        leaving.change_account(
            sam, stock_to_id=None, actor_id=admin.id, role="tech", active=False, **fields
        )
    with pytest.raises(Invalid) as refused:
        leaving.change_account(
            sam, stock_to_id=None, actor_id=admin.id, role="office", active=True, **fields
        )
    assert "still has 4 open jobs" in refused.value.fields["role"][0]


def test_the_deactivate_command_unassigns_open_jobs_and_says_so(runner, leaver):
    sam, jobs = leaver["sam"], leaver["jobs"]
    refused = runner.invoke(args=["user", "deactivate", sam.email])
    assert refused.exit_code != 0 and f"{jobs[3].number} is in progress" in refused.output
    db.session.expire_all()
    assert sam.active
    # The job under way goes to Priya with --jobs-to; without it, jobs go back unassigned.
    result = runner.invoke(
        args=["user", "deactivate", sam.email, "--jobs-to", leaver["priya"].email]
    )
    assert result.exit_code == 0, result.output
    assert f"Now with {leaver['priya'].email}: " in result.output
    assert "4 parts moved out of the van" in result.output
    db.session.expire_all()
    assert not sam.active and open_jobs_of(sam) == 0
    assert level(leaver["belt"], leaver["warehouse"]) == 3


def test_the_command_puts_open_jobs_back_with_the_unassigned(runner):
    lee = factories.make_user("tech", name="Lee Park")
    job = factories.make_job(assigned_to_id=lee.id, status="scheduled")
    result = runner.invoke(args=["user", "deactivate", lee.email])
    assert result.exit_code == 0, result.output
    assert f"Back with the unassigned jobs: {job.number}" in result.output
    db.session.expire_all()
    assert job.assigned_to_id is None and job.status == "new"


# -- The pages -----------------------------------------------------------------------------


def test_the_holdings_page_lists_what_the_person_holds(client, auth, leaver):
    sam = leaver["sam"]
    version = factories.make_sop()
    db.session.add(SopDraft(sop_id=version.sop_id, content={}, updated_by_id=sam.id))
    db.session.add(
        Visit(
            id=uuid.uuid4(),
            equipment_id=factories.make_equipment().id,
            tech_id=sam.id,
            job_id=leaver["jobs"][3].id,
            started_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    auth.login("admin")
    response = client.get(f"/admin/users/{sam.id}/leave")
    text = page_text(response)
    assert response.status_code == 200
    assert "Before Sam Okafor leaves" in text and "Open jobs (4)" in text
    for job in leaver["jobs"]:
        assert job.number in text and escape(job.customer.name) in text
    assert "Carriage belt" in text and "Printhead" in text and "4 parts" in text
    assert "Main warehouse" in text and escape(leaver["priya_van"].name) in text
    assert f"{leaver['jobs'][3].number}</a>), not finished" in text  # the visit Sam started
    assert "On-site diagnostic and repair visit</a>, saved" in text
    assert "never synced" in text
    assert "Deactivate Sam and move everything" in text


def test_the_holdings_form_confirms_with_per_job_choices(client, auth, leaver):
    sam, priya, jobs = leaver["sam"], leaver["priya"], leaver["jobs"]
    auth.login("admin")
    data = {"jobs_to": str(priya.id), f"job_{jobs[0].id}": "none"}
    response = client.post(f"/admin/users/{sam.id}/leave", data=data, follow_redirects=True)
    assert "Sam Okafor is deactivated; 4 open jobs and the van&#39;s stock moved." in page_text(
        response
    )
    db.session.expire_all()
    assert not sam.active and jobs[0].assigned_to_id is None
    assert {job.assigned_to_id for job in jobs[1:]} == {priya.id}
    assert level(leaver["belt"], leaver["warehouse"]) == 3


def test_a_refused_holdings_form_shows_the_choices_again(client, auth, leaver):
    sam = leaver["sam"]
    auth.login("admin")
    response = client.post(f"/admin/users/{sam.id}/leave", data={"jobs_to": ""})
    assert response.status_code == 422
    text = page_text(response)
    assert "Choose where every open job goes." in text and "is in progress" in text
    assert "Open jobs (4)" in text
    db.session.expire_all()
    assert sam.active


def test_someone_holding_nothing_is_deactivated_at_once(client, auth):
    auth.login("admin")
    ana = factories.make_user("office", name="Ana Ruiz")
    response = client.post(
        f"/admin/users/{ana.id}", data={"name": ana.name, "email": ana.email, "role": "office"}
    )
    assert response.headers["Location"] == "/admin/users"
    db.session.expire_all()
    assert not ana.active
    assert [e.summary for e in events("user.deactivated")] == ["Deactivated Ana Ruiz"]


@pytest.mark.parametrize("role", ["tech", "office"])
def test_only_an_admin_reaches_the_holdings_page(client, auth, leaver, role):
    sam = leaver["sam"]
    auth.login(role)
    assert client.get(f"/admin/users/{sam.id}/leave").status_code == 403
    assert client.post(f"/admin/users/{sam.id}/leave", data={}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, sam.id).active
