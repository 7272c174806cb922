"""Service requests made by anyone who scans a plotter's label without signing in."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.equipment.models import Equipment
    from fieldapp.jobs.models import Job

REQUEST_STATUSES = ("new", "converted", "dismissed")
STATUS_TOKEN_LENGTH = 43  # 32 random bytes, URL-safe base64


def new_status_token() -> str:
    """The secret in a request's status link: long and random, never the reference (which
    is short, readable over the phone, and written on paper)."""
    return secrets.token_urlsafe(32)


class ServiceRequest(db.Model):
    __tablename__ = "service_requests"
    __table_args__ = (
        one_of("status", REQUEST_STATUSES),
        sa.CheckConstraint("phone <> '' OR email <> ''", name="has_contact"),
        sa.Index("ix_service_requests_status_created_at", "status", "created_at"),
        sa.Index("ix_service_requests_equipment_id_created_at", "equipment_id", "created_at"),
        sa.Index("ix_service_requests_address_created_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status_token: Mapped[str] = mapped_column(
        sa.String(STATUS_TOKEN_LENGTH), unique=True, default=new_status_token
    )
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id"))
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    problem: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default="new")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    dismissed_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    equipment: Mapped[Equipment] = relationship()
    job: Mapped[Job | None] = relationship()
