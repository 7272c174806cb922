"""Reading the stock ledger: the catalogue, levels, alerts, the reorder list, value and usage.

Every page's reads are a fixed number of queries whatever the size of the ledger."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    RETURN_OPEN_STATES,
    SKU_MAX,
    Part,
    PartCompatibility,
    PartReturn,
    PurchaseOrder,
    RestockLine,
    RestockRequest,
    StockLevel,
    StockLocation,
    StockMovement,
    Supplier,
)
from fieldapp.jsonrows import Read, json_rows, read_together, rows_of
from fieldapp.textsearch import all_words_in, words_of


def below_minimum() -> sa.ColumnElement[bool]:
    return StockLevel.low


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


# -- Alerts --------------------------------------------------------------------------------


@dataclass
class StockAlert:
    part: Part
    location: StockLocation
    quantity: int
    minimum: int
    maximum: int

    @property
    def negative(self) -> bool:
        return self.quantity < 0


def stock_alerts(page: int = 1, per_page: int = 10) -> tuple[list[StockAlert], int, int]:
    """Levels under their minimum or below zero, negative counts first, in use only; with
    the number of alerts and of negative counts (one query)."""
    return read_together(stock_alerts_read(page, per_page))[0]


def stock_alerts_read(page: int = 1, per_page: int = 10) -> Read:
    """stock_alerts as a read that travels with the page's others (read_together): each
    alert's part and location are in no session, with what a list of alerts shows (ids,
    SKU and names)."""

    def answer(rows, total, negative) -> tuple[list[StockAlert], int, int]:
        alerts = []
        for row in rows_of(rows):
            part = Part(id=row["part_id"], sku=row["sku"], name=row["part_name"])
            location = StockLocation(id=row["location_id"], name=row["location_name"])
            alerts.append(
                StockAlert(part, location, row["quantity"], row["minimum"], row["maximum"])
            )
        return alerts, total or 0, int(negative or 0)

    return Read(
        _stock_alert_columns(),
        answer,
        {"alerts_limit": per_page, "alerts_offset": (page - 1) * per_page},
    )


@functools.cache
def _stock_alert_columns() -> tuple:
    def alerting(query: sa.Select) -> sa.Select:
        return (
            query.join(Part, Part.id == StockLevel.part_id)
            .join(StockLocation, StockLocation.id == StockLevel.location_id)
            .where(Part.active, StockLocation.active, below_minimum())
        )

    listed = alerting(
        sa.select(
            Part.id.label("part_id"),
            Part.sku,
            Part.name.label("part_name"),
            StockLocation.id.label("location_id"),
            StockLocation.name.label("location_name"),
            StockLevel.quantity,
            StockLevel.minimum,
            StockLevel.maximum,
        ).select_from(StockLevel)
    )
    order = (
        sa.case((StockLevel.quantity < 0, 0), else_=1),
        StockLevel.quantity - StockLevel.minimum,
        Part.name,
        StockLocation.name,
    )
    page = (
        listed.order_by(*order)
        .limit(sa.bindparam("alerts_limit", type_=sa.Integer()))
        .offset(sa.bindparam("alerts_offset", type_=sa.Integer()))
    )
    totals = alerting(sa.select(sa.func.count()).select_from(StockLevel))
    negative = alerting(
        sa.select(sa.func.sum(sa.case((StockLevel.quantity < 0, 1), else_=0))).select_from(
            StockLevel
        )
    )
    return (
        json_rows(page, *order),
        totals.scalar_subquery(),
        negative.scalar_subquery(),
    )


def alert_totals() -> tuple[int, int]:
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((StockLevel.quantity < 0, 1), else_=0)))
        .select_from(StockLevel)
        .join(Part, Part.id == StockLevel.part_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .where(Part.active, StockLocation.active, below_minimum())
    ).one()
    return row[0], int(row[1] or 0)


# -- Catalogue -----------------------------------------------------------------------------


@dataclass
class PartRow:
    part: Part
    on_hand: int
    low: bool


def find_parts(
    *,
    q: str = "",
    model: str = "",
    category: str = "",
    low: bool = False,
    inactive: bool = False,
    page: int = 1,
    per_page: int = 50,
):
    """The catalogue, filtered: q matches SKU, name, manufacturer or supplier part number;
    model a plotter model the part fits; low only parts with a level under its minimum.
    Returns (Flask-SQLAlchemy page of parts, {part id: PartRow})."""
    query = (
        sa.select(Part)
        .where(Part.active.is_(not inactive))
        .options(selectinload(Part.compatible))
        .order_by(Part.name, Part.sku)
    )
    if q.strip():
        like = f"%{_escaped(q.strip())}%"
        query = query.where(
            sa.or_(
                Part.sku.ilike(like, escape="\\"),
                Part.name.ilike(like, escape="\\"),
                Part.manufacturer_part_number.ilike(like, escape="\\"),
                Part.supplier_part_number.ilike(like, escape="\\"),
                Part.compatible.any(PartCompatibility.model.ilike(like, escape="\\")),
            )
        )
    if model.strip():
        like = f"%{_escaped(model.strip())}%"
        query = query.where(Part.compatible.any(PartCompatibility.model.ilike(like, escape="\\")))
    if category:
        query = query.where(Part.category == category)
    if low:
        query = query.where(
            sa.exists().where(
                StockLevel.part_id == Part.id,
                StockLocation.id == StockLevel.location_id,
                StockLocation.active,
                below_minimum(),
            )
        )
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    ids = [part.id for part in result.items]
    totals = (
        {
            part_id: (int(on_hand or 0), bool(low_count))
            for part_id, on_hand, low_count in db.session.execute(
                sa.select(
                    StockLevel.part_id,
                    sa.func.sum(StockLevel.quantity),
                    sa.func.sum(sa.case((below_minimum(), 1), else_=0)),
                )
                .join(StockLocation, StockLocation.id == StockLevel.location_id)
                .where(StockLevel.part_id.in_(ids), StockLocation.active)
                .group_by(StockLevel.part_id)
            )
        }
        if ids
        else {}
    )
    rows = {part.id: PartRow(part, *totals.get(part.id, (0, False))) for part in result.items}
    return result, rows


def parts_matching(text: str, limit: int) -> list[Part]:
    """The search box's parts: every word in the SKU, name or part numbers, active first."""
    if not words_of(text):
        return []
    columns = (Part.sku, Part.name, Part.manufacturer_part_number, Part.supplier_part_number)
    return list(
        db.session.scalars(
            sa.select(Part)
            .where(all_words_in(text, *columns))
            .order_by(Part.active.desc(), Part.name, Part.sku)
            .limit(limit)
        )
    )


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def part_with_details(sku: str) -> Part | None:
    if len(sku) > SKU_MAX or "\x00" in sku:  # no part has it; PostgreSQL refuses NUL
        return None
    return db.session.scalar(
        sa.select(Part)
        .where(Part.sku == sku)
        .options(selectinload(Part.compatible), selectinload(Part.supplier))
    )


