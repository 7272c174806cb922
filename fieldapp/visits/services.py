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
from fieldapp.errors import Conflict, Forbidden, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.queries import parts_used_on, returns_of_visit
from fieldapp.inventory.returns import sync_visit_returns
from fieldapp.inventory.services import SOURCES, location_for, part_by_sku, return_part, use_part
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
from fieldapp.localtime import local_date
from fieldapp.photos.models import Photo
from fieldapp.photos.services import photos_by_id, remove_photo
from fieldapp.settings.services import visit_settings
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.sops.services import current_versions, suggested_version
from fieldapp.visits.models import OUTCOME_LABELS, StepResult, Visit, VisitErrorCode
from fieldapp.visits.rules import (
    Context,
    Given,
    StepRule,
    check_visit,
    measured_label,
    message,
    meter_from_steps,
    recorded_status,
)


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
    # The part taken out is defective and goes back to the supplier (a return is logged).
    defective: bool = False
    serial: str = ""  # of the defective part taken out, when it has one


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
    sop_version: int | None = None  # the procedure followed (its steps say it, when any)


# How long after finishing a visit its tech may still correct it.
CORRECTION_WINDOW = timedelta(hours=24)


@dataclass
class Recorded:
    visit: Visit
    duplicate: bool
    follow_up_jobs: list[Job] = field(default_factory=list)
    job_note: str = ""  # why the job's status was left alone, if it was


def procedure_kinds() -> tuple[str, ...]:
    """The job kinds whose visits must follow a procedure: those the office set in Settings,
    when a procedure for them is published (with none, no visit could be logged at all)."""
    versions = current_versions()
    return tuple(
        kind for kind in visit_settings().procedure_kinds if suggested_version(kind, versions)
    )


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
        if sop_version is None and job.kind in procedure_kinds():
            text = message("procedure_required", kind=job.kind.replace("_", " "))
            raise Invalid(text, {"sop_version": [text]})
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
    parts: list[tuple]  # (Part, quantity, StockLocation, PartInput)
    photos: list[Photo]
    signature: Photo | None
    error_codes: list[str]
    meter_reading: int | None  # as given, or from the procedure's meter step

    @property
    def defective(self) -> list[tuple]:
        """(Part, PartInput) of each line whose old part goes back to the supplier."""
        return [(part, line) for part, _, _, line in self.parts if line.defective]


