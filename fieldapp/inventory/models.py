"""Parts, stock locations (the warehouse and one van per tech), levels and the movement ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User

LOCATION_KINDS = ("warehouse", "van")
MOVEMENT_KINDS = ("receive", "transfer", "use", "adjust", "return")
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
        sa.CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    manufacturer: Mapped[str] = mapped_column(sa.String(40), default="")
    manufacturer_part_number: Mapped[str] = mapped_column(sa.String(40), default="")
    category: Mapped[str] = mapped_column(sa.String(20), default="other")
    unit_cost_cents: Mapped[int] = mapped_column(default=0)
    reorder_point: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Wipes, swabs, cleaning kits: used on every visit, so using one again is no warning sign.
    consumable: Mapped[bool] = mapped_column(default=False)

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


class StockLocation(db.Model):
    __tablename__ = "stock_locations"
    __table_args__ = (
        one_of("kind", LOCATION_KINDS),
        sa.CheckConstraint("(kind = 'van') = (tech_id IS NOT NULL)", name="van_has_tech"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    # One van per tech.
    tech_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)

    tech: Mapped[User | None] = relationship()


class StockLevel(db.Model):
    """How many of a part a location holds: always the sum of its movements (may go negative:
    a part used in the field is physically gone, so the office is told instead of the tech
    being refused)."""

    __tablename__ = "stock_levels"

    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stock_locations.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(default=0)

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()


class StockMovement(db.Model):
    """One line of the stock ledger. quantity is signed: negative takes stock out."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        one_of("kind", MOVEMENT_KINDS),
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        sa.Index("ix_stock_movements_part_id_location_id", "part_id", "location_id"),
        sa.Index("ix_stock_movements_visit_id", "visit_id"),
        sa.Index("ix_stock_movements_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("parts.id"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    quantity: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    # Both halves of a transfer share one id.
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    unit_cost_cents: Mapped[int] = mapped_column(default=0)

    part: Mapped[Part] = relationship()
    location: Mapped[StockLocation] = relationship()
    actor: Mapped[User | None] = relationship()


def used_on_visits() -> sa.ColumnElement[bool]:
    """The ledger lines that make up what visits used: their uses, and the returns that a
    correction of a visit wrote (so the sum is what the visit used in the end)."""
    return StockMovement.kind.in_(("use", "return")) & StockMovement.visit_id.is_not(None)