def levels_of(part_id: int) -> list[tuple[StockLocation, StockLevel]]:
    """Where a part is kept: every location in use (with its level, when it has one)."""
    rows = db.session.execute(
        sa.select(StockLocation, StockLevel)
        .outerjoin(
            StockLevel,
            (StockLevel.location_id == StockLocation.id) & (StockLevel.part_id == part_id),
        )
        .where(sa.or_(StockLocation.active, StockLevel.quantity != 0))
        .order_by(
            sa.case(
                (StockLocation.kind == "warehouse", 0), (StockLocation.kind == "bin", 1), else_=2
            ),
            StockLocation.name,
        )
    ).all()
    return [(location, level) for location, level in rows]


def movements_of(part_id: int, page: int = 1, per_page: int = 25):
    """A part's ledger, newest first, with where, who and why (a page of movements)."""
    query = (
        sa.select(StockMovement)
        .where(StockMovement.part_id == part_id)
        .options(selectinload(StockMovement.location), selectinload(StockMovement.actor))
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def cost_history(part_id: int, limit: int = 12) -> list[StockMovement]:
    """What the part cost at its last receipts."""
    return list(
        db.session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.part_id == part_id, StockMovement.kind == "receive")
            .order_by(StockMovement.at.desc())
            .limit(limit)
        )
    )


def usage_by_month(part_id: int | None = None, months: int = 12) -> list[tuple[int, int, int]]:
    """(year, month, parts used on visits) for the last months, oldest first; corrections
    of a visit that gave parts back count against the month they happened in."""
    since = utcnow() - timedelta(days=31 * months)
    year = sa.extract("year", StockMovement.at)
    month = sa.extract("month", StockMovement.at)
    query = (
        sa.select(year, month, -sa.func.sum(StockMovement.quantity))
        .where(
            StockMovement.kind.in_(("use", "return")),
            StockMovement.visit_id.is_not(None),
            StockMovement.at >= since,
        )
        .group_by(year, month)
        .order_by(year, month)
    )
    if part_id is not None:
        query = query.where(StockMovement.part_id == part_id)
    return [(int(y), int(m), int(n or 0)) for y, m, n in db.session.execute(query)]


