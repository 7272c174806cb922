"""The stock ledger: every change of a stock level is a movement written in the same transaction.

Levels may go below zero: a part used in the field is physically gone, so use is always
accepted and the office sees the negative level instead of the tech being refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.database import upsert
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    SKU_MAX,
    Part,
    PartCompatibility,
    StockLevel,
    StockLocation,
    StockMovement,
    StockOperation,
    Supplier,
)
from fieldapp.unit_of_work import savepoint

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
    sku = sku.strip()
    if not sku or len(sku) > SKU_MAX or "\x00" in sku:  # no part has it; PostgreSQL refuses NUL
        return None
    return db.session.scalar(sa.select(Part).where(Part.sku == sku))


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
    operation: StockOperation | None = None,
    unit_cost_cents: int | None = None,
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
        unit_cost_cents=part.unit_cost_cents if unit_cost_cents is None else unit_cost_cents,
        operation=operation,
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


def level_of(part_id: int, location_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(StockLevel.quantity).where(
                StockLevel.part_id == part_id, StockLevel.location_id == location_id
            )
        )
        or 0
    )


def adjust_to_count(
    part: Part,
    location: StockLocation,
    counted: int,
    *,
    actor_id: int,
    reason: str,
    operation: StockOperation | None = None,
) -> StockMovement | None:
    """Set a level to what was physically counted by writing the difference as an adjustment."""
    if counted < 0:
        raise Invalid.field("counted", "A count cannot be negative.")
    current = level_of(part.id, location.id)
    if counted == current:
        return None
    movement, _ = record_movement(
        part,
        location,
        counted - current,
        "adjust",
        actor_id=actor_id,
        reason=reason or "count",
        operation=operation,
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
    operation: StockOperation | None = None,
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
        operation=operation,
    )
    record_movement(
        part,
        target,
        quantity,
        "transfer",
        actor_id=actor_id,
        reason=reason,
        transfer_id=transfer_id,
        operation=operation,
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


def get_part(sku: str) -> Part:
    part = part_by_sku(sku)
    if part is None:
        raise NotFound(f"No part with the number {sku}.")
    return part


# -- Stock operations: receive, transfer, count, adjust, return ------------------------------


@dataclass
class Applied:
    """An operation as applied (or found applied before, when its id came again)."""

    operation: StockOperation
    duplicate: bool
    levels: list[dict] = field(default_factory=list)


def location_by_id(location_id: int, field_name: str) -> StockLocation:
    location = db.session.get(StockLocation, location_id)
    if location is None:
        raise Invalid.field(field_name, "There is no such location.")
    if not location.active:
        raise Invalid.field(field_name, f"{location.name} is no longer in use.")
    return location


def _check_may_do(kind: str, target: StockLocation | None, actor: User) -> None:
    """The office moves any stock; a tech only records a count of their own van."""
    if actor.is_office:
        return
    if kind != "count":
        raise Invalid.field("kind", "Only the office records stock movements; ask for a restock.")
    if target is None or target.tech_id != actor.id:
        raise Invalid.field("to", "You can count your own van only.")


def apply_stock_operation(data: dict, actor: User) -> Applied:
    """Apply one operation loaded by StockOperationSchema, once per id (no commit).

    The same id again answers the first result and changes nothing; the same id for a
    different operation is a conflict. Two requests with one id at once: the operation row
    is inserted first, in a savepoint, so the second finds the first and writes nothing.
    """
    earlier = db.session.get(StockOperation, data["id"])
    if earlier is not None:
        return _again(earlier, data, actor)
    part = part_by_sku(data["sku"])
    if part is None:
        raise Invalid.field("sku", f"There is no part with the number {data['sku']}.")
    kind = data["kind"]
    source = location_by_id(data["source"], "from") if data.get("source") else None
    target = location_by_id(data["target"], "to") if data.get("target") else None
    _check_may_do(kind, target, actor)
    if kind == "receive" and target.kind == "van":
        raise Invalid.field("to", "Receive into the warehouse; a van is restocked by a transfer.")
    operation = StockOperation(
        id=data["id"],
        kind=kind,
        part=part,
        quantity=data["quantity"],
        reason=data.get("reason") or "",
        actor_id=actor.id,
    )
    try:
        with savepoint():
            db.session.add(operation)
    except sa.exc.IntegrityError:
        earlier = db.session.get(StockOperation, data["id"])
        if earlier is None:
            raise
        return _again(earlier, data, actor)
    quantity, reason = data["quantity"], operation.reason
    if kind == "receive":
        cost = (
            part.unit_cost_cents if data.get("unit_cost_cents") is None else data["unit_cost_cents"]
        )
        _average_in(part, quantity, cost)
        record_movement(
            part,
            target,
            quantity,
            "receive",
            actor_id=actor.id,
            reason=reason,
            operation=operation,
            unit_cost_cents=cost,
        )
    elif kind == "transfer":
        transfer(
            part, source, target, quantity, actor_id=actor.id, reason=reason, operation=operation
        )
    elif kind == "count":
        adjust_to_count(
            part,
            target,
            quantity,
            actor_id=actor.id,
            reason=f"count: {reason}" if reason else "count",
            operation=operation,
        )
    elif kind == "adjust":
        record_movement(
            part, target, quantity, "adjust", actor_id=actor.id, reason=reason, operation=operation
        )
    else:  # return: out of `from`, back to the supplier
        record_movement(
            part, source, -quantity, "return", actor_id=actor.id, reason=reason, operation=operation
        )
    db.session.flush()
    record_event(
        f"stock.{kind}", "part", part.sku, _summary(operation, source, target), actor_id=actor.id
    )
    return Applied(operation, duplicate=False, levels=_levels_after(operation, source, target))


def _again(earlier: StockOperation, data: dict, actor: User) -> Applied:
    same = (
        earlier.kind == data["kind"]
        and earlier.part.sku == data["sku"].strip()
        and earlier.quantity == data["quantity"]
        and earlier.actor_id == actor.id
    )
    if not same:
        raise Conflict("This operation id was already used for a different stock operation.")
    touched = {m.location_id: m.location for m in earlier.movements}
    return Applied(
        earlier,
        duplicate=True,
        levels=[_level_row(earlier.part, location) for location in touched.values()],
    )


def _average_in(part: Part, quantity: int, cost_cents: int) -> None:
    """A receipt moves the part's average cost: what is on hand at the old average plus
    what arrives at its cost, over the new total (stock below zero counts as none)."""
    on_hand = max(
        0,
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(StockLevel.quantity), 0)).where(
                StockLevel.part_id == part.id
            )
        ),
    )
    total = on_hand + quantity
    part.unit_cost_cents = round((on_hand * part.unit_cost_cents + quantity * cost_cents) / total)


def _level_row(part: Part, location: StockLocation) -> dict:
    return {
        "location_id": location.id,
        "location": location.name,
        "quantity": level_of(part.id, location.id),
    }


def _levels_after(
    operation: StockOperation, source: StockLocation | None, target: StockLocation | None
) -> list[dict]:
    return [_level_row(operation.part, loc) for loc in (source, target) if loc is not None]


def _summary(
    operation: StockOperation, source: StockLocation | None, target: StockLocation | None
) -> str:
    part, quantity = operation.part, operation.quantity
    what = f"{part.name} ({part.sku})"
    match operation.kind:
        case "receive":
            return f"Received {quantity} × {what} into {target.name}"
        case "transfer":
            return f"Moved {quantity} × {what} from {source.name} to {target.name}"
        case "count":
            return f"Counted {quantity} × {what} in {target.name}"
        case "adjust":
            return f"Adjusted {what} in {target.name} by {quantity:+d} ({operation.reason})"
        case _:
            return f"Returned {quantity} × {what} from {source.name}: {operation.reason}"


# -- The catalogue and locations -------------------------------------------------------------


def _unique_sku(sku: str, part: Part | None) -> None:
    other = part_by_sku(sku)
    if other is not None and other is not part:
        raise Invalid.field("sku", f"{sku} is already the number of {other.name}.")


def _supplier(supplier_id: int | None) -> Supplier | None:
    if supplier_id is None:
        return None
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise Invalid.field("supplier_id", "There is no such supplier.")
    return supplier


def _set_part_fields(part: Part, data: dict) -> None:
    part.sku = data["sku"].strip()
    part.name = data["name"].strip()
    part.manufacturer = data.get("manufacturer", "").strip()
    part.manufacturer_part_number = data.get("manufacturer_part_number", "").strip()
    part.category = data.get("category") or "other"
    part.unit_cost_cents = data.get("unit_cost_cents") or 0
    part.consumable = bool(data.get("consumable"))
    part.supplier = _supplier(data.get("supplier_id"))
    part.supplier_part_number = data.get("supplier_part_number", "").strip()
    models = {" ".join(m.split()): None for m in data.get("compatible_models", []) if m.strip()}
    kept = {row.model: row for row in part.compatible}
    part.compatible = [kept.get(model) or PartCompatibility(model=model) for model in models]


def create_part(data: dict, *, actor_id: int) -> Part:
    """A new catalogue part (data loaded by PartInputSchema)."""
    _unique_sku(data["sku"].strip(), None)
    part = Part(sku=data["sku"].strip(), name=data["name"].strip())
    _set_part_fields(part, data)
    db.session.add(part)
    db.session.flush()
    record_event(
        "part.created", "part", part.sku, f"Added {part.name} ({part.sku})", actor_id=actor_id
    )
    return part


def update_part(part: Part, data: dict, *, actor_id: int) -> Part:
    _unique_sku(data["sku"].strip(), part)
    _set_part_fields(part, data)
    db.session.flush()
    record_event(
        "part.updated", "part", part.sku, f"Edited {part.name} ({part.sku})", actor_id=actor_id
    )
    return part


def set_part_active(part: Part, active: bool, *, actor_id: int) -> None:
    """Deactivated parts leave the lists and the phone's part picker; their history stays."""
    part.active = active
    verb, word = (
        ("part.reactivated", "Reactivated") if active else ("part.deactivated", "Deactivated")
    )
    record_event(verb, "part", part.sku, f"{word} {part.name} ({part.sku})", actor_id=actor_id)


