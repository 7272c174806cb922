"""Reading the visit page's form into the same VisitInput the API and the outbox send."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict

from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.sops.models import SopVersion
from fieldapp.visits.models import Visit
from fieldapp.visits.photos import add_photo
from fieldapp.visits.services import PartInput, StepInput, VisitInput


def _local_datetime(value: str, zone: ZoneInfo, name: str, errors: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone).astimezone(UTC)
    except (TypeError, ValueError):
        errors[name] = ["Enter a date and time."]
        return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _uploads(files: MultiDict, name: str) -> list[FileStorage]:
    return [f for f in files.getlist(name) if f and f.filename]


def visit_input_from_form(
    form: ImmutableMultiDict,
    files: MultiDict,
    *,
    visit: Visit,
    version: SopVersion | None,
    zone: ZoneInfo,
    tech_id: int,
    stored: dict[str, list[uuid.UUID]],
) -> VisitInput:
    """Build the complete visit from the page. Uploaded photos are stored first (as the
    phone's outbox would upload them) and their ids kept in `stored` (by field), so a form shown
    again after an error keeps them."""
    errors: dict[str, list[str]] = {}
    steps = []
    for step in version.steps if version else []:
        prefix = f"step-{step.id}-"
        status = form.get(prefix + "status", "")
        if not status:
            continue
        value = None
        raw = form.get(prefix + "value", "").strip().replace(",", ".")
        if raw:
            try:
                value = float(raw)
            except ValueError:
                errors[f"step-{step.id}"] = [f"“{raw}” is not a number."]
        photo_id = _uuid(form.get(prefix + "photo-id"))
        upload = _uploads(files, prefix + "photo")
        if upload:
            photo_id = _store(upload[0], tech_id, errors, f"step-{step.id}")
            if photo_id:
                stored.setdefault(f"step-{step.id}", []).append(photo_id)
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
    for sku, quantity, source in zip(
        form.getlist("part-sku"), form.getlist("part-qty"), form.getlist("part-from"), strict=False
    ):
        if not sku.strip():
            continue
        try:
            parts.append(PartInput(sku=sku.strip(), quantity=int(quantity), source=source))
        except ValueError:
            errors["parts"] = [f"Quantity “{quantity}” for {sku} is not a whole number."]
    photos = [p for p in (_uuid(v) for v in form.getlist("photo-id")) if p]
    for upload in _uploads(files, "photo-file"):
        photo_id = _store(upload, tech_id, errors, "photos")
        if photo_id:
            photos.append(photo_id)
            stored.setdefault("photos", []).append(photo_id)
    meter = form.get("meter_reading", "").replace(",", "").replace(" ", "")
    meter_reading = None
    if meter:
        if meter.isdigit():
            meter_reading = int(meter)
        else:
            errors["meter_reading"] = ["Enter the meter reading as a whole number."]
    started = _local_datetime(form.get("started_at", ""), zone, "started_at", errors)
    finished = _local_datetime(form.get("finished_at", ""), zone, "finished_at", errors)
    if errors:
        raise Invalid("Some fields need attention.", errors)
    return VisitInput(
        id=visit.id,
        equipment=visit.equipment.qr_token,
        job=visit.job.number if visit.job else None,
        outcome=form.get("outcome", ""),
        started_at=started,
        finished_at=finished,
        summary=form.get("summary", ""),
        error_codes=[c for c in re.split(r"[,;\n]", form.get("error_codes", "")) if c.strip()],
        meter_reading=meter_reading,
        meter_note=form.get("meter_note", ""),
        steps=steps,
        parts=parts,
        photos=photos,
        signoff_name=form.get("signoff_name", ""),
    )


def _store(upload: FileStorage, tech_id: int, errors: dict, name: str) -> uuid.UUID | None:
    """Keep an uploaded photo even if the rest of the form needs fixing (it is re-shown)."""
    try:
        photo = add_photo(upload.read(), uploaded_by_id=tech_id)
    except Invalid as exc:
        errors[name] = [exc.message]
        return None
    db.session.commit()
    return photo.id
