"""A tech's Today keeps up: /api/v1/me/activity (ETag/304) names what moved on the tech's own
jobs only, and Today's live parts (?part=live) are only that tech's jobs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.jobs.services import assign_job, schedule_job
from fieldapp.messages.services import post_message
from tests import factories
from tests.factories import committed


@pytest.fixture
def people(client, auth):
    sam = auth.login("tech", name="Sam Okafor")
    office = factories.make_user("office", name="Maria Chen")
    priya = factories.make_user("tech", name="Priya Natarajan")
    return sam, priya, office


def poll(client, etag: str | None = None, after: int = 0):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(f"/api/v1/me/activity?after={after}", headers=headers)


def test_my_activity_moves_for_my_jobs_only(client, people):
    """304 while nothing of mine moves (another tech's job may); 200 with the event when a job
    is assigned to me, rescheduled, or gets a message; and when one is taken from me."""
    sam, priya, office = people
    theirs = factories.make_job(status="scheduled", assigned_to_id=priya.id)
    first = poll(client)
    assert first.status_code == 200 and first.json == {"latest": 0, "jobs": [], "events": []}
    etag = first.headers["ETag"]

    committed(post_message, theirs, office, "Priya, the customer called")
    committed(assign_job, theirs, priya.id, datetime.now(UTC) + timedelta(hours=2), office.id)
    assert poll(client, etag).status_code == 304

    mine = factories.make_job(status="new", scheduled_for=None)
    committed(assign_job, mine, sam.id, None, office.id)
    moved = poll(client, etag)
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.json["jobs"] == [mine.number]
    assert "job.assigned" in [event["verb"] for event in moved.json["events"]]
    assert {event["job"] for event in moved.json["events"]} == {mine.number}
    etag, latest = moved.headers["ETag"], moved.json["latest"]
    assert poll(client, etag, latest).status_code == 304

    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    committed(
        schedule_job,
        mine,
        tech_id=sam.id,
        start=when,
        duration_minutes=60,
        arrival_window_minutes=0,
        actor_id=office.id,
    )
    rescheduled = poll(client, etag, latest)
    assert rescheduled.status_code == 200
    assert {event["job"] for event in rescheduled.json["events"]} == {mine.number}
    etag, latest = rescheduled.headers["ETag"], rescheduled.json["latest"]

    committed(post_message, mine, office, "Bring the belt kit")
    told = poll(client, etag, latest)
    assert [event["verb"] for event in told.json["events"]] == ["message.posted"]
    etag, latest = told.headers["ETag"], told.json["latest"]

    committed(assign_job, mine, priya.id, when, office.id)
    taken = poll(client, etag, latest)
    assert taken.status_code == 200 and taken.json["jobs"] == [] and taken.json["events"] == []


def test_my_activity_is_a_techs_own(client, auth):
    """Not signed in: 401; the office and the owner: 403 (they have the whole feed)."""
    assert client.get("/api/v1/me/activity").status_code == 401
    for role in ("office", "admin"):
        auth.login(role)
        response = client.get("/api/v1/me/activity")
        assert response.status_code == 403 and response.is_json
        auth.logout()


def test_today_live_parts_are_my_jobs_as_the_page_draws_them(client, people):
    """Does Today's fragment list my open jobs (with a new message's badge) exactly as the page
    does, and never another tech's job?"""
    sam, priya, office = people
    mine = factories.make_job(status="scheduled", assigned_to_id=sam.id, problem="Belt slips")
    theirs = factories.make_job(status="scheduled", assigned_to_id=priya.id, problem="Secret")
    committed(post_message, mine, office, "Bring the belt kit")

    page = client.get("/").get_data(as_text=True)
    response = client.get("/?part=live")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert mine.number in html and "Belt slips" in html
    assert theirs.number not in html and "Secret" not in html
    assert re.search(r"Messages <span class=\"nav-count\">1<", html)
    jobs = re.search(r'data-live="today-jobs">(.*?)</div>\n', html, re.S).group(1).strip()
    assert jobs and jobs in page
    # The page names its own version, so its first poll is a 304 when nothing moved.
    etag = re.search(r'data-etag="&#34;([^&]+)&#34;"|data-etag="&quot;([^&]+)&quot;"', page)
    assert etag
    quiet = poll(client, f'"{etag.group(1) or etag.group(2)}"')
    assert quiet.status_code == 304
