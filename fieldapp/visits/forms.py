"""Reading the visit page's form into the same VisitInput the API and the outbox send."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict

from fieldapp.errors import Invalid
from fieldapp.localtime import parse_local_datetime
from fieldapp.photos.services import add_photo
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.visits.models import Visit
from fieldapp.visits.rules import StepRule, message, range_note
from fieldapp.visits.services import PartInput, StepInput, VisitInput


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _uploads(files: MultiDict, name: str) -> list[FileStorage]:
    return [f for f in files.getlist(name) if f and f.filename]


def store_uploaded_photos(
    files: MultiDict, version: SopVersion | None, tech_id: int
) -> tuple[dict[str, list[uuid.UUID]], dict[str, list[str]]]:
    """Store the photos posted with the form (flush only), as the phone's outbox uploads them
    before the visit: kept even if the rest of the form needs fixing, and shown again.

    Returns the stored photo ids by form field ("step-<id>" or "photos") and, by field, why a
    file was refused.
    """
    stored: dict[str, list[uuid.UUID]] = {}
    errors: dict[str, list[str]] = {}
    named = [
        (f"step-{step.id}", f"step-{step.id}-photo") for step in (version.steps if version else [])
    ]
    for field, name in [*named, ("photos", "photo-file")]:
        for upload in _uploads(files, name)[: 1 if field != "photos" else None]:
            try:
                photo = add_photo(upload.read(), uploaded_by_id=tech_id)
            except Invalid as exc:
                errors[field] = [exc.message]
            else:
                stored.setdefault(field, []).append(photo.id)
    return stored, errors


def typed_number(step: SopStep, typed: str) -> tuple[str, float | None]:
    """A step's value as typed, cleaned, and as a number (None when blank or not a number).
    A meter reading is a count (182,340); any other value a measurement (3,2 is 3.2)."""
    typed = "".join(typed.split())
    raw = typed.replace(",", "") if step.meter else typed.replace(",", ".", 1)
    try:
        value = float(raw) if raw else None
    except ValueError:
        value = None
    return raw, value


def range_notes(form, version: SopVersion | None) -> dict[int, str]:
    """The measures a posted form holds outside their expected range, each with what the page
    says of it (the phone says the same as the value is typed); such a step is kept failed."""
    notes = {}
    for step in version.steps if version else []:
        prefix = f"step-{step.id}-"
        if form.get(prefix + "status", "") not in ("done", "fail"):
            continue
        _, value = typed_number(step, form.get(prefix + "value", ""))
        if value is not None and math.isfinite(value) and StepRule.of(step).out_of_range(value):
            notes[step.id] = range_note(value, step.unit, step.expected)
    return notes


def visit_input_from_form(
    form: ImmutableMultiDict,
    *,
    visit: Visit,
    version: SopVersion | None,
    zone: ZoneInfo,
    stored: dict[str, list[uuid.UUID]],
) -> VisitInput:
    """Build the complete visit from the page and the photos stored from it."""
    errors: dict[str, list[str]] = {}
    steps = []
    for step in version.steps if version else []:
        prefix = f"step-{step.id}-"
        status = form.get(prefix + "status", "")
        if not status:
            continue
        raw, value = typed_number(step, form.get(prefix + "value", ""))
        if raw and value is None:
            errors[f"step-{step.id}"] = [message("not_a_number", value=raw)]
        photo_id = (stored.get(f"step-{step.id}") or [None])[0] or _uuid(
            form.get(prefix + "photo-id")
        )
        at = None
        if form.get(prefix + "at"):
            try:
                at = datetime.fromisoformat(form[prefix + "at"].replace("Z", "+00:00"))
            except ValueError:
                at = None
        steps.append(
            StepInput(
                step_id=step.id,
                status=status,
                value=value,
                note=form.get(prefix + "note", ""),
                photo_id=photo_id,
                at=at if at and at.tzinfo else None,
                follow_up=form.get(prefix + "follow_up") == "1",
            )
        )
    parts = []
    skus = form.getlist("part-sku")
    olds = form.getlist("part-old") + [""] * len(skus)
    serials = form.getlist("part-serial") + [""] * len(skus)
    for sku, quantity, source, old, serial in zip(
        skus, form.getlist("part-qty"), form.getlist("part-from"), olds, serials, strict=False
    ):
        if not sku.strip():
            continue
        try:
            parts.append(
                PartInput(
                    sku=sku.strip(),
                    quantity=int(quantity),
                    source=source,
                    defective=old == "defective",
                    serial=serial.strip() if old == "defective" else "",
                )
            )
        except ValueError:
            errors["parts"] = [f"Quantity “{quantity}” for {sku} is not a whole number."]
    photos = [p for p in (_uuid(v) for v in form.getlist("photo-id")) if p]
    photos += stored.get("photos", [])
    meter = form.get("meter_reading", "").replace(",", "").replace(" ", "")
    meter_reading = None
    if meter:
        if meter.isdigit() and len(meter) <= 12:
            meter_reading = int(meter)
        else:
            errors["meter_reading"] = ["Enter the meter reading as a whole number."]
    times = {}
    for name in ("started_at", "finished_at"):
        try:
            times[name] = parse_local_datetime(form.get(name), zone, name)
        except Invalid as exc:
            errors.update(exc.fields)
        if times.get(name) is None and name not in errors:
            errors[name] = [message("no_time")]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    return VisitInput(
        id=visit.id,
        equipment=visit.equipment.qr_token,
        job=visit.job.number if visit.job else None,
        outcome=form.get("outcome", ""),
        started_at=times["started_at"],
        finished_at=times["finished_at"],
        summary=form.get("summary", ""),
        error_codes=[c for c in re.split(r"[,;\n]", form.get("error_codes", "")) if c.strip()],
        meter_reading=meter_reading,
        meter_note=form.get("meter_note", ""),
        steps=steps,
        parts=parts,
        photos=photos,
        signoff_name=form.get("signoff_name", ""),
    )
