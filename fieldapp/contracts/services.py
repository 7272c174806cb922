"""Writing contracts and PM plans (flush only: the caller's unit of work commits)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.planner import meter_readings_of, reading_on, refresh_due
from fieldapp.contracts.projection import add_months
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.localtime import LATEST_DAY
from fieldapp.sops.models import Sop

# Which state may follow which; "expired" is the planner's to set when the term ends.
STATE_CHANGES = {
    "draft": frozenset({"active", "cancelled"}),
    "active": frozenset({"cancelled"}),
    "expired": frozenset(),
    "cancelled": frozenset(),
}


# The serial of a suggested contract number: up to six ASCII digits after "SC-YYYY-".
_SERIAL = re.compile(r"([0-9]{1,6})")


def add_a_year(day: date) -> date:
    """The last day of a year's term that starts on day."""
    return add_months(day, 12) - timedelta(days=1)


def next_number(today: date) -> str:
    """The next free contract number of the year: SC-2026-014."""
    prefix = f"SC-{today.year}-"
    taken = db.session.scalars(
        sa.select(Contract.number).where(Contract.number.like(f"{prefix}%"))
    ).all()
    # Only numbers in the suggested shape count ("SC-2026-²" or a 20-digit serial do not).
    serials = [
        int(match.group(1)) for number in taken if (match := _SERIAL.fullmatch(number, len(prefix)))
    ]
    return f"{prefix}{max(serials, default=0) + 1:03d}"


def _plotters(customer: Customer, ids: list[int], errors: dict) -> list[Equipment]:
    if not ids:
        return []
    found = db.session.scalars(sa.select(Equipment).where(Equipment.id.in_(ids))).all()
    wrong = [
        plotter
        for plotter in found
        if plotter.customer_id != customer.id or plotter.status != "active"
    ]
    if len(found) != len(set(ids)) or wrong:
        errors["plotter_ids"] = [f"Choose plotters of {customer.name} in service."]
    return sorted(found, key=lambda plotter: plotter.id)


def _checked(data: dict, contract: Contract | None) -> tuple[Customer, list[Equipment]]:
    errors: dict[str, list[str]] = {}
    customer = db.session.get(Customer, data["customer_id"])
    if customer is None:
        raise Invalid.field("customer_id", "Choose the customer.")
    plotters = _plotters(customer, data["plotter_ids"], errors)
    number = data["number"].strip()
    clash = db.session.scalar(
        sa.select(Contract.id).where(
            Contract.number == number, Contract.id != (contract.id if contract else 0)
        )
    )
    if not number:
        errors["number"] = ["Give the contract a number."]
    elif clash is not None:
        errors["number"] = [f"Contract {number} exists already: give this one another number."]
    if errors:
        raise Invalid("The contract needs attention.", errors)
    return customer, plotters


def _fill(contract: Contract, data: dict, plotters: list[Equipment]) -> None:
    contract.number = data["number"].strip()
    contract.customer_id = data["customer_id"]
    contract.starts_on, contract.ends_on = data["starts_on"], data["ends_on"]
    contract.price_cents_per_year = data["price_cents_per_year"]
    contract.covers_labour = data["covers_labour"]
    contract.covers_parts = data["covers_parts"]
    contract.covers_consumables = data["covers_consumables"]
    contract.response_hours = data["response_hours"]
    contract.notes = data["notes"].strip()
    contract.plotters = plotters


def create_contract(data: dict, *, actor_id: int | None, today: date) -> Contract:
    """A new contract from ContractSchema's data (a draft, or active at once)."""
    customer, plotters = _checked(data, None)
    contract = Contract(created_by_id=actor_id, state="draft")
    _fill(contract, data, plotters)
    db.session.add(contract)
    db.session.flush()
    _record(contract, f"Contract {contract.number} drafted for {customer.name}", actor_id)
    if data["state"] != "draft":
        change_state(contract, data["state"], actor_id=actor_id, today=today)
    return contract


def update_contract(contract: Contract, data: dict, *, actor_id: int | None, today: date) -> None:
    """Change a contract's terms and plotters; its plans on plotters it no longer covers stop."""
    if contract.state in ("expired", "cancelled"):
        raise Conflict(
            f"Contract {contract.number} is {contract.state}: renew it to change the terms."
        )
    customer, plotters = _checked(data, contract)
    if customer.id != contract.customer_id and contract.state != "draft":
        raise Invalid.field("customer_id", "An active contract stays with its customer.")
    _fill(contract, data, plotters)
    kept = {plotter.id for plotter in plotters}
    for plan in plans_of(contract):
        if plan.equipment_id not in kept:
            plan.active = False
    db.session.flush()
    _record(contract, f"Contract {contract.number} changed", actor_id)
    if data["state"] != contract.state:
        change_state(contract, data["state"], actor_id=actor_id, today=today)