# -- Locations -----------------------------------------------------------------------------


@dataclass
class LocationRow:
    location: StockLocation
    kinds: int
    units: int
    value_cents: int
    low: int


def locations_with_value(include_inactive: bool = False) -> list[LocationRow]:
    """Every location with how many kinds of part and units it holds, their value at the
    average cost, and how many levels are under their minimum."""
    counted = (
        sa.select(
            StockLevel.location_id,
            sa.func.sum(sa.case((StockLevel.quantity != 0, 1), else_=0)).label("kinds"),
            sa.func.sum(sa.case((StockLevel.quantity > 0, StockLevel.quantity), else_=0)).label(
                "units"
            ),
            sa.func.sum(
                sa.case(
                    (
                        StockLevel.quantity > 0,
                        sa.cast(StockLevel.quantity, sa.BigInteger) * Part.unit_cost_cents,
                    ),
                    else_=0,
                )
            ).label("value"),
            sa.func.sum(sa.case((below_minimum() & Part.active, 1), else_=0)).label("low"),
        )
        .join(Part, Part.id == StockLevel.part_id)
        .group_by(StockLevel.location_id)
        .subquery()
    )
    query = (
        sa.select(StockLocation, counted.c.kinds, counted.c.units, counted.c.value, counted.c.low)
        .outerjoin(counted, counted.c.location_id == StockLocation.id)
        .options(selectinload(StockLocation.tech), selectinload(StockLocation.parent))
        .order_by(
            sa.case(
                (StockLocation.kind == "warehouse", 0), (StockLocation.kind == "bin", 1), else_=2
            ),
            StockLocation.name,
        )
    )
    if not include_inactive:
        query = query.where(StockLocation.active)
    return [
        LocationRow(location, int(kinds or 0), int(units or 0), int(value or 0), int(low or 0))
        for location, kinds, units, value, low in db.session.execute(query)
    ]


def active_locations() -> list[StockLocation]:
    return list(
        db.session.scalars(
            sa.select(StockLocation)
            .where(StockLocation.active)
            .order_by(
                sa.case(
                    (StockLocation.kind == "warehouse", 0),
                    (StockLocation.kind == "bin", 1),
                    else_=2,
                ),
                StockLocation.name,
            )
        )
    )


def levels_at(location_id: int) -> list[StockLevel]:
    """What a location holds or should hold, by part name (parts of a count sheet)."""
    return list(
        db.session.scalars(
            sa.select(StockLevel)
            .join(Part, Part.id == StockLevel.part_id)
            .where(
                StockLevel.location_id == location_id,
                sa.or_(StockLevel.quantity != 0, StockLevel.minimum > 0, StockLevel.maximum > 0),
            )
            .options(selectinload(StockLevel.part))
            .order_by(Part.name, Part.sku)
        )
    )


# -- Reorder -------------------------------------------------------------------------------


@dataclass
class ReorderRow:
    part: Part
    location: StockLocation
    quantity: int
    minimum: int
    maximum: int

    @property
    def suggested(self) -> int:
        """Up to the maximum (at least to the minimum), from what is there (none if below 0)."""
        return max(self.maximum, self.minimum) - self.quantity


def reorder_list() -> list[ReorderRow]:
    """Every level of a part in use under its (non-zero) minimum, grouped by the part's
    supplier. A count below zero where nothing should be kept is an alert to count, not
    something to reorder."""
    rows = db.session.execute(
        sa.select(Part, StockLocation, StockLevel.quantity, StockLevel.minimum, StockLevel.maximum)
        .join(Part, Part.id == StockLevel.part_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .outerjoin(Supplier, Supplier.id == Part.supplier_id)
        .where(
            Part.active,
            StockLocation.active,
            StockLevel.minimum > 0,
            StockLevel.quantity < StockLevel.minimum,
        )
        .options(selectinload(Part.supplier))
        .order_by(
            Supplier.name.is_(None),
            Supplier.name,
            StockLocation.kind != "warehouse",
            Part.name,
            StockLocation.name,
        )
    ).all()
    return [ReorderRow(*row) for row in rows]


def suppliers() -> list[Supplier]:
    return list(db.session.scalars(sa.select(Supplier).order_by(Supplier.name)))


def recent_operations(limit: int = 12) -> list[StockMovement]:
    """The ledger's newest lines across all parts (the stock page's activity)."""
    return list(
        db.session.scalars(
            sa.select(StockMovement)
            .options(
                selectinload(StockMovement.part),
                selectinload(StockMovement.location),
                selectinload(StockMovement.actor),
            )
            .order_by(StockMovement.at.desc(), StockMovement.id.desc())
            .limit(limit)
        )
    )


def techs_without_van() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.role == "tech",
                User.active,
                ~sa.exists().where(StockLocation.tech_id == User.id),
            )
            .order_by(User.name)
        )
    )