def _validate(data: VisitInput, tech: User, existing: Visit | None) -> _Checked:
    """The visit's rules (visits/rules.py, the phone's too), then what only the server can
    know: the plotter, the job, the SOP steps, the parts and the photos as stored now."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    found = resolve_code(data.equipment or "")
    equipment = found.equipment if found.state in ("active", "revoked") else None
    if equipment is None:
        fail("equipment", "No plotter has that label. Scan it again or type its short code.")
    elif existing is not None and existing.equipment_id != equipment.id:
        fail("equipment", "This visit was started on another plotter.")
    elif equipment.status == "retired" and (existing is None or existing.status != "finished"):
        fail(
            "equipment",
            f"The {equipment.display_name} at {equipment.customer.name} is retired: we no "
            "longer service it. Ask the office.",
        )

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

    version, steps = _procedure(data, existing, fail)
    last = last_meter_reading(equipment.id, excluding_visit=data.id) if equipment else None
    step_rules = tuple(StepRule.of(step) for step in version.steps) if version else ()
    context = Context(
        steps=step_rules,
        job_kind=job.kind if job else None,
        # Only a visit with no procedure is checked against the kinds that need one.
        procedure_kinds=() if step_rules else procedure_kinds(),
        last_meter=last.value if last else None,
        now=utcnow(),
    )
    for name, messages in check_visit(Given.of(data), context).items():
        for text in messages:
            fail(name, text)
    parts = _validate_parts(data, tech, fail)
    photos, signature = _validate_photos(data, tech, fail)
    codes = []
    for code in data.error_codes:
        code = " ".join(code.split())
        if code and code not in codes:
            codes.append(code)
    if errors:
        raise Invalid("The visit is not complete.", errors)
    meter = data.meter_reading
    if meter is None:
        meter = meter_from_steps(Given.of(data), context.steps)
    return _Checked(equipment, job, version, steps, parts, photos, signature, codes, meter)


def _procedure(data: VisitInput, existing: Visit | None, fail):
    """The SOP version the visit followed: the one its steps belong to (the tech may switch
    procedure on site), else the one it was started with."""
    if not data.steps:
        chosen = existing.sop_version_id if existing is not None else None
        chosen = chosen or data.sop_version
        if chosen is None:
            return None, {}
        version = db.session.get(SopVersion, chosen)
        if version is None:
            fail("sop_version", f"There is no SOP version {chosen}.")
        return version, {}
    ids = {step.step_id for step in data.steps}
    steps = {
        step.id: step for step in db.session.scalars(sa.select(SopStep).where(SopStep.id.in_(ids)))
    }
    for index, given in enumerate(data.steps):
        if given.step_id not in steps:
            fail(f"steps.{index}.step", f"There is no SOP step {given.step_id}.")
    version_ids = {step.version_id for step in steps.values()}
    if len(version_ids) > 1:
        fail("steps", "The steps come from different SOPs or versions.")
        return None, steps
    version = db.session.get(SopVersion, version_ids.pop()) if version_ids else None
    return version, steps


def _validate_parts(data: VisitInput, tech: User, fail) -> list[tuple]:
    parts = []
    for index, line in enumerate(data.parts):
        where = f"parts.{index}"
        part = part_by_sku(line.sku or "")
        if part is None:
            fail(f"{where}.sku", f"There is no part numbered “{line.sku}”.")
        elif not part.active:
            fail(f"{where}.sku", f"{part.name} ({part.sku}) is no longer in the parts list.")
            part = None
        if line.source not in SOURCES:
            fail(f"{where}.from", "Parts come from the van or the warehouse.")
            continue
        try:
            location = location_for(line.source, tech.id)
        except Invalid as exc:
            fail(f"{where}.from", exc.message)
            continue
        if part is not None:
            parts.append((part, line.quantity, location, line))
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


def amend_visit(data: VisitInput, *, tech: User) -> Recorded:
    """Correct a finished visit (its tech, within a day of finishing it) with the complete
    visit as it should have been: the same rules as recording it, every change in the
    activity history, and parts adjusted by compensating ledger lines, never deleted."""
    visit = db.session.get(Visit, data.id)
    if visit is None or visit.status != "finished":
        raise NotFound("There is no finished visit with that id to correct.")
    if visit.tech_id != tech.id:
        raise Forbidden("Only the technician who logged a visit can correct it.")
    if utcnow() - visit.finished_at > CORRECTION_WINDOW:
        raise Conflict(
            "A visit can be corrected for 24 hours after it finished; ask the office to add "
            "a note instead."
        )
    return _apply(data, tech, visit, _validate(data, tech, visit), visit.source)


def correctable(visit: Visit, user: User) -> bool:
    """May this person still correct this visit?"""
    return (
        visit.status == "finished"
        and visit.tech_id == user.id
        and utcnow() - visit.finished_at <= CORRECTION_WINDOW
    )


def abandon_visit(visit: Visit, *, tech: User) -> None:
    """Drop a visit started but never finished (started on a phone that is gone, or by
    mistake): its job goes back to where it was before the start."""
    if visit.tech_id != tech.id:
        raise Forbidden("That visit belongs to another technician.")
    if visit.status != "in_progress":
        raise Conflict("That visit is finished; it can be corrected, not abandoned.")
    job = visit.job
    db.session.delete(visit)
    db.session.flush()
    if job is not None and job.status == "in_progress" and not _visits_in_progress_on(job):
        back = "scheduled" if job.assigned_to_id and job.scheduled_for else "new"
        change_job_status(job, back, actor_id=tech.id, reason="visit abandoned")
    record_event(
        "visit.abandoned",
        "visit",
        visit.id,
        f"{tech.name} abandoned an unfinished visit on the {visit.equipment.display_name} "
        f"at {visit.equipment.customer.name}",
        actor_id=tech.id,
        job_id=job.id if job else None,
        equipment_id=visit.equipment_id,
    )


def _visits_in_progress_on(job: Job) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .where(Visit.job_id == job.id, Visit.status == "in_progress")
    )


def _apply(
    data: VisitInput, tech: User, existing: Visit | None, checked: _Checked, source: str
) -> Recorded:
    """Write the visit. A first record (of a new or a started visit) uses its parts and moves
    its job; a correction of a finished one writes only the differences."""
    equipment, job = checked.equipment, checked.job
    amending = existing is not None and existing.status == "finished"
    before = _snapshot(existing) if amending else None
    visit = existing or Visit(id=data.id, tech_id=tech.id, source=source)
    visit.equipment_id = equipment.id
    visit.job_id = job.id if job else None
    visit.sop_version_id = checked.version.id if checked.version else visit.sop_version_id
    visit.status = "finished"
    visit.started_at, visit.finished_at = data.started_at, data.finished_at
    visit.outcome = data.outcome
    visit.summary = data.summary.strip()
    visit.signoff_name = data.signoff_name.strip()
    if existing is None:
        db.session.add(visit)
    db.session.flush()

    recorded = Recorded(visit, duplicate=False)
    _write_steps(visit, equipment, data, checked, tech, recorded, replace=amending)
    _write_photos(visit, data, checked)
    _write_error_codes(visit, checked.error_codes)
    _write_meter(visit, equipment, data, checked, tech)
    _write_parts(visit, equipment, job, checked, tech)
    sync_visit_returns(
        visit.id,
        equipment.id,
        [(part, line.quantity, line.serial) for part, line in checked.defective],
        actor_id=tech.id,
        job_id=job.id if job else None,
    )
    if job is not None and (not amending or before["outcome"] != data.outcome):
        _move_job(job, data, tech, recorded)
    if amending:
        _record_correction(visit, equipment, before, tech)
        return recorded
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


def _write_steps(visit, equipment, data, checked, tech, recorded, *, replace: bool) -> None:
    previous = {
        result.step_id: result
        for result in db.session.scalars(
            sa.select(StepResult).where(StepResult.visit_id == visit.id)
        )
    }
    given_ids = {given.step_id for given in data.steps}
    if replace:
        for step_id, result in previous.items():
            if step_id not in given_ids:
                db.session.delete(result)
    for given in data.steps:
        result = previous.get(given.step_id) or StepResult(visit_id=visit.id, step_id=given.step_id)
        rule = StepRule.of(checked.steps[given.step_id])
        status = recorded_status(rule, given.status, given.value)
        newly_failed = status == "fail" and result.status != "fail"
        result.status, result.value = status, given.value
        result.note, result.photo_id = given.note.strip(), given.photo_id
        result.by_id, result.at = tech.id, given.at or data.finished_at
        db.session.add(result)
        if newly_failed or (status == "fail" and given.follow_up):
            step = checked.steps[given.step_id]
            _step_failed(visit, equipment, step, given, tech, result, recorded, newly_failed)


def _write_photos(visit, data, checked) -> None:
    """Attach the visit's photos; photos a correction took off are removed for good."""
    wanted = {photo.id for photo in checked.photos}
    wanted |= {given.photo_id for given in data.steps if given.photo_id}
    if checked.signature is not None:
        wanted.add(checked.signature.id)
    for photo in db.session.scalars(sa.select(Photo).where(Photo.visit_id == visit.id)):
        if photo.id not in wanted:
            remove_photo(photo)
    for photo in photos_by_id(wanted).values():
        photo.visit_id = visit.id


