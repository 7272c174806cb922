"""Finding plotters: by customer, model, serial or short code, for pages and the API."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.equipment.tokens import normalise_code
from fieldapp.extensions import db
from fieldapp.jsonrows import Read, instances, json_rows, rows_of
from fieldapp.textsearch import all_words_in, words_of


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


def plotters_matching(text: str, limit: int) -> list[Equipment]:
    """The search box's plotters: the one whose label code or serial it is, then those whose
    make, model and serial hold every word (retired ones too), active first."""
    words = words_of(text)
    if not words:
        return []
    exact = [Equipment.serial_number == "".join(text.split()).upper()]
    token = normalise_code(text)
    if token:
        exact.append(Equipment.qr_token == token)
    columns = (Equipment.make, Equipment.model, Equipment.serial_number)
    return list(
        db.session.scalars(
            sa.select(Equipment)
            .where(sa.or_(*exact, all_words_in(text, *columns)))
            .options(selectinload(Equipment.customer))
            .order_by(
                sa.case((sa.or_(*exact), 0), else_=1),
                (Equipment.status == "active").desc(),
                Equipment.make,
                Equipment.model,
                Equipment.id,
            )
            .limit(limit)
        )
    )


def find_equipment(equipment_id: int) -> Equipment | None:
    return db.session.get(Equipment, equipment_id)


def plotters_of(customer_id: int, *, status: str | None = "active") -> list[Equipment]:
    """A customer's plotters, in the order the plotter lists show them."""
    return list(db.session.scalars(equipment_query(customer_id=customer_id, status=status)))


def plotters_by_id(ids: list[int]) -> dict[int, Equipment]:
    if not ids:
        return {}
    found = db.session.scalars(sa.select(Equipment).where(Equipment.id.in_(ids)))
    return {equipment.id: equipment for equipment in found}


def plotters_by_serial(serials: list[str]) -> dict[tuple[str, str], Equipment]:
    """Plotters with these serial numbers (as stored: upper case) by (make in lower case,
    serial): a serial is unique per make. Read 500 serials to a query."""
    wanted = sorted(set(serials))
    found: dict[tuple[str, str], Equipment] = {}
    for start in range(0, len(wanted), 500):
        for plotter in db.session.scalars(
            sa.select(Equipment)
            .where(Equipment.serial_number.in_(wanted[start : start + 500]))
            .options(selectinload(Equipment.customer), selectinload(Equipment.site))
        ):
            found[(plotter.make.lower(), plotter.serial_number)] = plotter
    return found


def active_plotter_counts(customer_ids: list[int]) -> dict[int, int]:
    """How many active plotters each customer has, in one query."""
    rows = db.session.execute(
        sa.select(Equipment.customer_id, sa.func.count())
        .where(Equipment.customer_id.in_(customer_ids), Equipment.status == "active")
        .group_by(Equipment.customer_id)
    )
    counts = dict.fromkeys(customer_ids, 0)
    counts.update({customer_id: count for customer_id, count in rows})
    return counts


def with_plotter(relationship):
    """Load the plotters (with their customers) of the rows found, in one more query by id.

    Joining them into the main query lets SQLite's planner start from the customers table, or
    materialise every plotter (the mapping joins a plotter's customer inside), which costs tens
    of milliseconds on a big database; a second query by primary key costs well under one.
    """
    return selectinload(relationship)


@dataclass
class MeterTrend:
    latest: MeterReading | None
    readings: list[MeterReading]
    per_month: int | None  # average increase per 30 days over the readings shown


def meter_trend_read(equipment_id: int, count: int = 8) -> Read:
    """A plotter's latest meter readings and their trend, as a read that travels with the
    page's others (read_together)."""

    def answer(value) -> MeterTrend:
        readings = instances(MeterReading, rows_of(value, MeterReading))
        readings.reverse()
        return _trend(readings)

    return Read(_meter_trend_columns(count), answer, {"equipment_id": equipment_id})


@functools.cache
def _meter_trend_columns(count: int) -> tuple:
    latest = (
        sa.select(MeterReading.id, MeterReading.value, MeterReading.taken_at)
        .where(MeterReading.equipment_id == sa.bindparam("equipment_id"))
        .limit(count)
    )
    return (json_rows(latest, MeterReading.taken_at.desc(), MeterReading.id.desc()),)


def _trend(readings: list[MeterReading]) -> MeterTrend:
    """The trend of these readings, oldest first."""
    per_month = None
    if len(readings) >= 2:
        days = (readings[-1].taken_at - readings[0].taken_at).total_seconds() / 86400
        if days >= 1:
            per_month = round((readings[-1].value - readings[0].value) / days * 30)
    return MeterTrend(readings[-1] if readings else None, readings, per_month)
