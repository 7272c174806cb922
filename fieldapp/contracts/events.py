"""What contracts do when things happen, listening on the activity feed in the event's own
transaction: a call on a covered plotter gets its response deadline, the first visit meets
it, and a PM visit done resets its plan."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fieldapp.activity.models import ActivityEvent
from fieldapp.activity.services import event_recorded
from fieldapp.contracts.planner import refresh_plotter, reset_after_pm
from fieldapp.contracts.queries import contract_covering
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.localtime import company_zone
from fieldapp.visits.models import Visit


def _response_deadline(event: ActivityEvent) -> None:
    job = db.session.get(Job, event.job_id) if event.job_id else None
    if job is None or job.equipment_id is None or job.kind == "preventive":
        return
    day = job.created_at.astimezone(company_zone()).date()
    contract = contract_covering(job.equipment_id, day)
    if contract is None:
        return
    job.contract_id = contract.id
    if contract.response_hours:
        job.respond_by = job.created_at + timedelta(hours=contract.response_hours)


def _visit(event: ActivityEvent) -> Visit | None:
    try:
        return db.session.get(Visit, uuid.UUID(event.subject_id))
    except ValueError:
        return None


def _responded(visit: Visit) -> None:
    job = visit.job
    if job is not None and job.respond_by is not None and job.responded_at is None:
        job.responded_at = visit.started_at


HANDLERS = {"job.created", "visit.started", "visit.logged"}


@event_recorded.connect
def on_event(event: ActivityEvent) -> None:
    if event.verb not in HANDLERS:
        return
    if event.verb == "job.created":
        _response_deadline(event)
        return
    visit = _visit(event)
    if visit is None:
        return
    _responded(visit)
    if event.verb == "visit.logged":
        db.session.flush()  # the visit's meter reading is written
        if visit.outcome == "pm_done":
            reset_after_pm(visit)
        else:
            refresh_plotter(visit.equipment_id)