def set_limits(part: Part, location: StockLocation, minimum: int, maximum: int) -> None:
    """What a location should hold of a part (loaded by LimitsSchema: 0 <= minimum <= maximum)."""
    table = StockLevel.__table__
    db.session.execute(
        upsert(table)
        .values(
            part_id=part.id, location_id=location.id, quantity=0, minimum=minimum, maximum=maximum
        )
        .on_conflict_do_update(
            index_elements=[table.c.part_id, table.c.location_id],
            set_={"minimum": minimum, "maximum": maximum},
        )
    )


def _free_location_name(name: str, location: StockLocation | None) -> str:
    name = " ".join(name.split())
    other = db.session.scalar(sa.select(StockLocation).where(StockLocation.name == name))
    if other is not None and other is not location:
        raise Invalid.field("name", f"There is already a location called {name}.")
    return name


def create_location(name: str, *, parent: StockLocation | None) -> StockLocation:
    """The warehouse (when there is none yet) or a shelf or bin inside it."""
    if parent is None and warehouse() is not None:
        raise Invalid.field("name", "There is a warehouse already; add shelves or bins inside it.")
    if parent is not None and parent.kind != "warehouse":
        raise Invalid.field("parent", "Shelves and bins go inside the warehouse.")
    location = StockLocation(
        name=_free_location_name(name, None),
        kind="bin" if parent else "warehouse",
        parent=parent,
    )
    db.session.add(location)
    db.session.flush()
    return location


def rename_location(location: StockLocation, name: str) -> None:
    location.name = _free_location_name(name, location)
