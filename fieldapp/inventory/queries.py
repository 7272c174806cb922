"""Reading the stock ledger."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockLocation, StockMovement


def parts_used_on(visit_id: uuid.UUID) -> dict[tuple[int, int], tuple[int, tuple]]:
    """What a visit has taken from each location so far, after any corrections:
    {(part id, location id): (quantity used, (part, location))}."""
    rows = db.session.execute(
        sa.select(Part, StockLocation, -sa.func.sum(StockMovement.quantity))
        .join(Part, Part.id == StockMovement.part_id)
        .join(StockLocation, StockLocation.id == StockMovement.location_id)
        .where(StockMovement.visit_id == visit_id, StockMovement.kind.in_(("use", "return")))
        .group_by(Part, StockLocation)
    )
    return {
        (part.id, location.id): (int(quantity), (part, location))
        for part, location, quantity in rows
        if quantity
    }
