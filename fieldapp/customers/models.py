"""Customers: the firms whose plotters we service, their sites and the people there."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, utcnow
from fieldapp.extensions import db


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    address: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Whether the site contacts hear of visits by email (the office may opt a customer out).
    mail_contacts: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"


class Site(db.Model):
    """A place where a customer has plotters: its own address, the way in and its hours."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.Text, default="")
    access_notes: Mapped[str] = mapped_column(sa.Text, default="")
    opening_hours: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    # The one person the tech asks for there (at most one per site, by the index below).
    site_contact: Mapped[Contact | None] = relationship(
        primaryjoin="and_(Contact.site_id == Site.id, Contact.is_site_contact)",
        viewonly=True,
        uselist=False,
    )

    def __repr__(self) -> str:
        return f"<Site {self.name}>"


class Contact(db.Model):
    """A person at a customer: who they are, how to reach them; the one the invoices go to
    (billing, one per customer) and the one asked for at a site (one per site)."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index(
            "uq_contacts_one_billing",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("is_billing"),
            postgresql_where=sa.text("is_billing"),
        ),
        sa.Index(
            "uq_contacts_one_per_site",
            "site_id",
            unique=True,
            sqlite_where=sa.text("is_site_contact"),
            postgresql_where=sa.text("is_site_contact"),
        ),
        sa.CheckConstraint(
            "NOT is_site_contact OR site_id IS NOT NULL", name="site_contact_has_site"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(80), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    is_billing: Mapped[bool] = mapped_column(default=False)
    is_site_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site | None] = relationship(foreign_keys=[site_id])

    def __repr__(self) -> str:
        return f"<Contact {self.name}>"
