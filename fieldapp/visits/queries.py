"""What the visit page and the service report show."""

from __future__ import annotations

import functools
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import MeterReading
from fieldapp.equipment.queries import with_plotter
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    PartReturn,
    StockLevel,
    StockMovement,
    used_on_visits,
)
from fieldapp.inventory.queries import parts_used_on, returns_of_visit
from fieldapp.inventory.services import van_of
from fieldapp.jsonrows import Read, instances, json_rows, rows_of
from fieldapp.localtime import datetime_local
from fieldapp.photos.models import Photo
from fieldapp.settings.services import visit_settings
from fieldapp.sops.models import Sop, SopStep, SopVersion
from fieldapp.sops.services import CATEGORY_FOR_JOB_KIND
from fieldapp.visits.models import OUTCOME_LABELS, StepResult, Visit, VisitErrorCode
from fieldapp.visits.rules import visit_rules
from fieldapp.visits.services import last_meter_reading, procedure_kinds


def parts_for_model(model: str, tech_id: int) -> tuple[list[dict], list[dict]]:
    """The catalogue split into parts that fit this model and the rest, with van quantities."""
    van = van_of(tech_id)
    in_van = {}
    if van is not None:
        in_van = dict(
            db.session.execute(
                sa.select(StockLevel.part_id, StockLevel.quantity).where(
                    StockLevel.location_id == van.id
                )
            ).all()
        )
    fits = set(
        db.session.scalars(
            sa.select(PartCompatibility.part_id).where(PartCompatibility.model == model)
        )
    )
    compatible, others = [], []
    for part in db.session.scalars(sa.select(Part).where(Part.active).order_by(Part.name)):
        entry = {"sku": part.sku, "name": part.name, "in_van": in_van.get(part.id, 0)}
        (compatible if part.id in fits else others).append(entry)
    return compatible, others


def visit_form_context(
    visit: Visit,
    version: SopVersion | None,
    errors: dict,
    kept: dict[str, list[uuid.UUID]],
    form,
    posted: bool,
) -> dict:
    """The visit page of a started visit: its form as posted (or empty), the parts that fit,
    the last meter reading and the rules the phone checks before it saves."""
    compatible, others = parts_for_model(visit.equipment.model, visit.tech_id)
    kept_photos = [str(p) for p in kept.get("photos", [])] + form.getlist("photo-id")
    return {
        "visit": visit,
        "equipment": visit.equipment,
        "job": visit.job,
        "version": version,
        "errors": errors,
        "form": form,
        "posted": posted,
        "kept": {key: [str(v) for v in values] for key, values in kept.items()},
        "kept_photos": kept_photos,
        "compatible_parts": compatible,
        "other_parts": others,
        "last_meter": last_meter_reading(visit.equipment_id, excluding_visit=visit.id),
        "outcomes": OUTCOME_LABELS,
        "rules": visit_rules(procedure_kinds()),
        "has_van": van_of(visit.tech_id) is not None,
        "signature": signature_of(visit) if visit.status == "finished" else None,
        "now": utcnow(),
    }


def report_context(visit: Visit) -> dict:
    results = (
        list(
            db.session.execute(
                sa.select(SopStep, StepResult)
                .outerjoin(
                    StepResult,
                    sa.and_(StepResult.step_id == SopStep.id, StepResult.visit_id == visit.id),
                )
                .where(SopStep.version_id == visit.sop_version_id)
                .order_by(SopStep.position)
            ).all()
        )
        if visit.sop_version_id
        else []
    )
    parts = db.session.execute(
        sa.select(Part.sku, Part.name, -sa.func.sum(StockMovement.quantity))
        .join(Part, Part.id == StockMovement.part_id)
        .where(StockMovement.visit_id == visit.id, used_on_visits())
        .group_by(Part.sku, Part.name)
        .order_by(Part.name)
    ).all()
    photos = list(
        db.session.scalars(
            sa.select(Photo).where(Photo.visit_id == visit.id).order_by(Photo.created_at)
        )
    )
    meter = db.session.scalar(sa.select(MeterReading).where(MeterReading.visit_id == visit.id))
    codes = list(
        db.session.scalars(
            sa.select(VisitErrorCode.code).where(VisitErrorCode.visit_id == visit.id)
        )
    )
    return {
        "visit": visit,
        "equipment": visit.equipment,
        "customer": visit.equipment.customer,
        "results": results,
        "parts": [p for p in parts if p[2]],
        "photos": [p for p in photos if p.kind == "photo"],
        "signature": next((p for p in photos if p.kind == "signature"), None),
        "meter": meter,
        "codes": codes,
        "returns": returns_of_visit(visit.id),
    }