# -- Restock ---------------------------------------------------------------------------------


def restock_requests(states: tuple[str, ...], limit: int = 100) -> list[RestockRequest]:
    """Requests in these states, oldest first (the office works through them in order)."""
    return list(
        db.session.scalars(
            sa.select(RestockRequest)
            .where(RestockRequest.state.in_(states))
            .options(
                selectinload(RestockRequest.lines).selectinload(RestockLine.part),
                selectinload(RestockRequest.van),
                selectinload(RestockRequest.tech),
            )
            .order_by(RestockRequest.created_at)
            .limit(limit)
        )
    )


def restocks_of(tech_id: int, limit: int = 5) -> list[RestockRequest]:
    """A tech's latest requests, newest first, with their lines."""
    return list(
        db.session.scalars(
            sa.select(RestockRequest)
            .where(RestockRequest.tech_id == tech_id)
            .options(selectinload(RestockRequest.lines).selectinload(RestockLine.part))
            .order_by(RestockRequest.created_at.desc())
            .limit(limit)
        )
    )


def restock_suggestion(levels: list[StockLevel]) -> list[tuple[StockLevel, int]]:
    """What to ask for: every level under its minimum, up to its maximum."""
    return [
        (level, max(level.maximum, level.minimum) - level.quantity)
        for level in levels
        if level.minimum > 0 and level.quantity < level.minimum and level.part.active
    ]


def purchase_orders(limit: int = 200) -> list[PurchaseOrder]:
    """Orders still open first (drafts, ordered, partly received), then the latest closed."""
    return list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .options(
                selectinload(PurchaseOrder.supplier),
                selectinload(PurchaseOrder.lines),
            )
            .order_by(
                PurchaseOrder.state.in_(("received", "cancelled")),
                PurchaseOrder.id.desc(),
            )
            .limit(limit)
        )
    )


RETURN_FILTERS = {"open": RETURN_OPEN_STATES, "closed": ("credited", "rejected")}


@dataclass
class ReturnTotals:
    open_count: int
    open_value_cents: int
    credited_cents: int  # what suppliers credited, all time


def part_returns(state: str = "open", page: int = 1, per_page: int = 50):
    """Defective returns in a state ("open", "closed", "all" or one state), waiting ones
    first, then oldest first (the longest waiting is the one to chase); with the number."""
    states = RETURN_FILTERS.get(state, (state,)) if state != "all" else None
    query = sa.select(PartReturn, sa.func.count().over())
    if states is not None:
        query = query.where(PartReturn.state.in_(states))
    rows = db.session.execute(
        query.options(
            selectinload(PartReturn.part),
            selectinload(PartReturn.supplier),
            selectinload(PartReturn.equipment).selectinload(Equipment.customer),
        )
        .order_by(
            sa.case({"waiting": 0, "shipped": 1}, value=PartReturn.state, else_=2),
            PartReturn.created_at,
            PartReturn.id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def return_totals() -> ReturnTotals:
    is_open = PartReturn.state.in_(RETURN_OPEN_STATES)
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(is_open),
            sa.func.coalesce(
                sa.func.sum(sa.cast(PartReturn.value_cents, sa.BigInteger)).filter(is_open), 0
            ),
            sa.func.coalesce(
                sa.func.sum(sa.cast(PartReturn.credit_cents, sa.BigInteger)).filter(
                    PartReturn.state == "credited"
                ),
                0,
            ),
        )
    ).one()
    return ReturnTotals(row[0], int(row[1]), int(row[2]))


def returns_of_visit(visit_id: uuid.UUID) -> list[PartReturn]:
    return list(
        db.session.scalars(
            sa.select(PartReturn)
            .where(PartReturn.visit_id == visit_id)
            .options(selectinload(PartReturn.part))
            .order_by(PartReturn.id)
        )
    )
