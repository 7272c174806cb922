"""A tech's day: the visits on a timeline, time on site, parts used, what was planned."""

from __future__ import annotations

from datetime import datetime, timedelta

from fieldapp.extensions import db
from fieldapp.visits.models import StepResult
from tests import factories
from tests.office.dataset import CHICAGO


def test_a_day_of_visits_with_time_on_site_and_parts(client, auth, app):
    """Two visits (70 and 45 minutes), three parts at their cost, a failed step, and a job
    planned for the afternoon; the visit of the day before is not on this day."""
    auth.login("office")
    sam = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(sam)
    belt = factories.make_part(name="Carriage belt", unit_cost_cents=6900)
    head = factories.make_part(name="Printhead", unit_cost_cents=24900)
    acme = factories.make_equipment(factories.make_customer(name="Acme Architects"))
    birch = factories.make_equipment(factories.make_customer(name="Birch Builders"))
    first = factories.make_visit(
        acme,
        sam,
        started_at=datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO),
        parts=((belt, 1, van), (head, 2, van)),
    )
    first.finished_at = first.started_at + timedelta(minutes=70)
    second = factories.make_visit(
        birch, sam, started_at=datetime(2026, 3, 10, 13, 15, tzinfo=CHICAGO), summary="PM done"
    )
    second.finished_at = second.started_at + timedelta(minutes=45)
    factories.make_visit(acme, sam, started_at=datetime(2026, 3, 9, 23, 0, tzinfo=CHICAGO))
    version = factories.make_sop()
    db.session.add(
        StepResult(visit_id=first.id, step_id=version.steps[1].id, status="fail", by_id=sam.id)
    )
    planned = factories.make_job(
        birch.customer,
        equipment=birch,
        assigned_to_id=sam.id,
        status="scheduled",
        scheduled_for=datetime(2026, 3, 10, 16, 0, tzinfo=CHICAGO),
    )
    db.session.commit()

    html = client.get(f"/techs/{sam.id}/day?date=2026-03-10").get_data(as_text=True)
    assert "Tuesday, March 10, 2026" in html
    assert '<div class="value">2</div><div class="label">Visits</div>' in html
    assert "1 h 55 min" in html  # 70 + 45 minutes
    assert "Parts used · $567.00" in html  # 69 + 2 × 249
    assert "09:00–10:10" in html and "13:15–14:00" in html
    assert "Failed: Test print before" in html
    assert planned.number in html
    assert html.count('class="day-block') == 2
    previous = client.get(f"/techs/{sam.id}/day?date=2026-03-09").get_data(as_text=True)
    assert "23:00–0:00" in previous or "23:00–00:00" in previous


def test_an_empty_day_and_a_bad_date(client, auth, app):
    auth.login("office")
    sam = factories.make_user("tech", name="Sam Okafor")
    html = client.get(f"/techs/{sam.id}/day?date=2026-03-10").get_data(as_text=True)
    assert "No visits on this day" in html
    bad = client.get(f"/techs/{sam.id}/day?date=yesterday").get_data(as_text=True)
    assert "Enter the date as YYYY-MM-DD, e.g. 2026-09-01. Showing today instead." in bad
    for far in ("9999-12-31", "0001-01-01"):
        response = client.get(f"/techs/{sam.id}/day?date={far}")
        assert response.status_code == 200
        assert "Enter a date between 2000 and 2099" in response.get_data(as_text=True)
    office = factories.make_user("office")
    assert client.get(f"/techs/{office.id}/day").status_code == 404
    assert client.get("/techs/9999/day").status_code == 404
