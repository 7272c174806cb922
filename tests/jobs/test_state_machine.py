"""Job states move through one state machine; every change is an activity event."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.errors import Conflict
from fieldapp.extensions import db
from fieldapp.jobs.services import TRANSITIONS, change_job_status
from fieldapp.unit_of_work import unit_of_work
from tests import factories

ALL = ("new", "scheduled", "in_progress", "waiting_parts", "done", "cancelled")


@pytest.mark.parametrize("start", ALL)
@pytest.mark.parametrize("target", ALL)
def test_every_transition_is_allowed_or_refused_with_a_reason(app, start, target):
    job = factories.make_job(status=start)
    if target == start or target in TRANSITIONS[start]:
        with unit_of_work():
            change_job_status(job, target, actor_id=None)
        assert job.status == target
        if target != start:
            assert (job.closed_at is not None) == (target in ("done", "cancelled"))
    else:
        with pytest.raises(Conflict) as refused, unit_of_work():
            change_job_status(job, target, actor_id=None)
        assert job.number in refused.value.message
        db.session.refresh(job)
        assert job.status == start


def test_each_change_is_an_activity_event(app):
    tech = factories.make_user("tech")
    job = factories.make_job(status="scheduled")
    with unit_of_work():
        change_job_status(job, "in_progress", actor_id=tech.id)
        change_job_status(job, "waiting_parts", actor_id=tech.id, reason="needs parts")
    events = db.session.scalars(
        sa.select(ActivityEvent)
        .where(ActivityEvent.verb == "job.status")
        .order_by(ActivityEvent.id)
    ).all()
    assert [e.summary for e in events] == [
        f"{job.number} scheduled → in progress",
        f"{job.number} in progress → waiting for parts: needs parts",
    ]
    assert all(e.job_id == job.id and e.actor_id == tech.id for e in events)


def test_closed_jobs_stay_closed(app):
    job = factories.make_job(status="done")
    with pytest.raises(Conflict, match="already done"):
        change_job_status(job, "in_progress", actor_id=None)
