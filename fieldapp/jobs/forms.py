"""Reading the dispatch forms (new job, assign) into the plain arguments the job services take."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fieldapp.errors import Invalid


def local_datetime(value: str | None, zone: ZoneInfo, field: str) -> datetime | None:
    """An <input type="datetime-local"> value, read in the company's time zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field(field, "Enter the date and time, e.g. 2026-11-28 09:30.") from exc
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def optional_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def plotter_or_customer(value: str | None) -> tuple[int | None, int | None]:
    """The intake form's chosen target: "equipment:12" or "customer:5" -> (equipment, customer)."""
    kind, _, ident = (value or "").partition(":")
    if not ident.isdigit():
        return None, None
    return (int(ident), None) if kind == "equipment" else (None, int(ident))


def new_job_fields(form, zone: ZoneInfo) -> dict:
    """The arguments of open_job from the intake form (the intake SOP's fields)."""
    equipment_id, customer_id = plotter_or_customer(form.get("target"))
    return {
        "equipment_id": equipment_id,
        "customer_id": customer_id,
        "caller_name": form.get("caller_name", ""),
        "caller_phone": form.get("caller_phone", ""),
        "problem": form.get("problem", ""),
        "error_code": form.get("error_code", ""),
        "priority": form.get("priority", "normal"),
        "kind": form.get("kind", "repair"),
        "source": form.get("source", "phone"),
        "tech_id": optional_id(form.get("tech")),
        "scheduled_for": local_datetime(form.get("scheduled_for"), zone, "scheduled_for"),
    }


def assignment_fields(form, zone: ZoneInfo) -> dict:
    """The tech and time from an assign form (no tech: take the job back)."""
    return {
        "tech_id": optional_id(form.get("tech")),
        "scheduled_for": local_datetime(form.get("scheduled_for"), zone, "scheduled_for"),
    }
