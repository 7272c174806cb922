"""Plotters, the QR labels that point at them, and their meter readings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.customers.models import Customer, Site

EQUIPMENT_STATUSES = ("active", "retired")
LABEL_STATUSES = ("unclaimed", "active", "revoked")
SHORT_CODE_PREFIX = "PM"
# What a plotter's usage meter counts (None: it has none we read).
METER_UNITS = {"sq_ft": "sq ft", "prints": "prints"}


@dataclass(frozen=True)
class Whom:
    name: str
    phone: str
    email: str


def short_code(token: str) -> str:
    """The code printed under the QR, e.g. PM-7K3Q-9XA4."""
    return f"{SHORT_CODE_PREFIX}-{token[:4]}-{token[4:]}"


class Equipment(db.Model):
    """A plotter at a customer site."""

    __tablename__ = "equipment"
    __table_args__ = (
        one_of("status", EQUIPMENT_STATUSES),
        sa.UniqueConstraint("make", "serial_number", name="uq_equipment_make_serial"),
        sa.Index("ix_equipment_serial_number", "serial_number"),
        sa.Index("ix_equipment_customer_id_status", "customer_id", "status"),
        sa.CheckConstraint(
            "meter_unit IS NULL OR meter_unit IN ('sq_ft', 'prints')", name="meter_unit_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    # Which of the customer's sites it stands at (None: at the customer's own address).
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    make: Mapped[str] = mapped_column(sa.String(40))
    model: Mapped[str] = mapped_column(sa.String(80))
    serial_number: Mapped[str] = mapped_column(sa.String(40))
    location_note: Mapped[str] = mapped_column(sa.String(200), default="")
    installed_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # The token of the label currently on the plotter; history of labels lives in qr_labels.
    qr_token: Mapped[str] = mapped_column(sa.String(16), unique=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    meter_unit: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded with the plotter; "unnested" keeps the inner join from wrapping the outer joins
    # of queries that reach plotters through a job (a slow plan on SQLite).
    customer: Mapped[Customer] = relationship(lazy="joined", innerjoin="unnested")
    site: Mapped[Site | None] = relationship()

    @property
    def short_code(self) -> str:
        return short_code(self.qr_token)

    @property
    def meter_unit_label(self) -> str:
        return METER_UNITS.get(self.meter_unit or "", "")

    @property
    def display_name(self) -> str:
        return f"{self.make} {self.model}"

    @property
    def address(self) -> str:
        """Where the tech goes: the site's address, else the customer's."""
        site = self.site
        return site.address if site and site.address else self.customer.address

    @property
    def contact(self) -> Whom:
        """Whom the tech asks for and calls: the site's contact, else the customer's."""
        site = self.site
        person = site.site_contact if site else None
        if person is not None:
            return Whom(person.name, person.phone or self.customer.phone, person.email)
        customer = self.customer
        return Whom(customer.contact_name, customer.phone, customer.email)

    def __repr__(self) -> str:
        return f"<Equipment {self.make} {self.model} {self.serial_number}>"


class QrLabel(db.Model):
    """Every token ever printed: unclaimed stock, the active label of a plotter, or revoked."""

    __tablename__ = "qr_labels"
    __table_args__ = (
        one_of("status", LABEL_STATUSES),
        sa.CheckConstraint(
            "status = 'unclaimed' OR equipment_id IS NOT NULL", name="claimed_has_equipment"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"), index=True)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    equipment: Mapped[Equipment | None] = relationship()


class MeterReading(db.Model):
    """A reading of a plotter's usage counter; normally each is higher than the last."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.Index("ix_meter_readings_equipment_id_taken_at", "equipment_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id"))
    value: Mapped[int] = mapped_column(sa.BigInteger)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One reading per visit at most; readings can also be taken outside a visit.
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
