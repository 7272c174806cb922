"""The office dashboard: where each tech is, what waits for the office, and the live feed."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.activity.services import record_event
from fieldapp.extensions import db
from fieldapp.inventory.services import record_movement
from fieldapp.office import reports
from fieldapp.public.models import ServiceRequest
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import StepResult, Visit
from tests import factories


@pytest.fixture
def office(client, auth):
    return auth.login("office", name="Maria Chen")


def test_tech_cards_say_where_each_tech_is(client, office):
    """On site at the customer since the visit started, or idle; visits done today, jobs left
    and the last sync (or never)."""
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya Natarajan")
    factories.make_user("tech", name="Gone Tech", active=False)
    plotter = factories.make_equipment(factories.make_customer(name="Lakeshore Reprographics"))
    job = factories.make_job(equipment=plotter, assigned_to_id=sam.id, status="in_progress")
    factories.make_job(assigned_to_id=sam.id, status="scheduled")
    factories.make_job(assigned_to_id=sam.id, status="done")
    now = datetime.now(UTC)
    db.session.add(
        Visit(
            id=uuid.uuid4(),
            equipment_id=plotter.id,
            job_id=job.id,
            tech_id=sam.id,
            status="in_progress",
            started_at=now - timedelta(minutes=20),
        )
    )
    factories.make_visit(plotter, priya, started_at=now - timedelta(hours=2))
    factories.make_visit(plotter, priya, started_at=now - timedelta(days=3))
    db.session.add(SyncOp(id=uuid.uuid4(), user_id=sam.id, type="visit.record", result="applied"))
    db.session.commit()

    html = client.get("/").get_data(as_text=True)
    sam_card = html.split(f'data-tech="{sam.id}"')[1].split("</li>")[0]
    priya_card = html.split(f'data-tech="{priya.id}"')[1].split("</li>")[0]
    assert "On site at <strong>Lakeshore Reprographics</strong> since" in sam_card
    assert job.number in sam_card
    assert "<dt>Jobs left</dt><dd>2</dd>" in sam_card
    assert "just now" in sam_card  # last sync
    assert "Idle" in priya_card
    assert "<dt>Visits today</dt><dd>1</dd>" in priya_card or _finished_yesterday(now)
    assert "<dt>Last sync</dt><dd>never</dd>" in priya_card
    assert "Gone Tech" not in html


def _finished_yesterday(now: datetime) -> bool:
    """A visit two hours ago may have been yesterday in Chicago just after midnight."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/Chicago")
    return (now - timedelta(hours=1)).astimezone(zone).date() != now.astimezone(zone).date()


def test_waiting_work_unassigned_requests_stock_and_failed_steps(client, office):
    """Unassigned open jobs, new requests, stock at or below reorder (negative first) and
    steps failed today are all on the dashboard."""
    tech = factories.make_user("tech")
    plotter = factories.make_equipment()
    waiting = factories.make_job(problem="Banding in cyan", status="new")
    factories.make_job(problem="Already sent", status="scheduled", assigned_to_id=tech.id)
    db.session.add(
        ServiceRequest(
            reference="SR-ABCDEF",
            equipment_id=plotter.id,
            name="Dana Ruiz",
            phone="555 0100",
            problem="Paper skews on load",
        )
    )
    warehouse = factories.make_location(name="Warehouse")
    van = factories.van_of(tech)
    low = factories.make_part(name="Cutter blade")
    negative = factories.make_part(name="Trailing cable")
    plenty = factories.make_part(name="Cleaning cloths")
    factories.set_limits(low, warehouse, 3)
    factories.set_limits(plenty, warehouse, 1)
    record_movement(low, warehouse, 2, "receive", actor_id=None)
    record_movement(negative, van, -1, "use", actor_id=None)
    record_movement(plenty, warehouse, 10, "receive", actor_id=None)
    version = factories.make_sop()
    visit = factories.make_visit(plotter, tech, started_at=datetime.now(UTC) - timedelta(hours=1))
    db.session.add(
        StepResult(
            visit_id=visit.id,
            step_id=version.steps[1].id,
            status="fail",
            note="Banding on the test print",
            by_id=tech.id,
        )
    )
    db.session.commit()

    html = client.get("/").get_data(as_text=True)
    unassigned = html.split('id="unassigned-h"')[1].split("</section>")[0]
    assert waiting.number in unassigned and "Banding in cyan" in unassigned
    assert "Already sent" not in unassigned
    assert "SR-ABCDEF" in html and "Paper skews on load" in html
    stock = html.split('id="stock-h"')[1].split("</section>")[0]
    assert stock.index("Trailing cable") < stock.index("Cutter blade")
    assert "-1 · count it" in stock and "Cleaning cloths" not in stock
    failed = html.split('id="failed-h"')[1].split("</section>")[0]
    assert "Test print before" in failed and "Banding on the test print" in failed


