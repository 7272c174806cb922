"""The schedule: a lane per tech on a day or a week, jobs planned with a length and an
arrival window, overlaps and hours outside the working day shown, and what waits for a time
or a tech; the plan form (the keyboard's path) and the drop's JSON answer; Today follows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from tests import factories

CHICAGO = ZoneInfo("America/Chicago")


def next_tuesday() -> date:
    today = datetime.now(CHICAGO).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 + 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


@pytest.fixture
def crew():
    sam = factories.make_user("tech", name="Sam Okafor")
    ines = factories.make_user("tech", name="Ines Duarte")
    gone = factories.make_user("tech", name="Gone Tech", active=False)
    return sam, ines, gone


def chips(page: str) -> dict[str, str]:
    """Each job chip on the page by job number, with its markup."""
    found = {}
    for match in re.finditer(r'<a class="plan-chip[^"]*"[^>]*>.*?</a>', page, re.S):
        number = re.search(r"<strong>(J-\d+)</strong>", match.group(0)).group(1)
        found[number] = match.group(0)
    return found


def test_the_day_has_a_lane_per_tech_with_each_plan_in_place(client, auth, crew):
    """Is each job in its tech's lane at its time and length, an overlap and a job after
    hours marked, and the job types' usual length used when a job has none?"""
    sam, ines, _ = crew
    day = next_tuesday()
    auth.login("office")
    first = factories.make_job(assigned_to_id=sam.id, status="scheduled", scheduled_for=at(day, 9))
    overlap = factories.make_job(
        assigned_to_id=sam.id,
        status="scheduled",
        scheduled_for=at(day, 10, 30),
        duration_minutes=60,
        arrival_window_minutes=120,
    )
    late = factories.make_job(
        assigned_to_id=ines.id, status="scheduled", scheduled_for=at(day, 16), kind="install"
    )
    other_day = factories.make_job(
        assigned_to_id=ines.id, status="scheduled", scheduled_for=at(day + timedelta(days=1), 9)
    )
    page = client.get(f"/schedule?date={day.isoformat()}").get_data(as_text=True)
    found = chips(page)
    assert set(found) == {first.number, overlap.number, late.number}
    # A repair is planned for 2 hours (9:00-11:00): the 10:30 job overlaps it.
    assert "09:00–11:00" in found[first.number]
    assert f"Overlaps {overlap.number}" in found[first.number]
    assert f"Overlaps {first.number}" in found[overlap.number]
    assert "10:30–11:30 · arrives by 12:30" in found[overlap.number]
    # 9 working hours from 08:00: 9:00 is 1/9 of the way, 2 hours are 2/9 wide.
    assert 'data-left="11.11" data-width="22.22"' in found[first.number]
    assert "Outside working hours" in found[late.number]  # an install: 16:00-19:00
    assert "Outside working hours" not in found[first.number]
    lanes = re.findall(r'data-tech="(\d+)" data-date="([\d-]+)"', page)
    assert {int(tech) for tech, _ in lanes} == {sam.id, ines.id}  # no lane for the inactive
    assert "1 overlapping" not in page and "2 overlapping" in page
    assert other_day.number not in page.split('id="waiting-h"')[0]


def test_the_week_puts_each_job_on_its_day(client, auth, crew):
    sam, ines, _ = crew
    day = next_tuesday()
    auth.login("office")
    thursday = factories.make_job(
        assigned_to_id=ines.id, status="scheduled", scheduled_for=at(day + timedelta(days=2), 13)
    )
    page = client.get(f"/schedule?view=week&date={day.isoformat()}").get_data(as_text=True)
    monday = day - timedelta(days=1)
    cells = re.findall(r'data-tech="(\d+)" data-date="([\d-]+)"', page)
    assert len(cells) == 2 * 7 and cells[0][1] == monday.isoformat()
    cell = page.split(f'data-tech="{ines.id}" data-date="{(day + timedelta(days=2)).isoformat()}"')
    assert thursday.number in cell[1].split("data-drop")[0]
    assert "Week of" in page


def test_what_waits_for_a_time_or_a_tech(client, auth, crew):
    """Are jobs with no time, no tech or an inactive tech listed, and those under way or
    closed not?"""
    sam, _, gone = crew
    auth.login("office")
    no_time = factories.make_job(assigned_to_id=sam.id, status="scheduled", scheduled_for=None)
    no_tech = factories.make_job(scheduled_for=None, priority="urgent")
    stranded = factories.make_job(assigned_to_id=gone.id, status="scheduled")
    busy = factories.make_job(assigned_to_id=sam.id, status="in_progress", scheduled_for=None)
    done = factories.make_job(status="done", scheduled_for=None)
    page = client.get("/schedule").get_data(as_text=True)
    waiting = page.split('id="waiting-h"')[1]
    for job in (no_time, no_tech, stranded):
        assert job.number in waiting
    for job in (busy, done):
        assert job.number not in waiting
    assert waiting.index(no_tech.number) < waiting.index(no_time.number)  # urgent first
    assert "Gone Tech is no longer active" in waiting
    assert '<span class="count-badge">3</span>' in page


