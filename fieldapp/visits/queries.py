"""What the visit page and the service report show."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import joinedload

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, PartCompatibility, StockLevel, StockMovement
from fieldapp.inventory.services import van_of
from fieldapp.photos.models import Photo
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.visits.models import OUTCOME_LABELS, StepResult, Visit, VisitErrorCode
from fieldapp.visits.services import last_meter_reading


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
    visit: Visit, version: SopVersion | None, errors: dict, kept: dict[str, list[uuid.UUID]]
) -> dict:
    compatible, others = parts_for_model(visit.equipment.model, visit.tech_id)
    form = request.form
    kept_photos = [str(p) for p in kept.get("photos", [])] + form.getlist("photo-id")
    return {
        "visit": visit,
        "equipment": visit.equipment,
        "job": visit.job,
        "version": version,
        "errors": errors,
        "form": form,
        "posted": request.method == "POST",
        "kept": {key: [str(v) for v in values] for key, values in kept.items()},
        "kept_photos": kept_photos,
        "compatible_parts": compatible,
        "other_parts": others,
        "last_meter": last_meter_reading(visit.equipment_id, excluding_visit=visit.id),
        "outcomes": OUTCOME_LABELS,
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
        .where(StockMovement.visit_id == visit.id, StockMovement.kind == "use")
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


def blank_form_context(version: SopVersion | None, tech_id: int) -> dict:
    """The visit form before a plotter is known: the phone fills in the plotter, job and
    start time from its offline pack, so this page can be cached and used without signal."""
    _, parts = parts_for_model("", tech_id)
    return {
        "visit": None,
        "equipment": None,
        "job": None,
        "version": version,
        "errors": {},
        "form": request.form,
        "posted": False,
        "kept": {},
        "kept_photos": [],
        "compatible_parts": [],
        "other_parts": parts,
        "last_meter": None,
        "outcomes": OUTCOME_LABELS,
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
