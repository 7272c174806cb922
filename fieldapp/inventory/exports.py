"""The catalogue, stock levels and the movement ledger as rows for CSV files. The catalogue
has the import's columns, so an export edited in a spreadsheet imports again as it is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.extensions import db
from fieldapp.inventory.imports import CATALOGUE_COLUMNS, dollars
from fieldapp.inventory.models import Part, StockLevel, StockLocation, StockMovement
from fieldapp.inventory.services import warehouse
from fieldapp.localtime import company_zone

# The levels import's columns, with the part's name, its average cost and the level's value.
LEVEL_HEADER = (
    "sku",
    "name",
    "location",
    "quantity",
    "minimum",
    "maximum",
    "unit_cost",
    "value",
)
MOVEMENT_HEADER = (
    "date",
    "sku",
    "name",
    "location",
    "quantity",
    "kind",
    "reason",
    "who",
    "visit_id",
    "unit_cost",
)
# Movements are read this many at a time while the file is sent.
MOVEMENT_BATCH = 1_000


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _location_order() -> sa.ColumnElement:
    return sa.case(
        (StockLocation.kind == "warehouse", 0), (StockLocation.kind == "bin", 1), else_=2
    )


def catalogue_rows() -> list[list]:
    """Every part (deactivated ones too), by SKU, with the warehouse's minimum and maximum
    (empty where the warehouse keeps no level of it: an import then leaves them alone)."""
    store = warehouse()
    limits = (
        {
            part_id: (minimum, maximum)
            for part_id, minimum, maximum in db.session.execute(
                sa.select(StockLevel.part_id, StockLevel.minimum, StockLevel.maximum).where(
                    StockLevel.location_id == store.id
                )
            )
        }
        if store
        else {}
    )
    parts = db.session.scalars(
        sa.select(Part)
        .options(selectinload(Part.compatible), selectinload(Part.supplier))
        .order_by(Part.sku)
    )
    rows: list[list] = [[column.name for column in CATALOGUE_COLUMNS]]
    for part in parts:
        minimum, maximum = limits.get(part.id, ("", ""))
        rows.append(
            [
                part.sku,
                part.name,
                part.manufacturer,
                part.manufacturer_part_number,
                part.category,
                dollars(part.unit_cost_cents),
                minimum,
                maximum,
                "; ".join(part.compatible_models),
                part.supplier.name if part.supplier else "",
                part.supplier_part_number,
                _yes_no(part.consumable),
                _yes_no(part.active),
            ]
        )
    return rows


def level_rows() -> list[list]:
    """Every level that holds stock or says what to keep, at the locations in use (and any
    stock left at one out of use), by location and SKU; value at the average cost."""
    query = (
        sa.select(
            Part.sku,
            StockLocation.name,
            StockLevel.quantity,
            StockLevel.minimum,
            StockLevel.maximum,
            Part.name,
            Part.unit_cost_cents,
        )
        .join(Part, Part.id == StockLevel.part_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .where(
            sa.or_(StockLocation.active, StockLevel.quantity != 0),
            sa.or_(StockLevel.quantity != 0, StockLevel.minimum > 0, StockLevel.maximum > 0),
        )
        .order_by(_location_order(), StockLocation.name, Part.sku)
    )
    rows: list[list] = [list(LEVEL_HEADER)]
    for sku, location, quantity, minimum, maximum, name, cost in db.session.execute(query):
        value = max(quantity, 0) * cost
        rows.append(
            [sku, name, location, quantity, minimum, maximum, dollars(cost), dollars(value)]
        )
    return rows


def movement_batches(
    since: datetime | None, until: datetime | None
) -> Iterator[list[StockMovement]]:
    """The ledger from since (inclusive) to until (exclusive), oldest first, a batch at a
    time: each batch starts after the last line of the one before (by time, then id), so a
    long ledger is never held at once and no line is read twice."""
    size = MOVEMENT_BATCH
    last: tuple[datetime, int] | None = None
    while True:
        query = (
            sa.select(StockMovement)
            .options(
                selectinload(StockMovement.part),
                selectinload(StockMovement.location),
                selectinload(StockMovement.actor),
            )
            .order_by(StockMovement.at, StockMovement.id)
            .limit(size)
        )
        if since is not None:
            query = query.where(StockMovement.at >= since)
        if until is not None:
            query = query.where(StockMovement.at < until)
        if last is not None:
            at, movement_id = last
            query = query.where(
                sa.or_(
                    StockMovement.at > at,
                    sa.and_(StockMovement.at == at, StockMovement.id > movement_id),
                )
            )
        batch = list(db.session.scalars(query))
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = (batch[-1].at, batch[-1].id)


def movement_row(movement: StockMovement) -> list:
    return [
        movement.at.astimezone(company_zone()).strftime("%Y-%m-%d %H:%M"),
        movement.part.sku,
        movement.part.name,
        movement.location.name,
        movement.quantity,
        movement.kind,
        movement.reason,
        movement.actor.name if movement.actor else "",
        str(movement.visit_id) if movement.visit_id else "",
        dollars(movement.unit_cost_cents),
    ]
