"""Jobs: creating them and moving them through their states, one state machine for everyone."""

from __future__ import annotations

from datetime import datetime, timedelta

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.errors import Conflict, Forbidden, Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import (
    DURATION_MINUTES,
    JOB_KINDS,
    JOB_PRIORITIES,
    JOB_SOURCES,
    JOB_STATUSES,
    WINDOW_MINUTES,
    Job,
    job_id_from_number,
)
from fieldapp.localtime import company_zone, local_date, local_time, local_today

# How far from now a job may be scheduled: a visit logged late, up to a year back; planned
# work, up to two years ahead. Anything else is a typo (1900, 9999) the office should see.
SCHEDULE_BACK = timedelta(days=365)
SCHEDULE_AHEAD = timedelta(days=2 * 365)


def schedule_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest instants a job may be scheduled for."""
    now = now or utcnow()
    return now - SCHEDULE_BACK, now + SCHEDULE_AHEAD


def _check_scheduled_for(scheduled_for: datetime | None) -> None:
    if scheduled_for is None:
        return
    earliest, latest = schedule_window()
    if not earliest <= scheduled_for <= latest:
        raise Invalid.field(
            "scheduled_for",
            f"Schedule the job between {local_date(earliest)} and {local_date(latest)}: "
            "from a year back to two years ahead.",
        )


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


def active_tech(user_id: int) -> User | None:
    """The user if they are an active technician (jobs go only to them), else None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active and user.role == "tech" else None


def may_act_on(user: User, job: Job) -> bool:
    """The one rule for every path (pages, API, sync, threads): office and admin act on every
    job; a tech on jobs assigned to them, and on an open job nobody has yet (starting a
    visit on it makes it theirs)."""
    if user.is_office:
        return True
    if job.assigned_to_id is None:
        return job.is_open
    return job.assigned_to_id == user.id


def refusal(user: User, job: Job) -> str | None:
    """Why user may not act on job, or None when they may."""
    if may_act_on(user, job):
        return None
    if job.assigned_to_id is None:
        return f"{job.number} is {STATUS_LABELS[job.status]}; only the office can change it."
    return f"{job.number} is assigned to {job.assigned_to.name}, not to you."