def test_planning_a_job_with_the_form(client, auth, crew):
    """The keyboard's path: the plan page sets tech, start, length and window, the job
    becomes scheduled and the office's feed says so."""
    sam, _, _ = crew
    day = next_tuesday()
    auth.login("office")
    job = factories.make_job(scheduled_for=None)
    form = client.get(f"/jobs/{job.id}/schedule").get_data(as_text=True)
    assert "Leave empty for the usual 120 minutes" in form
    response = client.post(
        f"/jobs/{job.id}/schedule",
        data={
            "tech": str(sam.id),
            "scheduled_for": f"{day.isoformat()}T13:30",
            "duration": "90",
            "arrival_window": "60",
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/schedule?date={day.isoformat()}")
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.assigned_to_id, job.status) == (sam.id, "scheduled")
    assert job.scheduled_for == at(day, 13, 30)
    assert (job.duration_minutes, job.arrival_window_minutes) == (90, 60)
    summaries = db.session.scalars(sa.select(ActivityEvent.summary)).all()
    assert any(f"{job.number} assigned to Sam Okafor" in s for s in summaries)
    # Only the length changes: still said, once.
    client.post(
        f"/jobs/{job.id}/schedule",
        data={
            "tech": str(sam.id),
            "scheduled_for": f"{day.isoformat()}T13:30",
            "duration": "",
            "arrival_window": "60",
        },
    )
    db.session.expire_all()
    assert db.session.get(Job, job.id).duration_minutes is None
    summaries = db.session.scalars(sa.select(ActivityEvent.summary)).all()
    assert f"{job.number} planned for its type's usual length, arrival within 60 min" in summaries


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("duration", "10", "steps of 15"),
        ("duration", "725", "steps of 15"),
        ("duration", "50", "steps of 15"),
        ("duration", "99999999999", "whole minutes"),
        ("arrival_window", "300", "0 to 4 hours"),
        ("scheduled_for", "", "Choose when"),
        ("scheduled_for", "9999-12-31T10:00", "Enter a date between"),
        ("tech", "999999", "active technician"),
    ],
)
def test_a_bad_plan_is_explained_and_changes_nothing(client, auth, crew, field, value, message):
    sam, _, _ = crew
    day = next_tuesday()
    auth.login("office")
    job = factories.make_job(scheduled_for=None)
    data = {
        "tech": str(sam.id),
        "scheduled_for": f"{day.isoformat()}T09:00",
        "duration": "60",
        "arrival_window": "0",
        field: value,
    }
    response = client.post(f"/jobs/{job.id}/schedule", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    answer = client.post(
        f"/jobs/{job.id}/schedule", data=data, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 422 and message in str(answer.json["error"])
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.assigned_to_id, job.scheduled_for, job.duration_minutes) == (None, None, None)


def test_a_drop_answers_json_and_the_tech_sees_it_on_today(client, auth, crew):
    """The drag's path answers JSON; the tech's Today then shows the job with its window."""
    sam, _, _ = crew
    day = next_tuesday()
    auth.login("office")
    job = factories.make_job(scheduled_for=None)
    answer = client.post(
        f"/jobs/{job.id}/schedule",
        data={
            "tech": str(sam.id),
            "scheduled_for": f"{day.isoformat()}T10:15",
            "arrival_window": "120",
        },
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json == {"job": job.number}
    client.post("/logout", data={})
    auth.login(user=sam)
    today = client.get("/").get_data(as_text=True)
    item = today.split(f'data-job="{job.number}"')[1].split("</article>")[0]
    assert f"{day:%a %b} {day.day}, 10:15–12:15" in item
    pack = client.get("/api/v1/pack").json
    packed = next(entry for entry in pack["jobs"] if entry["number"] == job.number)
    assert packed["arrival_window_minutes"] == 120
    assert packed["scheduled_for"].startswith(at(day, 10, 15).isoformat()[:16])


def test_the_database_keeps_plans_in_range(app):
    """Does the database itself refuse a length or a window no form would send?"""
    job = factories.make_job()
    for column, value in (("duration_minutes", 5), ("arrival_window_minutes", 999)):
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.update(Job).where(Job.id == job.id).values({column: value}))
            db.session.flush()
        db.session.rollback()