def _write_error_codes(visit, codes: list[str]) -> None:
    stored = {
        row.code: row
        for row in db.session.scalars(
            sa.select(VisitErrorCode).where(VisitErrorCode.visit_id == visit.id)
        )
    }
    for code, row in stored.items():
        if code not in codes:
            db.session.delete(row)
    db.session.add_all(
        VisitErrorCode(visit_id=visit.id, code=code) for code in codes if code not in stored
    )


def _write_meter(visit, equipment, data, checked, tech) -> None:
    reading = db.session.scalar(sa.select(MeterReading).where(MeterReading.visit_id == visit.id))
    if checked.meter_reading is None:
        if reading is not None:
            db.session.delete(reading)
        return
    if reading is None:
        reading = MeterReading(equipment_id=equipment.id, visit_id=visit.id)
        db.session.add(reading)
    reading.value = checked.meter_reading
    reading.taken_at = data.finished_at
    reading.recorded_by_id = tech.id
    reading.note = data.meter_note.strip()


def _write_parts(visit, equipment, job, checked, tech) -> None:
    """Bring the ledger to the parts the visit says were used: more is a use, fewer a return
    of the difference (a correction never deletes a ledger line)."""
    wanted: dict[tuple, int] = {}
    parts = {}
    for part, quantity, location, _ in checked.parts:
        key = (part.id, location.id)
        wanted[key] = wanted.get(key, 0) + quantity
        parts[key] = (part, location)
    used = parts_used_on(visit.id)
    for key in sorted(set(wanted) | set(used)):
        change = wanted.get(key, 0) - used.get(key, (0, None))[0]
        part, location = parts.get(key) or used[key][1]
        if change > 0:
            use_part(
                part,
                location,
                change,
                actor_id=tech.id,
                visit_id=visit.id,
                equipment_id=equipment.id,
                job_id=job.id if job else None,
            )
        elif change < 0:
            return_part(
                part,
                location,
                -change,
                actor_id=tech.id,
                reason="Corrected visit: not used after all",
                visit_id=visit.id,
            )


