"""Parts, stock locations (the warehouse and one van per tech), levels and the movement ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User
    from fieldapp.equipment.models import Equipment

LOCATION_KINDS = ("warehouse", "van", "bin")
MOVEMENT_KINDS = ("receive", "transfer", "use", "adjust", "return")
# What a stock operation asks for; a count writes its difference as an "adjust" line.
OPERATION_KINDS = ("receive", "transfer", "count", "adjust", "return")
ADJUST_REASONS = ("damaged", "lost", "found", "correction")
SKU_MAX = 40
NAME_MAX = 200
MPN_MAX = 40
LOCATION_NAME_MAX = 80
REASON_MAX = 300
QUANTITY_MAX = 100_000
COST_MAX_CENTS = 100_000_000
PART_CATEGORIES = (
    "printhead",
    "maintenance",
    "service_station",
    "cutter",
    "belt",
    "encoder",
    "cable",
    "roller",
    "board",
    "power",
    "sensor",
    "ink_system",
    "consumable",
    "other",
)


class Part(db.Model):
    __tablename__ = "parts"
    __table_args__ = (
        one_of("category", PART_CATEGORIES),
        sa.CheckConstraint("unit_cost_cents >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(SKU_MAX), unique=True)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX))
    manufacturer: Mapped[str] = mapped_column(sa.String(40), default="")
    manufacturer_part_number: Mapped[str] = mapped_column(sa.String(MPN_MAX), default="")
    category: Mapped[str] = mapped_column(sa.String(20), default="other")
    # The average cost of what is in stock: each receipt at a new cost moves it.
    unit_cost_cents: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Wipes, swabs, cleaning kits: used on every visit, so using one again is no warning sign.
    consumable: Mapped[bool] = mapped_column(default=False)
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    supplier_part_number: Mapped[str] = mapped_column(
        sa.String(MPN_MAX), default="", server_default=""
    )

    supplier: Mapped[Supplier | None] = relationship()

    compatible: Mapped[list[PartCompatibility]] = relationship(
        back_populates="part", cascade="all, delete-orphan", order_by="PartCompatibility.model"
    )

    @property
    def compatible_models(self) -> list[str]:
        return [row.model for row in self.compatible]


class PartCompatibility(db.Model):
    """A plotter model a part fits (by the model name as stored on equipment)."""

    __tablename__ = "part_compatibility"

    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"), primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(80), primary_key=True, index=True)

    part: Mapped[Part] = relationship(back_populates="compatible")


class Supplier(db.Model):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    contact: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    lead_time_days: Mapped[int] = mapped_column(default=7)


class StockLocation(db.Model):
    """The warehouse, a shelf or bin inside it, or a tech's van (one per tech, kept with its
    history when the tech leaves: it is then inactive and empty)."""

    __tablename__ = "stock_locations"
    __table_args__ = (
        one_of("kind", LOCATION_KINDS),
        sa.CheckConstraint("(kind = 'van') = (tech_id IS NOT NULL)", name="van_has_tech"),
        sa.CheckConstraint("(kind = 'bin') = (parent_id IS NOT NULL)", name="bin_has_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(LOCATION_NAME_MAX), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    # One van per tech.
    tech_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_locations.id"))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    tech: Mapped[User | None] = relationship()
    parent: Mapped[StockLocation | None] = relationship(remote_side=[id])


class StockLevel(db.Model):
    """How many of a part a location holds: always the sum of its movements (may go negative:
    a part used in the field is physically gone, so the office is told instead of the tech
    being refused)."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.CheckConstraint("minimum >= 0", name="minimum_not_negative"),
        sa.CheckConstraint("maximum >= minimum", name="maximum_not_below_minimum"),
    )

    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stock_locations.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(default=0)
    # What this location should hold: below the minimum it is restocked up to the maximum.
    minimum: Mapped[int] = mapped_column(default=0, server_default="0")
    maximum: Mapped[int] = mapped_column(default=0, server_default="0")

    @hybrid_property
    def low(self) -> bool:
        """Needs attention: under what its location should hold, or below zero (in Python
        and in SQL alike)."""
        return (self.quantity < self.minimum) | (self.quantity < 0)

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()


