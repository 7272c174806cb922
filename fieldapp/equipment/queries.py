"""Finding plotters: by customer, model, serial or short code, for pages and the API."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.tokens import normalise_code
from fieldapp.extensions import db
from fieldapp.visits.models import Visit


def equipment_query(
    q: str = "",
    *,
    serial: str = "",
    customer_id: int | None = None,
    status: str | None = "active",
) -> sa.Select:
    """A select of plotters (with their customer) matching the filters, ordered for lists."""
    query = sa.select(Equipment).join(Customer, Customer.id == Equipment.customer_id)
    if status:
        query = query.where(Equipment.status == status)
    if customer_id is not None:
        query = query.where(Equipment.customer_id == customer_id)
    if serial.strip():
        query = query.where(Equipment.serial_number == serial.strip().upper())
    text = q.strip()
    if text:
        pattern = f"%{text.lower()}%"
        conditions = [
            sa.func.lower(Customer.name).like(pattern),
            sa.func.lower(Equipment.model).like(pattern),
            sa.func.lower(Equipment.make + " " + Equipment.model).like(pattern),
            sa.func.lower(Equipment.serial_number).like(pattern),
            sa.func.lower(Equipment.location_note).like(pattern),
        ]
        token = normalise_code(text)
        if token:
            conditions.append(Equipment.qr_token == token)
        query = query.where(sa.or_(*conditions))
    return query.order_by(Customer.name, Equipment.make, Equipment.model, Equipment.id)


def history_summaries(equipment_ids: list[int]) -> dict[int, dict]:
    """Visit count and last visit per plotter, in one query."""
    if not equipment_ids:
        return {}
    rows = (
        sa.select(
            Visit.equipment_id,
            sa.func.count(Visit.id),
            sa.func.max(Visit.started_at),
        )
        .where(Visit.equipment_id.in_(equipment_ids))
        .group_by(Visit.equipment_id)
    )

    found = {
        equipment_id: {"visits": count, "last_visit_at": last}
        for equipment_id, count, last in db.session.execute(rows)
    }
    return {
        equipment_id: found.get(equipment_id, {"visits": 0, "last_visit_at": None})
        for equipment_id in equipment_ids
    }
