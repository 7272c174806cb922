"""Jobs: creating them and moving them through their states, one state machine for everyone."""

from __future__ import annotations

from datetime import datetime

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import JOB_KINDS, JOB_PRIORITIES, JOB_SOURCES, Job, job_id_from_number

# Which status may follow which. Everything not listed is refused with a reason.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"scheduled", "in_progress", "cancelled"}),
    "scheduled": frozenset({"new", "in_progress", "cancelled"}),
    "in_progress": frozenset({"new", "scheduled", "waiting_parts", "done", "cancelled"}),
    "waiting_parts": frozenset({"scheduled", "in_progress", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}
CLOSED = frozenset({"done", "cancelled"})
# What a finished visit's outcome does to its job.
STATUS_AFTER_OUTCOME = {
    "fixed": "done",
    "pm_done": "done",
    "no_fault_found": "done",
    "needs_parts": "waiting_parts",
    "needs_followup": "new",  # back to the office to plan the next visit
}
STATUS_LABELS = {
    "new": "new",
    "scheduled": "scheduled",
    "in_progress": "in progress",
    "waiting_parts": "waiting for parts",
    "done": "done",
    "cancelled": "cancelled",
}


def find_job(number_or_id: str | int | None) -> Job | None:
    """A job by its number (J-1042) or id."""
    if number_or_id in (None, ""):
        return None
    job_id = job_id_from_number(number_or_id)
    return db.session.get(Job, job_id) if job_id else None


def transition_error(job: Job, status: str) -> str | None:
    """Why the job cannot move to status now, or None when it can."""
    if status not in TRANSITIONS:
        return f"“{status}” is not a job status."
    if status == job.status:
        return None
    if status not in TRANSITIONS[job.status]:
        now = STATUS_LABELS[job.status]
        if job.status in CLOSED:
            return f"{job.number} is already {now}; it cannot become {STATUS_LABELS[status]}."
        return f"{job.number} is {now}; it cannot go to {STATUS_LABELS[status]} from there."
    return None


def change_job_status(
    job: Job, status: str, *, actor_id: int | None, reason: str = "", at: datetime | None = None
) -> Job:
    """Move a job to a new status (in the caller's transaction) and tell the office."""
    error = transition_error(job, status)
    if error:
        raise Conflict(error, {"status": [error]})
    if status == job.status:
        return job
    previous, job.status = job.status, status
    job.updated_at = at or utcnow()
    job.closed_at = (at or utcnow()) if status in CLOSED else None
    summary = f"{job.number} {STATUS_LABELS[previous]} → {STATUS_LABELS[status]}"
    if reason:
        summary += f": {reason}"
    record_event(
        "job.status",
        "job",
        job.id,
        summary,
        actor_id=actor_id,
        job_id=job.id,
        equipment_id=job.equipment_id,
    )
    return job


def set_job_status(job: Job, status: str, *, actor_id: int | None, reason: str = "") -> Job:
    """change_job_status as its own transaction (pages and the API)."""
    change_job_status(job, status, actor_id=actor_id, reason=reason)
    db.session.commit()
    return job


def create_job(
    *,
    customer_id: int | None,
    equipment_id: int | None,
    problem: str,
    actor_id: int | None,
    kind: str = "repair",
    priority: str = "normal",
    source: str = "phone",
    error_code: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    assigned_to_id: int | None = None,
    scheduled_for: datetime | None = None,
    follow_up_of_id: int | None = None,
    commit: bool = True,
) -> Job:
    """Open a job; with a plotter, the customer is the plotter's owner."""
    errors: dict[str, list[str]] = {}
    equipment = db.session.get(Equipment, equipment_id) if equipment_id else None
    if equipment_id and equipment is None:
        errors["equipment_id"] = ["That plotter does not exist."]
    if equipment is not None:
        customer_id = equipment.customer_id
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        errors["customer_id"] = ["Choose the customer."]
    if not problem.strip():
        errors["problem"] = ["Describe the problem: what the caller sees, any error code."]
    if kind not in JOB_KINDS:
        errors["kind"] = [f"Kind must be one of: {', '.join(JOB_KINDS)}."]
    if priority not in JOB_PRIORITIES:
        errors["priority"] = [f"Priority must be one of: {', '.join(JOB_PRIORITIES)}."]
    if source not in JOB_SOURCES:
        errors["source"] = [f"Source must be one of: {', '.join(JOB_SOURCES)}."]
    if assigned_to_id is not None:
        tech = db.session.get(User, assigned_to_id)
        if tech is None or not tech.active or tech.role != "tech":
            errors["assigned_to_id"] = ["Assign the job to an active technician."]
    if errors:
        raise Invalid("The job is not complete.", errors)
    job = Job(
        customer_id=customer.id,
        equipment_id=equipment.id if equipment else None,
        kind=kind,
        problem=problem.strip(),
        error_code=error_code.strip()[:40],
        priority=priority,
        source=source,
        caller_name=caller_name.strip()[:120],
        caller_phone=caller_phone.strip()[:40],
        assigned_to_id=assigned_to_id,
        scheduled_for=scheduled_for,
        status="scheduled" if assigned_to_id and scheduled_for else "new",
        created_by_id=actor_id,
        follow_up_of_id=follow_up_of_id,
    )
    db.session.add(job)
    db.session.flush()
    what = f"{equipment.display_name} at " if equipment else ""
    record_event(
        "job.created",
        "job",
        job.id,
        f"{job.number} opened for {what}{customer.name}: {job.problem[:160]}",
        actor_id=actor_id,
        job_id=job.id,
        equipment_id=job.equipment_id,
    )
    if commit:
        db.session.commit()
    return job