def check_may_act_on(user: User, job: Job) -> None:
    reason = refusal(user, job)
    if reason:
        raise Forbidden(reason, {"job": [reason]})


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
    if status != "scheduled":
        job.on_the_way_at = None  # on site, waiting for parts or closed: no longer on the way
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
    if assigned_to_id is not None and active_tech(assigned_to_id) is None:
        errors["assigned_to_id"] = ["Assign the job to an active technician."]
    try:
        _check_scheduled_for(scheduled_for)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid("The job is not complete.", errors)
    job = Job(
        customer_id=customer.id,
        equipment_id=equipment.id if equipment else None,
        kind=kind,
        problem=problem.strip(),
        error_code=error_code.strip(),
        priority=priority,
        source=source,
        caller_name=caller_name.strip(),
        caller_phone=caller_phone.strip(),
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
    return job


def _when(value: datetime | None) -> str:
    return f" for {local_time(value)}" if value else ", not scheduled yet"


def assign_job(
    job: Job,
    tech_id: int | None,
    scheduled_for: datetime | None,
    actor_id: int | None,
) -> Job:
    """Send a tech (or take the job back with tech_id None) and set when; a new job becomes
    scheduled. The tech sees it on Today at the next load; the office sees a job.assigned event."""
    if job.status in CLOSED:
        message = f"{job.number} is already {STATUS_LABELS[job.status]}; it cannot be assigned."
        raise Conflict(message, {"tech": [message]})
    tech = active_tech(tech_id) if tech_id is not None else None
    if tech_id is not None and tech is None:
        if tech_id == job.assigned_to_id and job.assigned_to is not None:
            others = "" if job.status == "in_progress" else ", or Nobody to leave it unassigned"
            raise Invalid.field(
                "tech",
                f"{job.assigned_to.name} is no longer active: choose who takes "
                f"{job.number}{others}.",
            )
        raise Invalid.field("tech", "Choose an active technician.")
    if tech_id is None and job.status == "in_progress":
        message = (
            f"{job.number} is in progress: a visit is under way. Reassign it to another tech "
            "instead of taking it back."
        )
        raise Conflict(message, {"tech": [message]})
    if job.assigned_to_id == tech_id and job.scheduled_for == scheduled_for:
        return job
    if scheduled_for != job.scheduled_for:
        _check_scheduled_for(scheduled_for)
    previous = db.session.get(User, job.assigned_to_id) if job.assigned_to_id else None
    if (tech_id, scheduled_for) != (job.assigned_to_id, job.scheduled_for):
        job.on_the_way_at = None  # a visit moved or handed on: nobody is on the way to it yet
    # The relationship too: a page that loaded the job with its tech must not see the old one.
    job.assigned_to, job.assigned_to_id, job.scheduled_for = tech, tech_id, scheduled_for
    job.updated_at = utcnow()
    if tech is not None and job.status == "new":
        change_job_status(job, "scheduled", actor_id=actor_id)
    elif tech is None and job.status == "scheduled":
        change_job_status(job, "new", actor_id=actor_id, reason="no tech assigned")
    when = _when(scheduled_for)
    verb = "job.assigned"
    if tech is None and previous is None:
        summary = f"{job.number} has no tech yet{when}"
    elif tech is None:
        verb, summary = "job.unassigned", f"{job.number} taken back from {previous.name}"
    elif previous is None:
        summary = f"{job.number} assigned to {tech.name}{when}"
    elif previous.id != tech.id:
        summary = f"{job.number} reassigned from {previous.name} to {tech.name}{when}"
    else:
        summary = f"{job.number} rescheduled: {tech.name}{when}"
    record_event(
        verb,
        "job",
        job.id,
        summary,
        actor_id=actor_id,
        job_id=job.id,
        equipment_id=job.equipment_id,
    )
    return job


def planned_time(job: Job, with_day: bool = False) -> str:
    """When a job is planned, as its tech reads it on Today: "09:00", "09:00–11:00" with an
    arrival window, the day too when it is not today (or always, with_day: as a customer
    reads it), or "Unscheduled"."""
    if job.scheduled_for is None:
        return "Unscheduled"
    zone = company_zone()
    start = job.scheduled_for.astimezone(zone)
    text = f"{start:%H:%M}"
    if job.arrival_window_minutes:
        text += f"–{start + timedelta(minutes=job.arrival_window_minutes):%H:%M}"
    if with_day or start.date() != local_today(zone):
        text = f"{local_date(start, '%a %b %d')}, {text}"
    return text


def _company_day(value: datetime):
    return value.astimezone(company_zone()).date()


def planned_today(job: Job, now: datetime | None = None) -> bool:
    """Whether the job's visit is planned for today (the company's day)."""
    return job.scheduled_for is not None and (
        _company_day(job.scheduled_for) == _company_day(now or utcnow())
    )


def on_the_way_today(job: Job, now: datetime | None = None) -> bool:
    """Whether the tech said "On my way" to this job today (the company's day)."""
    return job.on_the_way_at is not None and (
        _company_day(job.on_the_way_at) == _company_day(now or utcnow())
    )


def announce_on_the_way(job: Job, tech: User, at: datetime | None = None) -> bool:
    """The tech tapped "On my way" (at that time, perhaps offline) for today's visit: the
    job shows it, and the customer hears of it. False when it was told already today (a
    second tap), or the tap is older than the one the job has."""
    check_may_act_on(tech, job)
    now = utcnow()
    at = min(at or now, now)  # a phone clock ahead of ours does not announce the future
    if job.assigned_to_id != tech.id or job.status != "scheduled":
        mine = job.assigned_to_id == tech.id
        state = STATUS_LABELS[job.status] if mine else "not assigned to you"
        message = f"{job.number} is {state}: “On my way” is for a scheduled visit of yours."
        raise Conflict(message, {"job": [message]})
    if not planned_today(job, at):
        message = (
            f"{job.number} is planned for {local_date(job.scheduled_for, '%a %b %d')}: "
            "“On my way” is for today's visits."
        )
        raise Conflict(message, {"job": [message]})
    if on_the_way_today(job, at) or (job.on_the_way_at is not None and at < job.on_the_way_at):
        return False
    job.on_the_way_at = at
    record_event(
        "job.on_the_way",
        "job",
        job.id,
        f"{tech.name} is on the way to {job.customer.name} for {job.number}",
        actor_id=tech.id,
        job_id=job.id,
        equipment_id=job.equipment_id,
    )
    return True


def check_plan(duration_minutes: int | None, arrival_window_minutes: int) -> None:
    """A planned length in quarter hours within a working day, and a window of at most 4 h."""
    low, high = DURATION_MINUTES
    errors: dict[str, list[str]] = {}
    if duration_minutes is not None and not (
        low <= duration_minutes <= high and duration_minutes % 15 == 0
    ):
        errors["duration"] = [f"Plan from {low} to {high} minutes, in steps of 15."]
    low, high = WINDOW_MINUTES
    if not (low <= arrival_window_minutes <= high and arrival_window_minutes % 15 == 0):
        errors["arrival_window"] = [
            f"The arrival window is 0 to {high // 60} hours, in steps of 15 minutes."
        ]
    if errors:
        raise Invalid("The plan needs attention.", errors)


def schedule_job(
    job: Job,
    *,
    tech_id: int | None,
    start: datetime | None,
    duration_minutes: int | None,
    arrival_window_minutes: int,
    actor_id: int | None,
) -> Job:
    """Put a job on the schedule: the tech, the planned start, how long it is planned for
    (None: its type's default) and the arrival window promised to the customer (flush only).
    The tech's Today shows it at its next load, or the phone's next sync offline."""
    check_plan(duration_minutes, arrival_window_minutes)
    if start is None and tech_id is not None and job.status != "in_progress":
        raise Invalid.field("scheduled_for", "Choose when the tech should be there.")
    plan_changed = (job.duration_minutes, job.arrival_window_minutes) != (
        duration_minutes,
        arrival_window_minutes,
    )
    moved = (job.assigned_to_id, job.scheduled_for) != (tech_id, start)
    job.duration_minutes, job.arrival_window_minutes = duration_minutes, arrival_window_minutes
    assign_job(job, tech_id, start, actor_id)
    if plan_changed and not moved:
        length = f"{duration_minutes} min" if duration_minutes else "its type's usual length"
        window = f", arrival within {arrival_window_minutes} min" if arrival_window_minutes else ""
        job.updated_at = utcnow()
        record_event(
            "job.assigned",
            "job",
            job.id,
            f"{job.number} planned for {length}{window}",
            actor_id=actor_id,
            job_id=job.id,
            equipment_id=job.equipment_id,
        )
    return job


def open_job(
    *,
    actor_id: int | None,
    tech_id: int | None = None,
    scheduled_for: datetime | None = None,
    **fields,
) -> Job:
    """Open a job (the fields of create_job) and, when a tech is chosen, dispatch it at once.

    Every field is checked before anything is written, so the form shows all problems together.
    """
    errors: dict[str, list[str]] = {}
    if tech_id is not None:
        if active_tech(tech_id) is None:
            errors["tech"] = ["Choose an active technician, or leave the job unassigned."]
    elif scheduled_for is not None:
        errors["tech"] = ["Choose who goes at that time, or clear the time."]
    try:
        _check_scheduled_for(scheduled_for)
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        job = create_job(actor_id=actor_id, **fields)
    except Invalid as exc:  # create_job checks before it writes anything
        raise Invalid("The job is not complete.", {**exc.fields, **errors}) from exc
    if errors:  # the job create_job added goes with the unit of work's rollback
        raise Invalid("The job is not complete.", errors)
    if tech_id is not None:
        assign_job(job, tech_id, scheduled_for, actor_id)
    return job


def next_statuses(job: Job) -> list[str]:
    """The statuses the job may move to now, in the order of the workflow."""
    return [status for status in JOB_STATUSES if status in TRANSITIONS[job.status]]