def visits_in_progress(tech_id: int) -> list[Visit]:
    """A tech's started, unfinished visits (to continue from Today or the plotter page)."""
    return list(
        db.session.scalars(
            sa.select(Visit)
            .where(Visit.tech_id == tech_id, Visit.status == "in_progress")
            .order_by(Visit.started_at.desc())
        )
    )


def visit_under_way_read(tech_id: int, equipment_id: int) -> Read:
    """The tech's latest unfinished visit on this plotter (None when there is none), as a read
    that travels with the page's others (read_together)."""

    def answer(value) -> Visit | None:
        visits = instances(Visit, rows_of(value, Visit))
        return visits[0] if visits else None

    params = {"tech_id": tech_id, "equipment_id": equipment_id}
    return Read(_visit_under_way_columns(), answer, params)


@functools.cache
def _visit_under_way_columns() -> tuple:
    query = sa.select(Visit).where(
        Visit.tech_id == sa.bindparam("tech_id"),
        Visit.status == "in_progress",
        Visit.equipment_id == sa.bindparam("equipment_id"),
    )
    return (json_rows(query.limit(1), Visit.started_at.desc()),)


def procedure_kinds_read() -> Read:
    """procedure_kinds as a read that travels with the page's others (read_together): the
    job kinds set in Settings whose procedure (an active SOP of their category) is
    published."""

    def answer(value) -> tuple[str, ...]:
        categories = {row["category"] for row in rows_of(value)}
        return tuple(
            kind
            for kind in visit_settings().procedure_kinds
            if CATEGORY_FOR_JOB_KIND.get(kind, "repair") in categories
        )

    return Read(_published_categories(), answer)


@functools.cache
def _published_categories() -> tuple:
    published = (
        sa.select(Sop.category)
        .where(Sop.active, sa.exists().where(SopVersion.sop_id == Sop.id))
        .distinct()
    )
    return (json_rows(published),)


def unfinished_visits_of(tech_id: int) -> list[Visit]:
    """A tech's started, unfinished visits with their plotters and jobs (what a leaver
    leaves open)."""
    return list(
        db.session.scalars(
            sa.select(Visit)
            .where(Visit.tech_id == tech_id, Visit.status == "in_progress")
            .options(with_plotter(Visit.equipment), joinedload(Visit.job))
            .order_by(Visit.started_at.desc())
        )
    )


def blank_form_context(version: SopVersion | None, tech_id: int, form) -> dict:
    """The visit form before a plotter is known: the phone fills in the plotter, job and
    start time from its offline pack, so this page can be cached and used without signal."""
    _, parts = parts_for_model("", tech_id)
    return {
        "visit": None,
        "equipment": None,
        "job": None,
        "version": version,
        "errors": {},
        "form": form,
        "posted": False,
        "kept": {},
        "kept_photos": [],
        "compatible_parts": [],
        "other_parts": parts,
        "last_meter": None,
        "outcomes": OUTCOME_LABELS,
        "rules": visit_rules(procedure_kinds()),
        "has_van": van_of(tech_id) is not None,
        "now": utcnow(),
    }