def test_empty_dashboard_has_real_empty_states(client, office):
    html = client.get("/").get_data(as_text=True)
    assert "No open jobs" in html and "No activity yet" in html
    assert "No technicians yet" in html and "No failed steps today." in html


def test_feed_poll_returns_new_events_then_304(client, office):
    """Does the feed send what is new since ?after=, and answer 304 when nothing is?"""
    record_event("job.created", "job", 1, "First", actor_id=office.id)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'data-feed data-after="' in page and "First" in page

    first = client.get("/api/v1/activity?after=0")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    latest = first.json["latest"]
    assert [e["summary"] for e in first.json["events"]] == ["First"]
    assert first.json["events"][0]["actor"] == "Maria Chen"

    quiet = client.get(f"/api/v1/activity?after={latest}", headers={"If-None-Match": etag})
    assert quiet.status_code == 304 and quiet.data == b""

    tech = factories.make_user("tech", name="Sam Okafor")
    job = factories.make_job()
    record_event("visit.logged", "visit", "x", "Sam logged fixed", actor_id=tech.id, job_id=job.id)
    db.session.commit()
    fresh = client.get(f"/api/v1/activity?after={latest}", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert [e["summary"] for e in fresh.json["events"]] == ["Sam logged fixed"]
    assert fresh.json["events"][0]["job"] == job.number
    assert fresh.json["events"][0]["url"] == f"/jobs/{job.id}"


def test_feed_is_for_the_office_only(client, auth):
    assert client.get("/api/v1/activity").status_code == 401
    auth.login("tech")
    response = client.get("/api/v1/activity")
    assert response.status_code == 403 and response.is_json


def test_the_owner_load_tile_shows_the_share_and_its_trend(client, office):
    """Does the dashboard show the owner's share of the last 4 weeks against half a year ago,
    with a bar per week?"""
    owner = factories.make_user("admin", name="Frank Owner")
    now = datetime.now(UTC)
    for weeks_ago, actor in ((25, owner), (25, owner), (24, owner), (1, office), (1, office)):
        event = record_event("job.assigned", "job", 1, "J-1001 assigned", actor_id=actor.id)
        event.at = now - timedelta(weeks=weeks_ago)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    tile = page.split('aria-labelledby="owner-h"')[1].split("</section>")[0]
    assert "<strong>0%</strong>" in tile and "against 100% half a year ago" in tile
    assert 26 <= tile.count('class="owner-bar') <= 27  # partial weeks at either end
    assert ", falling" in tile


def test_the_owner_load_tile_is_worked_out_once_a_quarter_hour(client, office, monkeypatch):
    """The half year of dispatches behind the tile is read once per OWNER_TREND_FOR: a second
    load shows the same figure without reading it, and once the time is up it is read again."""
    owner = factories.make_user("admin", name="Frank Owner")
    record_event("job.assigned", "job", 1, "J-1001 assigned", actor_id=owner.id)
    db.session.commit()

    def tile() -> str:
        page = client.get("/").get_data(as_text=True)
        return page.split('aria-labelledby="owner-h"')[1].split("</section>")[0]

    assert "<strong>100%</strong>" in tile()
    record_event("job.assigned", "job", 1, "J-1001 assigned", actor_id=office.id)
    db.session.commit()
    assert "<strong>100%</strong>" in tile()  # kept: not read again within the quarter hour
    clock = time.monotonic()
    monkeypatch.setattr(reports.time, "monotonic", lambda: clock + reports.OWNER_TREND_FOR + 1)
    assert "<strong>50%</strong>" in tile()