class StockOperation(db.Model):
    """One receive, transfer, count, adjust or return as the office or a phone asked for it,
    under the id its client made: the same id again is the same operation, applied once."""

    __tablename__ = "stock_operations"
    __table_args__ = (one_of("kind", OPERATION_KINDS),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    part: Mapped[Part] = relationship()
    actor: Mapped[User | None] = relationship()
    movements: Mapped[list[StockMovement]] = relationship(
        back_populates="operation", order_by="StockMovement.id"
    )


class StockMovement(db.Model):
    """One line of the stock ledger. quantity is signed: negative takes stock out."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        one_of("kind", MOVEMENT_KINDS),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        sa.Index("ix_stock_movements_part_id_location_id", "part_id", "location_id"),
        sa.Index("ix_stock_movements_visit_id", "visit_id"),
        sa.Index("ix_stock_movements_at", "at"),
        # A part's ledger newest first, and its use by month, without sorting every line.
        sa.Index("ix_stock_movements_part_id_at", "part_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    quantity: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    # Both halves of a transfer share one id.
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    unit_cost_cents: Mapped[int] = mapped_column(default=0)
    operation_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("stock_operations.id"), index=True
    )

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()
    actor: Mapped[User | None] = relationship()
    operation: Mapped[StockOperation | None] = relationship(back_populates="movements")


def used_on_visits() -> sa.ColumnElement[bool]:
    """The ledger lines that make up what visits used: their uses, and the returns that a
    correction of a visit wrote (so the sum is what the visit used in the end)."""
    return StockMovement.kind.in_(("use", "return")) & StockMovement.visit_id.is_not(None)


RESTOCK_STATES = ("open", "picked", "received", "cancelled")


class RestockRequest(db.Model):
    """A tech asking for parts for their van (from the phone, under the id the phone made);
    the office picks it (a transfer from the warehouse, possibly less than asked) and the
    tech confirms what arrived."""

    __tablename__ = "restock_requests"
    __table_args__ = (
        one_of("state", RESTOCK_STATES),
        sa.Index("ix_restock_requests_state", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    van_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    tech_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    state: Mapped[str] = mapped_column(sa.String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    picked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    van: Mapped[StockLocation] = relationship()
    tech: Mapped[User] = relationship(foreign_keys=[tech_id])
    picked_by: Mapped[User | None] = relationship(foreign_keys=[picked_by_id])
    lines: Mapped[list[RestockLine]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RestockLine.id"
    )

    @property
    def reference(self) -> str:
        return f"R-{self.id.hex[:6].upper()}"

    @property
    def short(self) -> bool:
        """Some line arrived with fewer parts than were sent."""
        return any(
            line.received is not None and line.received < (line.sent or 0) for line in self.lines
        )


class RestockLine(db.Model):
    __tablename__ = "restock_lines"
    __table_args__ = (
        sa.CheckConstraint("asked > 0", name="asked_positive"),
        sa.CheckConstraint("sent IS NULL OR sent >= 0", name="sent_not_negative"),
        sa.CheckConstraint("received IS NULL OR received >= 0", name="received_not_negative"),
        sa.UniqueConstraint("request_id", "part_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("restock_requests.id"), index=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"))
    asked: Mapped[int]
    sent: Mapped[int | None]
    received: Mapped[int | None]

    request: Mapped[RestockRequest] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship()


ORDER_STATES = ("draft", "ordered", "partly_received", "received", "cancelled")


class PurchaseOrder(db.Model):
    """Parts ordered from one supplier: draft, ordered, partly received, received (or
    cancelled). Receiving a line writes a receive movement into its location."""

    __tablename__ = "purchase_orders"
    __table_args__ = (one_of("state", ORDER_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    note: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    supplier: Mapped[Supplier] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.id"
    )

    @property
    def number(self) -> str:
        return f"PO-{self.id:05d}"

    @property
    def total_cents(self) -> int:
        return sum(line.quantity * line.unit_cost_cents for line in self.lines)


class PurchaseOrderLine(db.Model):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("received >= 0 AND received <= quantity", name="received_in_range"),
        sa.CheckConstraint("unit_cost_cents >= 0", name="cost_not_negative"),
        sa.UniqueConstraint("order_id", "part_id", "location_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    quantity: Mapped[int]
    unit_cost_cents: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received


RETURN_STATES = ("waiting", "shipped", "credited", "rejected")
RETURN_OPEN_STATES = ("waiting", "shipped")
SERIAL_MAX = 60
RMA_NUMBER_MAX = 40


class PartReturn(db.Model):
    """A defective part going back to its supplier: logged on the visit that took it out of a
    plotter (or by the office), waiting to ship, shipped under the supplier's RMA number,
    then credited (with the amount) or rejected. Stock levels are not touched: the part is
    the customer's old one, never counted in a location."""

    __tablename__ = "part_returns"
    __table_args__ = (
        one_of("state", RETURN_STATES),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("value_cents >= 0", name="value_not_negative"),
        sa.CheckConstraint("credit_cents IS NULL OR credit_cents >= 0", name="credit_not_negative"),
        sa.UniqueConstraint("visit_id", "part_id"),
        sa.Index("ix_part_returns_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    serial: Mapped[str] = mapped_column(sa.String(SERIAL_MAX), default="")
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"))
    state: Mapped[str] = mapped_column(sa.String(12), default="waiting")
    # What is at stake: the part's average cost times the quantity when it was logged.
    value_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rma_number: Mapped[str] = mapped_column(sa.String(RMA_NUMBER_MAX), default="")
    credit_cents: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    part: Mapped[Part] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    equipment: Mapped[Equipment | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def reference(self) -> str:
        return f"RET-{self.id:05d}"

    @property
    def is_open(self) -> bool:
        return self.state in RETURN_OPEN_STATES