def history_summaries(equipment_ids: list[int]) -> dict[int, dict]:
    """Visit count and last visit per plotter, in one query."""
    if not equipment_ids:
        return {}
    rows = (
        sa.select(
            Visit.equipment_id,
            sa.func.count(Visit.id),
            sa.func.max(Visit.started_at),
        )
        .where(Visit.equipment_id.in_(equipment_ids))
        .group_by(Visit.equipment_id)
    )

    found = {
        equipment_id: {"visits": count, "last_visit_at": last}
        for equipment_id, count, last in db.session.execute(rows)
    }
    return {
        equipment_id: found.get(equipment_id, {"visits": 0, "last_visit_at": None})
        for equipment_id in equipment_ids
    }


def job_visits(job_id: int) -> list[Visit]:
    """The visits made on a job, with their tech, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Visit)
            .where(Visit.job_id == job_id)
            .options(joinedload(Visit.tech))
            .order_by(Visit.started_at)
        )
    )


def visit_as_form(visit: Visit) -> MultiDict:
    """A finished visit as the visit form's fields, to correct it."""
    values: list[tuple[str, str]] = [
        ("outcome", visit.outcome or ""),
        ("summary", visit.summary),
        ("signoff_name", visit.signoff_name),
        ("started_at", datetime_local(visit.started_at)),
        ("finished_at", datetime_local(visit.finished_at)),
    ]
    codes = db.session.scalars(
        sa.select(VisitErrorCode.code).where(VisitErrorCode.visit_id == visit.id)
    )
    values.append(("error_codes", ", ".join(codes)))
    meter = db.session.scalar(sa.select(MeterReading).where(MeterReading.visit_id == visit.id))
    if meter is not None:
        values += [("meter_reading", str(meter.value)), ("meter_note", meter.note)]
    for result in db.session.scalars(sa.select(StepResult).where(StepResult.visit_id == visit.id)):
        prefix = f"step-{result.step_id}-"
        values += [
            (prefix + "status", result.status),
            (prefix + "note", result.note),
            (prefix + "at", result.at.isoformat()),
        ]
        if result.value is not None:
            values.append((prefix + "value", f"{result.value:g}"))
        if result.photo_id:
            values.append((prefix + "photo-id", str(result.photo_id)))
    # A part's return covers part of what was used: those lines say "defective" (the serial
    # on the first), the rest as plain lines, so saving it unchanged changes no return.
    returning = {
        row.part_id: [row.quantity, row.serial]
        for row in db.session.scalars(sa.select(PartReturn).where(PartReturn.visit_id == visit.id))
    }
    for (_, _), (quantity, (part, location)) in parts_used_on(visit.id).items():
        if quantity <= 0:
            continue
        source = "van" if location.kind == "van" else "warehouse"
        left, serial = returning.get(part.id, [0, ""])
        defective = min(left, quantity)
        for count, old in ((defective, "defective"), (quantity - defective, "")):
            if count:
                values += [
                    ("part-sku", part.sku),
                    ("part-qty", str(count)),
                    ("part-from", source),
                    ("part-old", old),
                    ("part-serial", serial if old else ""),
                ]
        if defective:
            returning[part.id] = [left - defective, ""]
    step_photos = set(
        db.session.scalars(
            sa.select(StepResult.photo_id).where(
                StepResult.visit_id == visit.id, StepResult.photo_id.is_not(None)
            )
        )
    )
    for photo in db.session.scalars(
        sa.select(Photo)
        .where(Photo.visit_id == visit.id, Photo.kind == "photo")
        .order_by(Photo.created_at)
    ):
        if photo.id not in step_photos:
            values.append(("photo-id", str(photo.id)))
    return MultiDict(values)


def signature_of(visit: Visit) -> Photo | None:
    return db.session.scalar(
        sa.select(Photo).where(Photo.visit_id == visit.id, Photo.kind == "signature")
    )