def _move_job(job: Job, data: VisitInput, tech: User, recorded: Recorded) -> None:
    target = STATUS_AFTER_OUTCOME[data.outcome]
    if job.assigned_to_id is None and job.is_open:
        assign_job(job, tech.id, job.scheduled_for, tech.id)
    if job.status != "in_progress" and not transition_error(job, "in_progress"):
        change_job_status(job, "in_progress", actor_id=tech.id, at=data.started_at)
    error = transition_error(job, target)
    if error:
        # The visit is the tech's record of work done; it is kept even when the job moved on.
        recorded.job_note = error
        return
    change_job_status(
        job,
        target,
        actor_id=tech.id,
        at=data.finished_at,
        reason=OUTCOME_LABELS[data.outcome].lower(),
    )
    if data.outcome == "needs_followup":
        # Back to the office, who plan the next visit: off the tech's Today.
        assign_job(job, None, None, tech.id)


def _snapshot(visit: Visit) -> dict:
    """What a correction is compared with, for its line in the activity history."""
    return {
        "outcome": visit.outcome,
        "summary": visit.summary,
        "parts": {key: quantity for key, (quantity, _) in parts_used_on(visit.id).items()},
        "steps": {
            result.step_id: (result.status, result.value, result.note)
            for result in db.session.scalars(
                sa.select(StepResult).where(StepResult.visit_id == visit.id)
            )
        },
        "meter": db.session.scalar(
            sa.select(MeterReading.value).where(MeterReading.visit_id == visit.id)
        ),
        "photos": set(db.session.scalars(sa.select(Photo.id).where(Photo.visit_id == visit.id))),
        "returns": {(row.part_id, row.quantity, row.serial) for row in returns_of_visit(visit.id)},
    }


def _record_correction(visit, equipment, before: dict, tech) -> None:
    after = _snapshot(visit)
    changes = []
    if after["outcome"] != before["outcome"]:
        changes.append(
            f"outcome {OUTCOME_LABELS[before['outcome']]} → {OUTCOME_LABELS[after['outcome']]}"
        )
    if after["summary"] != before["summary"]:
        changes.append("what was done")
    if after["parts"] != before["parts"]:
        changes.append("parts used")
    if after["steps"] != before["steps"]:
        changes.append("steps")
    if after["meter"] != before["meter"]:
        changes.append(f"meter {before['meter'] or '—'} → {after['meter'] or '—'}")
    if after["photos"] != before["photos"]:
        changes.append("photos")
    if after["returns"] != before["returns"]:
        changes.append("defective parts returning")
    record_event(
        "visit.corrected",
        "visit",
        visit.id,
        f"{tech.name} corrected the visit on the {equipment.display_name} at "
        f"{equipment.customer.name}: " + (", ".join(changes) or "nothing changed"),
        actor_id=tech.id,
        job_id=visit.job_id,
        equipment_id=equipment.id,
    )


def _step_failed(visit, equipment, step, given, tech, result, recorded, newly=True) -> None:
    reading = _failed_reading(step, given.value)
    if newly:
        record_event(
            "step.failed",
            "visit",
            visit.id,
            f"Step failed on the {equipment.display_name} at {equipment.customer.name}: "
            f"{step.title}{reading}" + (f" — {given.note.strip()}" if given.note.strip() else ""),
            actor_id=tech.id,
            job_id=visit.job_id,
            equipment_id=equipment.id,
        )
    if given.follow_up and result.follow_up_job_id is None:
        of_job = f" for {visit.job.number}" if visit.job else ""
        note = f". {given.note.strip()}" if given.note.strip() else ""
        same_tech = visit_settings().follow_up_to == "same_tech"
        job = create_job(
            customer_id=equipment.customer_id,
            equipment_id=equipment.id,
            problem=f"Follow-up: “{step.title}” failed{reading} on the visit of "
            f"{local_date(visit.started_at)}{of_job}{note}",
            actor_id=tech.id,
            source="follow_up",
            follow_up_of_id=visit.job_id,
            assigned_to_id=tech.id if same_tech and tech.active else None,
        )
        result.follow_up_job_id = job.id
        recorded.follow_up_jobs.append(job)


def _failed_reading(step: SopStep, value: float | None) -> str:
    """What a failed measure read, beside its expected range: " (3.2 N, expected 4 to 6 N)"."""
    if step.kind != "measure" or value is None:
        return ""
    expected = f", expected {step.expected}" if step.expected else ""
    return f" ({measured_label(value, step.unit)}{expected})"
