"""The stock ledger: every change of a stock level is a movement written in the same transaction.

Levels may go below zero: a part used in the field is physically gone, so use is always
accepted and the office sees the negative level instead of the tech being refused.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.database import upsert
from fieldapp.errors import Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockLevel, StockLocation, StockMovement

SOURCES = ("van", "warehouse")
NO_VAN = "You have no van set up; ask the office to add it under Parts."
NO_WAREHOUSE = "There is no warehouse set up; ask the office to add it under Parts."


def van_of(tech_id: int) -> StockLocation | None:
    return db.session.scalar(sa.select(StockLocation).where(StockLocation.tech_id == tech_id))


def warehouse() -> StockLocation | None:
    return db.session.scalar(
        sa.select(StockLocation).where(StockLocation.kind == "warehouse").order_by(StockLocation.id)
    )


def location_for(source: str, tech_id: int) -> StockLocation:
    """The tech's van or the warehouse, as a part's "from" in a visit names it."""
    location = van_of(tech_id) if source == "van" else warehouse()
    if location is None:
        raise Invalid.field("from", NO_VAN if source == "van" else NO_WAREHOUSE)
    return location


def part_by_sku(sku: str) -> Part | None:
    return db.session.scalar(sa.select(Part).where(Part.sku == sku.strip()))


def _bump_level(part_id: int, location_id: int, quantity: int) -> int:
    """Add quantity to a level, creating the row on first use; returns the new level.

    One INSERT ... ON CONFLICT DO UPDATE (the same SQL on SQLite and PostgreSQL) so two
    writers at once can neither lose an update nor both create the row.
    """
    table = StockLevel.__table__
    statement = (
        upsert(table)
        .values(part_id=part_id, location_id=location_id, quantity=quantity)
        .on_conflict_do_update(
            index_elements=[table.c.part_id, table.c.location_id],
            set_={"quantity": table.c.quantity + quantity},
        )
        .returning(table.c.quantity)
    )
    return db.session.execute(statement).scalar_one()


def record_movement(
    part: Part,
    location: StockLocation,
    quantity: int,
    kind: str,
    *,
    actor_id: int | None,
    reason: str = "",
    visit_id: uuid.UUID | None = None,
    transfer_id: uuid.UUID | None = None,
) -> tuple[StockMovement, int]:
    """Write one ledger line and move the level with it (no commit); returns the new level."""
    if quantity == 0:
        raise Invalid.field("quantity", "A movement of zero parts changes nothing.")
    movement = StockMovement(
        part_id=part.id,
        location_id=location.id,
        quantity=quantity,
        kind=kind,
        reason=reason[:300],
        actor_id=actor_id,
        visit_id=visit_id,
        transfer_id=transfer_id,
        unit_cost_cents=part.unit_cost_cents,
    )
    db.session.add(movement)
    level = _bump_level(part.id, location.id, quantity)
    return movement, level


def use_part(
    part: Part,
    location: StockLocation,
    quantity: int,
    *,
    actor_id: int,
    visit_id: uuid.UUID | None,
    equipment_id: int | None = None,
    job_id: int | None = None,
) -> StockMovement:
    """Take parts out for a visit. Never refused for lack of stock; a negative level is flagged."""
    if quantity <= 0:
        raise Invalid.field("quantity", "Use a quantity of 1 or more.")
    movement, level = record_movement(
        part, location, -quantity, "use", actor_id=actor_id, visit_id=visit_id
    )
    summary = f"Used {quantity} × {part.name} ({part.sku}) from {location.name}"
    if level < 0:
        summary += f"; {location.name} now shows {level}: count and correct it"
    record_event(
        "part.used" if level >= 0 else "stock.negative",
        "part",
        part.sku,
        summary,
        actor_id=actor_id,
        job_id=job_id,
        equipment_id=equipment_id,
    )
    return movement


def adjust_to_count(
    part: Part, location: StockLocation, counted: int, *, actor_id: int, reason: str
) -> StockMovement | None:
    """Set a level to what was physically counted by writing the difference as an adjustment."""
    if counted < 0:
        raise Invalid.field("counted", "A count cannot be negative.")
    current = (
        db.session.scalar(
            sa.select(StockLevel.quantity).where(
                StockLevel.part_id == part.id, StockLevel.location_id == location.id
            )
        )
        or 0
    )
    if counted == current:
        return None
    movement, _ = record_movement(
        part, location, counted - current, "adjust", actor_id=actor_id, reason=reason or "Count"
    )
    return movement


def transfer(
    part: Part,
    source: StockLocation,
    target: StockLocation,
    quantity: int,
    *,
    actor_id: int,
    reason: str = "",
) -> uuid.UUID:
    """Move parts between locations: two ledger lines sharing one transfer id."""
    if quantity <= 0:
        raise Invalid.field("quantity", "Transfer a quantity of 1 or more.")
    if source.id == target.id:
        raise Invalid.field("to", "Choose a different location to transfer to.")
    transfer_id = uuid.uuid4()
    record_movement(
        part,
        source,
        -quantity,
        "transfer",
        actor_id=actor_id,
        reason=reason,
        transfer_id=transfer_id,
    )
    record_movement(
        part,
        target,
        quantity,
        "transfer",
        actor_id=actor_id,
        reason=reason,
        transfer_id=transfer_id,
    )
    return transfer_id


def return_part(
    part: Part,
    location: StockLocation,
    quantity: int,
    *,
    actor_id: int,
    reason: str,
    visit_id: uuid.UUID | None = None,
) -> StockMovement:
    """Parts coming back into a location (unused after a visit, or back from a customer)."""
    if quantity <= 0:
        raise Invalid.field("quantity", "Return a quantity of 1 or more.")
    movement, _ = record_movement(
        part, location, quantity, "return", actor_id=actor_id, reason=reason, visit_id=visit_id
    )
    return movement


def stock_at(location_id: int) -> list[tuple[Part, int]]:
    """Every part a location holds or has held, with its quantity, by name."""
    rows = db.session.execute(
        sa.select(Part, StockLevel.quantity)
        .join(StockLevel, StockLevel.part_id == Part.id)
        .where(StockLevel.location_id == location_id)
        .order_by(Part.name)
    )
    return [(part, quantity) for part, quantity in rows]


def get_part(sku: str) -> Part:
    part = part_by_sku(sku)
    if part is None:
        raise NotFound(f"No part with the number {sku}.")
    return part
