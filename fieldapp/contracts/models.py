"""Service contracts (what a customer pays for, which plotters, what is covered) and PM plans
(every N months or every N units of the meter, whichever comes first)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.customers.models import Customer
    from fieldapp.equipment.models import Equipment
    from fieldapp.sops.models import Sop

CONTRACT_STATES = ("draft", "active", "expired", "cancelled")
STATE_LABELS = {
    "draft": "Draft",
    "active": "Active",
    "expired": "Expired",
    "cancelled": "Cancelled",
}
# The bounds of every number a contract or a plan holds: the form, the API and the database
# (the CHECK constraints below) read them from here.
PRICE_MAX_CENTS = 100_000_000  # $1,000,000 a year
RESPONSE_HOURS = (1, 720)  # an hour to a month
EVERY_MONTHS = (1, 60)
EVERY_METER = (1, 100_000_000)
LEAD_DAYS = (0, 90)
DUE_BY = ("date", "meter")

contract_plotters = sa.Table(
    "contract_plotters",
    db.metadata,
    sa.Column("contract_id", sa.ForeignKey("contracts.id"), primary_key=True),
    sa.Column("equipment_id", sa.ForeignKey("equipment.id"), primary_key=True, index=True),
)


class Contract(db.Model):
    """A customer's service contract for some or all of its plotters."""

    __tablename__ = "contracts"
    __table_args__ = (
        one_of("state", CONTRACT_STATES),
        sa.CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        sa.CheckConstraint(
            f"price_cents_per_year BETWEEN 0 AND {PRICE_MAX_CENTS}", name="price_in_range"
        ),
        sa.CheckConstraint(
            f"response_hours IS NULL OR response_hours BETWEEN {RESPONSE_HOURS[0]} "
            f"AND {RESPONSE_HOURS[1]}",
            name="response_hours_in_range",
        ),
        sa.Index("ix_contracts_state_ends_on", "state", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    price_cents_per_year: Mapped[int] = mapped_column(sa.Integer, default=0)
    covers_labour: Mapped[bool] = mapped_column(default=True)
    covers_parts: Mapped[bool] = mapped_column(default=False)
    covers_consumables: Mapped[bool] = mapped_column(default=False)
    # How soon a tech is promised on site after a call (None: no promise).
    response_hours: Mapped[int | None] = mapped_column(sa.Integer)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(16), default="draft")
    # Cancelled: the first day it no longer covers (its start when cancelled as a draft).
    cancelled_on: Mapped[date | None]
    # A renewal is a new contract that names the one it follows (one renewal each).
    renewal_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    plotters: Mapped[list[Equipment]] = relationship(
        secondary=contract_plotters, order_by="Equipment.id"
    )
    renewal_of: Mapped[Contract | None] = relationship(
        remote_side=[id], foreign_keys=[renewal_of_id]
    )

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def in_force_on(self, day: date) -> bool:
        """Active and the day within its term: the plotters are covered that day."""
        return self.state == "active" and self.starts_on <= day <= self.ends_on

    @property
    def covered(self) -> list[str]:
        """What the customer does not pay for, in the words the tech reads."""
        return [
            name
            for name, yes in (
                ("labour", self.covers_labour),
                ("parts", self.covers_parts),
                ("consumables", self.covers_consumables),
            )
            if yes
        ]

    @property
    def not_covered(self) -> list[str]:
        return [name for name in ("labour", "parts", "consumables") if name not in self.covered]

    def __repr__(self) -> str:
        return f"<Contract {self.number} {self.state}>"


class PmPlan(db.Model):
    """When one plotter's preventive maintenance falls due: every N months, every N units of
    its meter, or whichever comes first; on a contract (it stops when the contract does) or
    on the plotter alone. The due date is worked out by the planner and kept here, so the
    forecast and the dashboard read it without projecting every meter again."""

    __tablename__ = "pm_plans"
    __table_args__ = (
        sa.CheckConstraint(
            "every_months IS NOT NULL OR every_meter IS NOT NULL", name="has_an_interval"
        ),
        sa.CheckConstraint(
            f"every_months IS NULL OR every_months BETWEEN {EVERY_MONTHS[0]} AND {EVERY_MONTHS[1]}",
            name="every_months_in_range",
        ),
        sa.CheckConstraint(
            f"every_meter IS NULL OR every_meter BETWEEN {EVERY_METER[0]} AND {EVERY_METER[1]}",
            name="every_meter_in_range",
        ),
        sa.CheckConstraint(
            f"lead_days BETWEEN {LEAD_DAYS[0]} AND {LEAD_DAYS[1]}", name="lead_days_in_range"
        ),
        sa.CheckConstraint("due_by IS NULL OR due_by IN ('date', 'meter')", name="due_by_valid"),
        sa.Index("ix_pm_plans_active_due_on", "active", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    every_months: Mapped[int | None] = mapped_column(sa.Integer)
    every_meter: Mapped[int | None] = mapped_column(sa.BigInteger)
    sop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sops.id"))
    lead_days: Mapped[int] = mapped_column(sa.Integer, default=14)
    # The job goes to the tech who knows the plotter best; else it waits for the office.
    assign_usual_tech: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Where the count starts: the plan's first day and the meter then, until a PM is done,
    # then that visit's day and reading.
    starts_on: Mapped[date]
    base_meter: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_done_on: Mapped[date | None]
    # The visit that did it (no foreign key: visits reach plans through their jobs, and a
    # key back would tie the three tables in a circle).
    last_done_visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # Worked out by the planner from the above and the meter's trend.
    due_on: Mapped[date | None]
    due_by: Mapped[str | None] = mapped_column(sa.String(8))
    meter_per_day: Mapped[float | None]
    last_reading: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_reading_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    equipment: Mapped[Equipment] = relationship()
    contract: Mapped[Contract | None] = relationship()
    sop: Mapped[Sop | None] = relationship()

    @property
    def threshold(self) -> int | None:
        """The meter reading at which the next PM is due (None without a meter interval or a
        reading to count from)."""
        if self.every_meter is None or self.base_meter is None:
            return None
        return self.base_meter + self.every_meter

    @property
    def projected_meter(self) -> int | None:
        """What the meter should read on the due day, by its trend."""
        if (
            self.due_on is None
            or self.last_reading is None
            or self.last_reading_on is None
            or self.meter_per_day is None
        ):
            return None
        days = max((self.due_on - self.last_reading_on).days, 0)
        return round(self.last_reading + self.meter_per_day * days)

    def __repr__(self) -> str:
        return f"<PmPlan {self.id} plotter {self.equipment_id}>"
