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
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import REASON_MAX, RETURN_OPEN_STATES, Part, PartReturn


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
            record_event(
                "return.withdrawn",
                "part",
                row.part.sku,
                f"{row.reference} withdrawn: the corrected visit no longer returns the "
                f"{row.part.name} ({row.part.sku})",
                actor_id=actor_id,
                job_id=job_id,
                equipment_id=equipment_id,
            )
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


def ship_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """Shipped to the supplier under their RMA number (data loaded by ReturnShipSchema)."""
    _move(
        part_return,
        ("waiting",),
        "shipped",
        rma_number=data["rma_number"],
        shipped_at=utcnow(),
        note=_noted(part_return, data.get("note", ""), "note"),
    )
    _event(part_return, "shipped", f"shipped under RMA {part_return.rma_number}", actor)
    return part_return


def credit_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """The supplier credited it (data loaded by ReturnCreditSchema)."""
    _move(
        part_return,
        ("shipped",),
        "credited",
        credit_cents=data["credit_cents"],
        closed_at=utcnow(),
        note=_noted(part_return, data.get("note", ""), "note"),
    )
    _event(part_return, "credited", f"credited ${part_return.credit_cents / 100:,.2f}", actor)
    return part_return


def reject_return(part_return: PartReturn, data: dict, actor: User) -> PartReturn:
    """The supplier refused it (before or after it was shipped), with the reason."""
    _move(
        part_return,
        RETURN_OPEN_STATES,
        "rejected",
        credit_cents=0,
        closed_at=utcnow(),
        note=_noted(part_return, data["note"], "reason"),
    )
    _event(part_return, "rejected", f"rejected: {data['note']}", actor)
    return part_return


def _move(part_return: PartReturn, allowed: tuple[str, ...], state: str, **values) -> None:
    """Change the return's state only if it is still in an allowed one: one UPDATE that
    checks it, so two clicks at once (on SQLite too, which locks no row on a read) act once."""
    moved = db.session.execute(
        sa.update(PartReturn)
        .where(PartReturn.id == part_return.id, PartReturn.state.in_(allowed))
        .values(state=state, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(part_return)
    if not moved:
        raise Conflict(_refusal(part_return, state))


def _noted(part_return: PartReturn, text: str, field_name: str) -> str:
    """The return's note with this step's text added after what earlier steps wrote."""
    text = text.strip()
    if not text:
        return part_return.note
    note = f"{part_return.note}; {text}" if part_return.note else text
    if len(note) > REASON_MAX:
        room = REASON_MAX - len(part_return.note) - 2
        raise Invalid.field(
            field_name, f"With the note already there, keep this to {max(room, 0)} characters."
        )
    return note


def _refusal(part_return: PartReturn, wanted: str) -> str:
    if part_return.state == "shipped" and wanted == "shipped":
        return f"{part_return.reference} was shipped already."
    if part_return.state == "waiting":
        return f"{part_return.reference} is not shipped yet; ship it before it is {wanted}."
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