def change_state(contract: Contract, state: str, *, actor_id: int | None, today: date) -> None:
    if state == contract.state:
        return
    if state not in STATE_CHANGES[contract.state]:
        message = (
            f"Contract {contract.number} is {contract.state_label.lower()}; it cannot become "
            f"{state} from there."
        )
        raise Conflict(message, {"state": [message]})
    if state == "active" and contract.ends_on < today:
        message = f"Contract {contract.number} ended on {contract.ends_on}: renew it instead."
        raise Invalid.field("state", message)
    if state == "cancelled":
        # It covers (and earns) nothing from today on; a draft never covered a day.
        in_force = contract.state == "active"
        contract.cancelled_on = max(contract.starts_on, today) if in_force else contract.starts_on
    contract.state = state
    words = {"active": "is active", "cancelled": "was cancelled", "expired": "expired"}
    _record(contract, f"Contract {contract.number} {words[state]}", actor_id)


def renew_contract(contract: Contract, *, actor_id: int | None, today: date) -> Contract:
    """A draft for the next term: the same length, price, cover and plotters, starting the
    day after this one ends; its plans go on counting from where this one's stand."""
    if contract.state == "draft":
        raise Conflict(f"Contract {contract.number} is a draft: activate it before renewing.")
    existing = db.session.scalar(sa.select(Contract).where(Contract.renewal_of_id == contract.id))
    if existing is not None:
        raise Conflict(f"Contract {contract.number} was renewed already, as {existing.number}.")
    starts = contract.ends_on + timedelta(days=1)
    ends = _next_term_end(contract, starts)
    if ends > LATEST_DAY:
        raise Invalid.field(
            "ends_on", f"A renewal would end after {LATEST_DAY:%Y}: write a new contract instead."
        )
    renewal = Contract(
        number=next_number(starts),
        customer_id=contract.customer_id,
        starts_on=starts,
        ends_on=ends,
        price_cents_per_year=contract.price_cents_per_year,
        covers_labour=contract.covers_labour,
        covers_parts=contract.covers_parts,
        covers_consumables=contract.covers_consumables,
        response_hours=contract.response_hours,
        notes=contract.notes,
        state="draft",
        renewal_of_id=contract.id,
        created_by_id=actor_id,
        plotters=list(contract.plotters),
    )
    db.session.add(renewal)
    db.session.flush()
    for plan in plans_of(contract):
        if plan.active:
            db.session.add(
                PmPlan(
                    equipment_id=plan.equipment_id,
                    contract_id=renewal.id,
                    every_months=plan.every_months,
                    every_meter=plan.every_meter,
                    sop_id=plan.sop_id,
                    lead_days=plan.lead_days,
                    assign_usual_tech=plan.assign_usual_tech,
                    starts_on=plan.last_done_on or plan.starts_on,
                    base_meter=plan.base_meter,
                    last_done_on=plan.last_done_on,
                    created_by_id=actor_id,
                )
            )
    _record(renewal, f"Contract {contract.number} renewed as {renewal.number} (draft)", actor_id)
    return renewal


def _next_term_end(contract: Contract, starts: date) -> date:
    """The end of a term as long as the contract's, from starts: whole months when its term
    was whole months (a calendar year renews as the next calendar year, leap day or not),
    else the same number of days."""
    for months in range(1, 121):
        if add_months(contract.starts_on, months) - timedelta(days=1) == contract.ends_on:
            return add_months(starts, months) - timedelta(days=1)
    return starts + (contract.ends_on - contract.starts_on)


def plans_of(contract: Contract) -> list[PmPlan]:
    return list(
        db.session.scalars(
            sa.select(PmPlan).where(PmPlan.contract_id == contract.id).order_by(PmPlan.id)
        )
    )


def _record(contract: Contract, summary: str, actor_id: int | None) -> None:
    record_event("contract.saved", "contract", contract.id, summary, actor_id=actor_id)


# -- PM plans ---------------------------------------------------------------------------


def _check_plan(data: dict, plotter: Equipment, errors: dict) -> None:
    if data.get("every_meter") is not None and not plotter.meter_unit:
        errors["every_meter"] = [
            f"The {plotter.display_name} SN {plotter.serial_number} has no meter unit: set "
            "what its meter counts (square feet or prints) on the plotter first."
        ]
    if plotter.status != "active":
        errors["plotter_ids"] = [f"The {plotter.display_name} is retired."]


