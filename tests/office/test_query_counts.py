"""The office pages run a fixed number of SQL queries, however big the business grows."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.activity.services import record_event
from fieldapp.extensions import db
from fieldapp.inventory.models import StockLocation
from fieldapp.inventory.services import record_movement
from fieldapp.messages.models import Message
from fieldapp.photos.services import add_photo
from fieldapp.public.models import ServiceRequest
from fieldapp.sops.models import SopVersion
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import StepResult, Visit
from tests import factories
from tests.sql import count_queries

PAGES = [
    "/",
    "/?part=live",
    "/jobs",
    "/jobs?part=live",
    "/jobs?tech=none&priority=high&customer=a",
    "/requests",
    "/requests?status=converted",
    "/techs/{tech}/day",
    "/jobs/{job}",
    "/jobs/{job}/messages",
    "/api/v1/activity?after=0",
    "/api/v1/jobs/{number}/messages",
    "/reports",
] + [
    f"/reports/{slug}"
    for slug in (
        "first-time-fix",
        "time-to-resolve",
        "jobs-per-tech",
        "parts-cost",
        "repeat-failures",
        "owner-load",
    )
] + ["/schedule", "/schedule?view=week", "/jobs/{job}/schedule"]


def grow(size: int, sop, warehouse, subjects: dict | None = None) -> dict:
    """Add `size` of everything the office pages show: techs on site, jobs of every status,
    visits with parts and failed steps, messages with photos, requests, events, stock, syncs."""
    now = datetime.now(UTC)
    first = None
    for n in range(size):
        tech = factories.make_user("tech")
        van = factories.van_of(tech)
        customer = factories.make_customer()
        plotter = factories.make_equipment(customer)
        part = factories.make_part()
        factories.set_limits(part, van, 2)
        record_movement(part, van, -1 if n % 2 else 1, "adjust", actor_id=None)
        record_movement(part, warehouse, 1, "receive", actor_id=None)
        for status in ("new", "scheduled", "in_progress", "waiting_parts", "done"):
            job = factories.make_job(
                customer,
                equipment=plotter,
                status=status,
                priority="high",
                assigned_to_id=None if status == "new" else tech.id,
                scheduled_for=now + timedelta(hours=n),
                closed_at=now - timedelta(days=1) if status == "done" else None,
            )
            first = first or job
        visit = factories.make_visit(
            plotter,
            tech,
            started_at=now - timedelta(hours=3),
            job=job,
            parts=((part, 1, van),),
        )
        db.session.add(
            StepResult(visit_id=visit.id, step_id=sop.steps[1].id, status="fail", by_id=tech.id)
        )
        db.session.add(
            Visit(
                id=uuid.uuid4(),
                equipment_id=plotter.id,
                tech_id=tech.id,
                status="in_progress",
                started_at=now - timedelta(minutes=30),
            )
        )
        message = Message(
            id=uuid.uuid4(),
            job_id=(subjects or {}).get("job_id", first.id),
            author_id=tech.id,
            body="On my way",
        )
        db.session.add(message)
        db.session.flush()
        add_photo(factories.jpeg_bytes(64, 48), uploaded_by_id=tech.id).message_id = message.id
        for status in ("new", "converted", "dismissed"):
            request = ServiceRequest(
                reference=f"SR-{uuid.uuid4().hex[:8]}",
                equipment_id=plotter.id,
                name="Caller",
                phone="555 0100",
                problem="Lines on prints",
                status=status,
                job_id=job.id if status == "converted" else None,
                handled_by_id=tech.id if status != "new" else None,
                handled_at=now if status != "new" else None,
            )
            db.session.add(request)
            db.session.flush()
            add_photo(factories.jpeg_bytes(64, 48)).service_request_id = request.id
        db.session.add(
            SyncOp(id=uuid.uuid4(), user_id=tech.id, type="visit.record", result="applied")
        )
        for verb in ("job.created", "job.assigned", "visit.logged", "message.posted"):
            record_event(verb, "job", job.id, verb, actor_id=tech.id, job_id=job.id)
    db.session.commit()
    return {"tech": tech.id, "job": first.id, "number": first.number}


@pytest.fixture
def office_client(client, auth):
    auth.login("admin")
    return client


def test_office_pages_query_count_does_not_grow_with_data(app, office_client):
    """Each page's queries are counted with a small business, then with one four times as
    big (more techs on site, jobs, visits, messages, requests, stock): the counts match."""
    sop = factories.make_sop()
    warehouse = factories.make_location(name="Warehouse")
    subjects = grow(2, sop, warehouse)

    def counts() -> dict[str, int]:
        found = {}
        for page in PAGES:
            path = page.format(**subjects)
            db.session.expire_all()
            # The dashboard keeps its owner-load tile a while: count the page working it out.
            app.extensions.pop("fieldapp.owner_trend", None)
            # Rows an earlier page loaded stay in the session only until the garbage collector
            # frees them (reference cycles): collect now, so no page counts on a luckier cache.
            gc.collect()
            with count_queries() as statements:
                response = office_client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            found[path] = len(statements)
        return found

    small = counts()
    grow(8, sop, warehouse, {"job_id": subjects["job"]})
    large = counts()
    assert large == small


def test_a_techs_today_and_its_live_parts_query_count_does_not_grow(client, auth):
    """Today, its live parts and the tech's own feed, with 2 open jobs (each with events and a
    message) and then with 10: the same number of queries?"""
    tech = auth.login("tech")
    office = factories.make_user("office")

    def add_jobs(count: int) -> None:
        for _ in range(count):
            job = factories.make_job(
                equipment=factories.make_equipment(), status="scheduled", assigned_to_id=tech.id
            )
            db.session.add(Message(id=uuid.uuid4(), job_id=job.id, author_id=office.id, body="Hi"))
            for verb in ("job.assigned", "message.posted"):
                record_event(verb, "job", job.id, verb, actor_id=office.id, job_id=job.id)
        db.session.commit()

    def counts() -> dict[str, int]:
        found = {}
        for path in ("/", "/?part=live", "/api/v1/me/activity?after=0"):
            db.session.expire_all()
            gc.collect()
            with count_queries() as statements:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            found[path] = len(statements)
        return found

    add_jobs(2)
    small = counts()
    add_jobs(8)
    assert counts() == small


# The statements of the front door and the board, counted as a new request makes them (a new
# session: the signed-in user and the settings are read once each, nothing else is cached).
# The dashboard: the user, the settings, its cards, counts and lists (one statement), the
# feed, the owner-load tile (three, kept a while: the test clears it) and the nav's unread
# count; its live parts skip the feed and the tile. The board: the user, the settings, the
# ranked ids, their jobs with customer, plotter and tech, the techs, the unread counts, the
# latest event and the nav's count. Today: the user, its jobs, visits, procedures to read
# (one statement), its version, the settings and two unread counts.
FRONT_STATEMENTS = {
    ("office", "/"): 8,
    ("office", "/?part=live"): 4,
    ("office", "/jobs"): 8,
    ("office", "/jobs?part=live"): 7,
    ("tech", "/"): 8,
    ("tech", "/?part=live"): 6,
}


@pytest.mark.parametrize("role", ["office", "tech"])
def test_the_dashboard_and_the_board_run_a_pinned_number_of_statements(app, client, auth, role):
    """Do the front door (dashboard or Today) and the board run exactly their pinned number of
    statements, with a small business and with one five times as big?"""
    user_id = auth.login(role).id
    sop = factories.make_sop()
    warehouse = factories.make_location(name="Warehouse")
    sop_id, warehouse_id = sop.id, warehouse.id

    def counts() -> dict[str, int]:
        found = {}
        for (who, path), _ in FRONT_STATEMENTS.items():
            if who != role:
                continue
            client.get(path)  # warm up: templates, compiled statements
            app.extensions.pop("fieldapp.owner_trend", None)
            db.session.remove()
            gc.collect()
            with count_queries() as statements:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            found[path] = len(statements)
        return found

    def add_tech_jobs(count: int) -> None:
        for _ in range(count):
            factories.make_job(
                equipment=factories.make_equipment(), status="scheduled", assigned_to_id=user_id
            )

    subjects = grow(2, sop, warehouse)
    add_tech_jobs(2)
    small = counts()
    assert small == {p: n for (who, p), n in FRONT_STATEMENTS.items() if who == role}
    # Counting began new sessions: the test's objects are read again.
    sop, warehouse = db.session.get(SopVersion, sop_id), db.session.get(StockLocation, warehouse_id)
    grow(8, sop, warehouse, {"job_id": subjects["job"]})
    add_tech_jobs(8)
    assert counts() == small
