"""Service visits: start one, then record it complete, the same way from the page, the API
and the offline outbox. Recording is idempotent on the client-made visit id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.equipment.services import resolve_code
from fieldapp.errors import Conflict, Forbidden, Invalid
from fieldapp.extensions import db
from fieldapp.inventory.services import SOURCES, location_for, part_by_sku, use_part
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import (
    STATUS_AFTER_OUTCOME,
    assign_job,
    change_job_status,
    check_may_act_on,
    create_job,
    find_job,
    refusal,
    transition_error,
)
from fieldapp.photos.models import Photo
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.visits.models import (
    OUTCOME_LABELS,
    OUTCOMES,
    StepResult,
    Visit,
    VisitErrorCode,
)

# Which statuses each kind of step takes; "skipped" only ever for optional steps.
STATUSES_BY_KIND = {
    "check": ("done", "n/a", "skipped"),
    "pass_fail": ("pass", "fail", "n/a", "skipped"),
    "measure": ("done", "n/a", "skipped"),
    "photo": ("done", "n/a", "skipped"),
}
MAX_PARTS_PER_LINE = 99
MAX_SUMMARY = 5000
MAX_METER = 10**12 - 1  # a print counter or square feet: never near this
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class StepInput:
    step_id: int
    status: str
    value: float | None = None
    note: str = ""
    photo_id: uuid.UUID | None = None
    at: datetime | None = None
    follow_up: bool = False


@dataclass
class PartInput:
    sku: str
    quantity: int
    source: str = "van"


@dataclass
class VisitInput:
    """A complete visit as the page, the API and the outbox deliver it."""

    id: uuid.UUID
    equipment: str  # the QR token (or short code) of the plotter
    outcome: str
    started_at: datetime
    finished_at: datetime
    job: str | None = None
    summary: str = ""
    error_codes: list[str] = field(default_factory=list)
    meter_reading: int | None = None
    meter_note: str = ""
    steps: list[StepInput] = field(default_factory=list)
    parts: list[PartInput] = field(default_factory=list)
    photos: list[uuid.UUID] = field(default_factory=list)
    signoff_name: str = ""
    signature: uuid.UUID | None = None


@dataclass
class Recorded:
    visit: Visit
    duplicate: bool
    follow_up_jobs: list[Job] = field(default_factory=list)
    job_note: str = ""  # why the job's status was left alone, if it was


def last_meter_reading(equipment_id: int, *, excluding_visit: uuid.UUID | None = None):
    query = (
        sa.select(MeterReading)
        .where(MeterReading.equipment_id == equipment_id)
        .order_by(MeterReading.taken_at.desc(), MeterReading.id.desc())
        .limit(1)
    )
    if excluding_visit is not None:
        query = query.where(
            sa.or_(MeterReading.visit_id.is_(None), MeterReading.visit_id != excluding_visit)
        )
    return db.session.scalar(query)


def start_visit(
    *,
    visit_id: uuid.UUID,
    equipment: Equipment,
    tech: User,
    job: Job | None = None,
    sop_version: SopVersion | None = None,
    started_at: datetime | None = None,
    source: str = "web",
    strict_job: bool = True,
) -> Visit:
    """Open a visit on site: the job goes in progress and the office sees where the tech is.

    Starting the same visit id twice returns the first one (a double tap, a retry). With
    strict_job off (a start that happened offline, hours ago) a job the office closed
    meanwhile does not refuse the visit: the visit is kept and the job left as it is.
    """
    existing = db.session.get(Visit, visit_id)
    if existing is not None:
        if existing.tech_id != tech.id:
            raise Forbidden("That visit belongs to another technician.")
        return existing
    job_error = None
    if job is not None:
        check_may_act_on(tech, job)
        _check_job_fits(job, equipment, {})
        job_error = transition_error(job, "in_progress")
        if job_error and strict_job:
            raise Conflict(job_error, {"job": [job_error]})
    visit = Visit(
        id=visit_id,
        equipment_id=equipment.id,
        job_id=job.id if job else None,
        tech_id=tech.id,
        sop_version_id=sop_version.id if sop_version else None,
        status="in_progress",
        started_at=started_at or utcnow(),
        source=source,
    )
    db.session.add(visit)
    if job is not None and not job_error:
        if job.equipment_id is None:
            job.equipment_id = equipment.id
        if job.assigned_to_id is None:  # an open job nobody had: the tech on site takes it
            assign_job(job, tech.id, job.scheduled_for, tech.id)
        change_job_status(job, "in_progress", actor_id=tech.id, at=visit.started_at)
    record_event(
        "visit.started",
        "visit",
        visit.id,
        f"{tech.name} on site at {equipment.customer.name}: {equipment.display_name}"
        + (f" ({job.number})" if job else ""),
        actor_id=tech.id,
        job_id=job.id if job else None,
        equipment_id=equipment.id,
    )
    return visit


def _check_job_fits(job: Job, equipment: Equipment, errors: dict) -> None:
    if job.equipment_id is not None and job.equipment_id != equipment.id:
        errors["job"] = [f"{job.number} is for another plotter."]
    elif job.customer_id != equipment.customer_id:
        errors["job"] = [f"{job.number} is for another customer."]
    if errors.get("job"):
        raise Invalid(errors["job"][0], errors)


def record_visit(data: VisitInput, *, tech: User, source: str = "web") -> Recorded:
    """Record a complete visit (flush only): steps, parts, photos, meter, sign-off.

    Everything is checked first; an invalid visit writes nothing and says, field by field,
    what to fix. The same visit id sent again is recognised and changes nothing; sent twice
    at once, the loser's insert fails and, run again by the unit of work, finds the winner's.
    """
    existing = db.session.get(Visit, data.id)
    if existing is not None:
        if existing.tech_id != tech.id:
            raise Forbidden("That visit belongs to another technician; you cannot finish it.")
        if existing.status == "finished":
            return Recorded(existing, duplicate=True)
    checked = _validate(data, tech, existing)
    return _apply(data, tech, existing, checked, source)


@dataclass
class _Checked:
    equipment: Equipment
    job: Job | None
    version: SopVersion | None
    steps: dict[int, SopStep]
    parts: list[tuple]  # (Part, quantity, StockLocation)
    photos: list[Photo]
    signature: Photo | None
    error_codes: list[str]


def _validate(data: VisitInput, tech: User, existing: Visit | None) -> _Checked:
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    found = resolve_code(data.equipment or "")
    equipment = found.equipment if found.state in ("active", "revoked") else None
    if equipment is None:
        fail("equipment", "No plotter has that label. Scan it again or type its short code.")
    elif existing is not None and existing.equipment_id != equipment.id:
        fail("equipment", "This visit was started on another plotter.")

    job = None
    if data.job:
        job = find_job(data.job)
        if job is None:
            fail("job", f"There is no job {data.job}.")
        elif refusal(tech, job) and (existing is None or existing.job_id != job.id):
            fail("job", refusal(tech, job))
        elif equipment is not None:
            try:
                _check_job_fits(job, equipment, {})
            except Invalid as exc:
                fail("job", exc.message)
    elif existing is not None and existing.job_id:
        job = existing.job

    if data.outcome not in OUTCOMES:
        fail("outcome", f"Choose the outcome: {', '.join(OUTCOME_LABELS.values())}.")
    if data.finished_at < data.started_at:
        fail("finished_at", "The visit cannot finish before it started.")
    if data.finished_at > utcnow() + CLOCK_SKEW:
        fail("finished_at", "The finish time is in the future; check the phone's clock.")

    version, steps = _validate_steps(data, existing, fail)
    parts = _validate_parts(data, tech, fail)
    photos, signature = _validate_photos(data, tech, fail)

    if data.meter_reading is not None:
        if data.meter_reading < 0:
            fail("meter_reading", "A meter reading cannot be negative.")
        elif equipment is not None:
            last = last_meter_reading(equipment.id, excluding_visit=data.id)
            if last is not None and data.meter_reading < last.value and not data.meter_note.strip():
                fail(
                    "meter_note",
                    f"The reading is lower than the last one ({last.value:,} on "
                    f"{last.taken_at:%b %d, %Y}). Check it, or add a note saying why "
                    "(e.g. counter reset after a formatter swap).",
                )
    codes = []
    for code in data.error_codes:
        code = " ".join(code.split())
        if len(code) > 40:
            fail("error_codes", f"“{code[:20]}…” is too long for an error code.")
        elif code and code not in codes:
            codes.append(code)

    if errors:
        raise Invalid("The visit is not complete.", errors)
    return _Checked(equipment, job, version, steps, parts, photos, signature, codes)


def _validate_steps(data: VisitInput, existing: Visit | None, fail):
    if not data.steps:
        if existing is not None and existing.sop_version_id:
            version = db.session.get(SopVersion, existing.sop_version_id)
            _require(version, {}, fail)
            return version, {}
        return None, {}
    ids = [step.step_id for step in data.steps]
    if len(set(ids)) != len(ids):
        fail("steps", "A step appears twice.")
    steps = {
        step.id: step
        for step in db.session.scalars(sa.select(SopStep).where(SopStep.id.in_(set(ids))))
    }
    version_ids = {step.version_id for step in steps.values()}
    for index, given in enumerate(data.steps):
        step = steps.get(given.step_id)
        where = f"steps.{index}"
        if step is None:
            fail(f"{where}.step", f"There is no SOP step {given.step_id}.")
            continue
        allowed = STATUSES_BY_KIND[step.kind]
        if given.status not in allowed:
            fail(f"{where}.status", f"“{step.title}” takes one of: {', '.join(allowed)}.")
        if given.status == "skipped" and step.required:
            fail(f"{where}.status", f"“{step.title}” is required; it cannot be skipped.")
        if step.kind == "measure" and given.status == "done" and given.value is None:
            fail(f"{where}.value", f"Enter the measured value for “{step.title}”.")
        if step.kind == "photo" and given.status == "done" and given.photo_id is None:
            fail(f"{where}.photo", f"Take the photo for “{step.title}”.")
        if given.follow_up and given.status != "fail":
            fail(f"{where}.follow_up", "Only a failed step can raise a follow-up job.")
    if len(version_ids) > 1:
        fail("steps", "The steps come from different SOPs or versions.")
        return None, steps
    version = db.session.get(SopVersion, version_ids.pop()) if version_ids else None
    # The tech may switch procedure on site: the steps recorded decide which version it was.
    if version is not None:
        _require(version, {s.step_id: s for s in data.steps}, fail)
    return version, steps


def _require(version: SopVersion, given: dict, fail) -> None:
    missing = [
        f"{step.position}. {step.title}"
        for step in version.steps
        if step.required and (step.id not in given or given[step.id].status == "skipped")
    ]
    if missing:
        fail("steps", "Required steps not done: " + "; ".join(missing))


def _validate_parts(data: VisitInput, tech: User, fail) -> list[tuple]:
    parts = []
    for index, line in enumerate(data.parts):
        where = f"parts.{index}"
        part = part_by_sku(line.sku or "")
        if part is None:
            fail(f"{where}.sku", f"There is no part numbered “{line.sku}”.")
        if not 1 <= line.quantity <= MAX_PARTS_PER_LINE:
            fail(f"{where}.quantity", f"Quantity must be between 1 and {MAX_PARTS_PER_LINE}.")
        if line.source not in SOURCES:
            fail(f"{where}.from", "Parts come from the van or the warehouse.")
            continue
        try:
            location = location_for(line.source, tech.id)
        except Invalid as exc:
            fail(f"{where}.from", exc.message)
            continue
        if part is not None:
            parts.append((part, line.quantity, location))
    return parts


def _validate_photos(data: VisitInput, tech: User, fail):
    wanted = set(data.photos) | {s.photo_id for s in data.steps if s.photo_id}
    if data.signature:
        wanted.add(data.signature)
    found = (
        {
            photo.id: photo
            for photo in db.session.scalars(sa.select(Photo).where(Photo.id.in_(wanted)))
        }
        if wanted
        else {}
    )
    for photo_id in wanted:
        photo = found.get(photo_id)
        if photo is None:
            fail("photos", f"Photo {photo_id} has not been uploaded yet.")
        elif photo.uploaded_by_id != tech.id:
            fail("photos", f"Photo {photo_id} was uploaded by someone else.")
        elif (
            photo.message_id
            or photo.service_request_id
            or (photo.visit_id and photo.visit_id != data.id)
        ):
            fail("photos", f"Photo {photo_id} already belongs to something else.")
    signature = found.get(data.signature) if data.signature else None
    if signature is not None and signature.kind != "signature":
        fail("signoff", "The signature must be uploaded as a signature.")
    photos = [found[p] for p in data.photos if p in found]
    return photos, signature


def _apply(
    data: VisitInput, tech: User, existing: Visit | None, checked: _Checked, source: str
) -> Recorded:
    equipment, job = checked.equipment, checked.job
    visit = existing or Visit(id=data.id, tech_id=tech.id, source=source)
    visit.equipment_id = equipment.id
    visit.job_id = job.id if job else None
    visit.sop_version_id = checked.version.id if checked.version else visit.sop_version_id
    visit.status = "finished"
    visit.started_at, visit.finished_at = data.started_at, data.finished_at
    visit.outcome = data.outcome
    visit.summary = data.summary.strip()
    visit.signoff_name = data.signoff_name.strip()[:120]
    if existing is None:
        db.session.add(visit)
    db.session.flush()

    recorded = Recorded(visit, duplicate=False)
    previous = {
        result.step_id: result
        for result in db.session.scalars(
            sa.select(StepResult).where(StepResult.visit_id == visit.id)
        )
    }
    for given in data.steps:
        result = previous.get(given.step_id) or StepResult(visit_id=visit.id, step_id=given.step_id)
        result.status, result.value = given.status, given.value
        result.note, result.photo_id = given.note.strip(), given.photo_id
        result.by_id, result.at = tech.id, given.at or data.finished_at
        db.session.add(result)
        step = checked.steps[given.step_id]
        if given.status == "fail":
            _step_failed(visit, equipment, step, given, tech, result, recorded)

    for photo in checked.photos:
        photo.visit_id = visit.id
    for given in data.steps:
        if given.photo_id:
            db.session.get(Photo, given.photo_id).visit_id = visit.id
    if checked.signature is not None:
        checked.signature.visit_id = visit.id

    db.session.add_all(VisitErrorCode(visit_id=visit.id, code=code) for code in checked.error_codes)
    if data.meter_reading is not None:
        db.session.add(
            MeterReading(
                equipment_id=equipment.id,
                value=data.meter_reading,
                taken_at=data.finished_at,
                visit_id=visit.id,
                recorded_by_id=tech.id,
                note=data.meter_note.strip()[:300],
            )
        )
    for part, quantity, location in checked.parts:
        use_part(
            part,
            location,
            quantity,
            actor_id=tech.id,
            visit_id=visit.id,
            equipment_id=equipment.id,
            job_id=job.id if job else None,
        )

    if job is not None:
        target = STATUS_AFTER_OUTCOME[data.outcome]
        if job.assigned_to_id is None and job.is_open:
            assign_job(job, tech.id, job.scheduled_for, tech.id)
        if job.status != "in_progress" and not transition_error(job, "in_progress"):
            change_job_status(job, "in_progress", actor_id=tech.id, at=data.started_at)
        error = transition_error(job, target)
        if error:
            # The visit is the tech's record of work done; it is kept even when the job moved on.
            recorded.job_note = error
        else:
            change_job_status(
                job,
                target,
                actor_id=tech.id,
                at=data.finished_at,
                reason=OUTCOME_LABELS[data.outcome].lower(),
            )
    summary = visit.summary.split("\n")[0][:200] or OUTCOME_LABELS[data.outcome]
    record_event(
        "visit.logged",
        "visit",
        visit.id,
        f"{tech.name} logged {OUTCOME_LABELS[data.outcome].lower()} on the "
        f"{equipment.display_name} at {equipment.customer.name}: {summary}",
        actor_id=tech.id,
        job_id=job.id if job else None,
        equipment_id=equipment.id,
    )
    return recorded


def _step_failed(visit, equipment, step, given, tech, result, recorded) -> None:
    record_event(
        "step.failed",
        "visit",
        visit.id,
        f"Step failed on the {equipment.display_name} at {equipment.customer.name}: "
        f"{step.title}" + (f" — {given.note.strip()}" if given.note.strip() else ""),
        actor_id=tech.id,
        job_id=visit.job_id,
        equipment_id=equipment.id,
    )
    if given.follow_up and result.follow_up_job_id is None:
        job = create_job(
            customer_id=equipment.customer_id,
            equipment_id=equipment.id,
            problem=f"Follow-up: “{step.title}” failed on the visit of "
            f"{visit.started_at:%b %d}" + (f". {given.note.strip()}" if given.note.strip() else ""),
            actor_id=tech.id,
            source="follow_up",
            follow_up_of_id=visit.job_id,
        )
        result.follow_up_job_id = job.id
        recorded.follow_up_jobs.append(job)
