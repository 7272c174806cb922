"""Reading the dispatch forms (new job, assign, schedule) into the plain arguments the job
services take, and the jobs list's filters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fieldapp.customers.models import Customer
from fieldapp.customers.queries import find_customer
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import find_equipment
from fieldapp.equipment.services import resolve_code
from fieldapp.errors import Invalid
from fieldapp.form_values import optional_id
from fieldapp.jobs.queries import DEFAULT_SORT, JobFilters
from fieldapp.localtime import parse_day
from fieldapp.localtime import parse_local_datetime as local_datetime


def plotter_or_customer(value: str | None) -> tuple[int | None, int | None]:
    """The intake form's chosen target: "equipment:12" or "customer:5" -> (equipment, customer)."""
    kind, _, ident = (value or "").partition(":")
    ident = optional_id(ident)
    if ident is None:
        return None, None
    return (ident, None) if kind == "equipment" else (None, ident)


def chosen_target(values) -> tuple[Equipment | None, Customer | None]:
    """The plotter or customer the intake form has chosen (or ?plotter=TOKEN from elsewhere)."""
    equipment_id, customer_id = plotter_or_customer(values.get("target"))
    if equipment_id is not None:
        return find_equipment(equipment_id), None
    if customer_id is not None:
        return None, find_customer(customer_id)
    if values.get("plotter"):
        found = resolve_code(values["plotter"])
        if found.state == "active":
            return found.equipment, None
    return None, None


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


def _minutes(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 4:
        raise Invalid.field(field, "Enter whole minutes, e.g. 90.")
    return int(value)


def schedule_fields(form, zone: ZoneInfo) -> dict:
    """The arguments of schedule_job from the schedule form (or a job dropped on a lane)."""
    return {
        "tech_id": optional_id(form.get("tech")),
        "start": local_datetime(form.get("scheduled_for"), zone, "scheduled_for"),
        "duration_minutes": _minutes(form.get("duration"), "duration"),
        "arrival_window_minutes": _minutes(form.get("arrival_window"), "arrival_window") or 0,
    }


def list_filters(args) -> tuple[JobFilters, dict[str, str]]:
    """The jobs list's filters from its query string, and a message per date that is not one
    (that filter is then left out, so the list still answers)."""
    problems: dict[str, str] = {}
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = parse_day(args.get(name), name)
        except Invalid as exc:
            days[name], problems[name] = None, exc.fields[name][0]
    if days["from"] and days["to"] and days["to"] < days["from"]:
        problems["to"] = "Choose an end date on or after the start date."
        days["to"] = None
    filters = JobFilters(
        status=args.get("status", ""),
        tech=args.get("tech", ""),
        customer=args.get("customer", "")[:200],
        customer_id=optional_id(args.get("customer_id")),
        plotter_id=optional_id(args.get("plotter_id")),
        priority=args.get("priority", ""),
        opened_from=days["from"],
        opened_to=days["to"],
        sort=args.get("sort", DEFAULT_SORT)[:20],
    )
    return filters, problems
