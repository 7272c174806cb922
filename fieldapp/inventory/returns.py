"""Defective part returns (RMA): a part a tech took out of a plotter as defective goes back to
its supplier for credit. Logged with the visit; the office ships it under the supplier's RMA
number, then records the credit or the rejection. Stock levels never move: the part was
the customer's, not the company's stock."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, PartReturn


def require_return(return_id: int) -> PartReturn:
    found = db.session.get(PartReturn, return_id)
    if found is None:
        raise NotFound(f"There is no return RET-{return_id:05d}.")
    return found


def sync_visit_returns(
    visit_id: uuid.UUID,
    equipment_id: int,
    lines: list[tuple[Part, int, str]],
    *,
    actor_id: int,
    job_id: int | None = None,
) -> None:
    """Bring a visit's returns to the defective parts it lists (part, quantity, serial), one
    return per part. A correction changes a return still waiting to ship; one already
    shipped or closed is the office's and stays as it is."""
    wanted: dict[int, tuple[Part, int, list[str]]] = {}
    for part, quantity, serial in lines:
        _, total, serials = wanted.get(part.id, (part, 0, []))
        wanted[part.id] = (part, total + quantity, serials + ([serial] if serial else []))
    logged = {
        row.part_id: row
        for row in db.session.scalars(sa.select(PartReturn).where(PartReturn.visit_id == visit_id))
    }
    for part_id, row in logged.items():
        if part_id not in wanted and row.state == "waiting":
            db.session.delete(row)
    created = []
    for part_id, (part, quantity, serials) in wanted.items():
        row = logged.get(part_id)
        if row is not None and row.state != "waiting":
            continue
        if row is None:
            row = PartReturn(
                part=part,
                visit_id=visit_id,
                equipment_id=equipment_id,
                supplier_id=part.supplier_id,
                created_by_id=actor_id,
                state="waiting",
            )
            db.session.add(row)
            created.append(row)
        row.quantity = quantity
        row.serial = ", ".join(serials)[: PartReturn.serial.type.length]
        row.value_cents = part.unit_cost_cents * quantity
    db.session.flush()
    for row in created:
        record_event(
            "return.logged",
            "part",
            row.part.sku,
            f"{row.reference}: defective {row.part.name} ({row.part.sku}) × {row.quantity} "
            "to return to the supplier",
            actor_id=actor_id,
            job_id=job_id,
            equipment_id=equipment_id,
        )


def _locked(part_return: PartReturn) -> PartReturn:
    """The return's row, locked until commit, read fresh: two clicks at once act once."""
    db.session.refresh(part_return, with_for_update=True)
    return part_return


def ship_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """Shipped to the supplier under their RMA number (data loaded by ReturnShipSchema)."""
    _locked(part_return)
    if part_return.state != "waiting":
        raise Conflict(f"{part_return.reference} was shipped already.")
    part_return.state = "shipped"
    part_return.rma_number = data["rma_number"]
    part_return.shipped_at = utcnow()
    if data.get("note"):
        part_return.note = data["note"]
    _event(part_return, "shipped", f"shipped under RMA {part_return.rma_number}", actor)
    return part_return


def credit_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """The supplier credited it (data loaded by ReturnCreditSchema)."""
    _locked(part_return)
    if part_return.state != "shipped":
        raise Conflict(_not_open(part_return, "credited"))
    part_return.state = "credited"
    part_return.credit_cents = data["credit_cents"]
    part_return.closed_at = utcnow()
    if data.get("note"):
        part_return.note = data["note"]
    _event(part_return, "credited", f"credited ${part_return.credit_cents / 100:,.2f}", actor)
    return part_return


def reject_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """The supplier refused it (before or after it was shipped), with the reason."""
    _locked(part_return)
    if not part_return.is_open:
        raise Conflict(_not_open(part_return, "rejected"))
    part_return.state = "rejected"
    part_return.credit_cents = 0
    part_return.closed_at = utcnow()
    part_return.note = data["note"]
    _event(part_return, "rejected", f"rejected: {part_return.note}", actor)
    return part_return


def _not_open(part_return: PartReturn, verb: str) -> str:
    if part_return.state == "waiting":
        return f"{part_return.reference} is not shipped yet; ship it before it is {verb}."
    return f"{part_return.reference} is closed already ({part_return.state})."


def _event(part_return: PartReturn, verb: str, what: str, actor: User) -> None:
    part = part_return.part
    record_event(
        f"return.{verb}",
        "part",
        part.sku,
        f"{part_return.reference} ({part.name}, {part.sku}) {what}",
        actor_id=actor.id,
        equipment_id=part_return.equipment_id,
    )