def _check_sop(sop_id: int | None, errors: dict) -> None:
    if sop_id is None:
        return
    sop = db.session.get(Sop, sop_id)
    if sop is None or not sop.active:
        errors["sop_id"] = ["Choose a procedure in use."]


def create_plans(
    data: dict, *, contract: Contract | None, actor_id: int | None, today: date
) -> list[PmPlan]:
    """One plan per plotter named, from PlanSchema's data; on a contract, only its plotters."""
    errors: dict[str, list[str]] = {}
    plotters = db.session.scalars(
        sa.select(Equipment).where(Equipment.id.in_(data["plotter_ids"]))
    ).all()
    if len(plotters) != len(set(data["plotter_ids"])):
        errors["plotter_ids"] = ["Choose plotters that exist."]
    if contract is not None:
        covered = {plotter.id for plotter in contract.plotters}
        if any(plotter.id not in covered for plotter in plotters):
            errors["plotter_ids"] = [f"Choose plotters contract {contract.number} covers."]
        if contract.state in ("expired", "cancelled"):
            errors["contract"] = [f"Contract {contract.number} is {contract.state}."]
    for plotter in plotters:
        _check_plan(data, plotter, errors)
    _check_sop(data.get("sop_id"), errors)
    if errors:
        raise Invalid("The PM plan needs attention.", errors)
    readings = meter_readings_of([plotter.id for plotter in plotters])
    plans = []
    for plotter in sorted(plotters, key=lambda one: one.id):
        series = readings.get(plotter.id, [])
        plan = PmPlan(
            equipment_id=plotter.id,
            contract_id=contract.id if contract else None,
            every_months=data["every_months"],
            every_meter=data["every_meter"],
            sop_id=data["sop_id"],
            lead_days=data["lead_days"],
            assign_usual_tech=data["assign_usual_tech"],
            active=data["active"],
            starts_on=data["starts_on"] or today,
            # The meter as it stood on the day the plan counts from (none: the first since).
            base_meter=reading_on(series, data["starts_on"] or today),
            created_by_id=actor_id,
        )
        refresh_due(plan, series)
        db.session.add(plan)
        plans.append(plan)
    db.session.flush()
    where = f"contract {contract.number}" if contract else plotters[0].customer.name
    record_event(
        "pm.planned",
        "contract" if contract else "equipment",
        contract.id if contract else plotters[0].id,
        f"PM plan {describe(plans[0])} for {len(plans)} plotter"
        f"{'s' if len(plans) != 1 else ''} ({where})",
        actor_id=actor_id,
        equipment_id=plotters[0].id if len(plotters) == 1 else None,
    )
    return plans


def update_plan(plan: PmPlan, data: dict, *, actor_id: int | None) -> PmPlan:
    errors: dict[str, list[str]] = {}
    _check_plan(data, plan.equipment, errors)
    _check_sop(data.get("sop_id"), errors)
    contract = plan.contract
    if data["active"] and not plan.active and contract is not None:
        if contract.state not in ("draft", "active"):
            errors["active"] = [f"Contract {contract.number} is {contract.state}: renew it first."]
        elif plan.equipment not in contract.plotters:
            errors["active"] = [
                f"Contract {contract.number} no longer covers the {plan.equipment.display_name}."
            ]
    if errors:
        raise Invalid("The PM plan needs attention.", errors)
    plan.every_months, plan.every_meter = data["every_months"], data["every_meter"]
    plan.sop_id, plan.lead_days = data["sop_id"], data["lead_days"]
    plan.assign_usual_tech, plan.active = data["assign_usual_tech"], data["active"]
    readings = meter_readings_of([plan.equipment_id]).get(plan.equipment_id, [])
    if data.get("starts_on") and data["starts_on"] != plan.starts_on:
        plan.starts_on = data["starts_on"]
        if plan.last_done_on is None:  # the count starts again from the new day's meter
            plan.base_meter = reading_on(readings, plan.starts_on)
    refresh_due(plan, readings)
    record_event(
        "pm.planned",
        "equipment",
        plan.equipment_id,
        f"PM plan changed: {describe(plan)} on the {plan.equipment.display_name}",
        actor_id=actor_id,
        equipment_id=plan.equipment_id,
    )
    return plan


def describe(plan: PmPlan) -> str:
    """ "every 3 months or 50,000 sq ft, whichever comes first"."""
    parts = []
    if plan.every_months:
        parts.append(f"{plan.every_months} month{'s' if plan.every_months != 1 else ''}")
    if plan.every_meter:
        unit = plan.equipment.meter_unit_label if plan.equipment else ""
        parts.append(f"{plan.every_meter:,} {unit}".strip())
    text = "every " + " or ".join(parts)
    return text + (", whichever comes first" if len(parts) == 2 else "")
