"""Jobs (work orders / service calls)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User
    from fieldapp.customers.models import Customer
    from fieldapp.equipment.models import Equipment
    from fieldapp.sops.models import Sop

JOB_STATUSES = ("new", "scheduled", "in_progress", "waiting_parts", "done", "cancelled")
OPEN_STATUSES = ("new", "scheduled", "in_progress", "waiting_parts")
OPEN_LIST = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
JOB_PRIORITIES = ("low", "normal", "high", "urgent")
JOB_SOURCES = ("phone", "email", "qr_request", "preventive", "walk_in", "follow_up")
JOB_KINDS = ("repair", "preventive", "install", "inspection")

# Job numbers are the id offset so the first job reads J-1001 and numbers never collide.
JOB_NUMBER_OFFSET = 1000
JOB_NUMBER_LENGTH = 20
_JOB_NUMBER = re.compile(r"^\s*J?-?(\d{1,10})\s*$", re.IGNORECASE)
_MAX_JOB_ID = 2**31 - 1  # the id column's range: a larger number names no job
# A visit is planned in quarter hours, at most a long working day; the customer may be
# promised an arrival window of up to 4 hours after the planned start.
DURATION_MINUTES = (15, 720)
WINDOW_MINUTES = (0, 240)


def job_id_from_number(number: str | int) -> int | None:
    """J-1042 (or 1042) -> the job's id, or None when it is not a job number."""
    match = _JOB_NUMBER.match(str(number))
    if not match:
        return None
    value = int(match.group(1)) - JOB_NUMBER_OFFSET
    return value if 0 < value <= _MAX_JOB_ID else None


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        one_of("status", JOB_STATUSES),
        one_of("priority", JOB_PRIORITIES),
        one_of("source", JOB_SOURCES),
        one_of("kind", JOB_KINDS),
        sa.Index("ix_jobs_assigned_to_id_status", "assigned_to_id", "status"),
        sa.Index("ix_jobs_status_scheduled_for", "status", "scheduled_for"),
        # The board's recently done column and the reports read done jobs by when they closed.
        sa.Index("ix_jobs_status_closed_at", "status", "closed_at"),
        sa.Index("ix_jobs_equipment_id", "equipment_id"),
        sa.CheckConstraint(
            f"duration_minutes IS NULL OR duration_minutes BETWEEN {DURATION_MINUTES[0]} "
            f"AND {DURATION_MINUTES[1]}",
            name="duration_in_range",
        ),
        sa.CheckConstraint(
            f"arrival_window_minutes BETWEEN {WINDOW_MINUTES[0]} AND {WINDOW_MINUTES[1]}",
            name="arrival_window_in_range",
        ),
        # A PM plan makes one job per due date, and never a second while one is open.
        sa.UniqueConstraint("pm_plan_id", "pm_due_on", name="uq_jobs_pm_plan_id_pm_due_on"),
        sa.Index(
            "uq_jobs_one_open_per_pm_plan",
            "pm_plan_id",
            unique=True,
            sqlite_where=sa.text(f"status IN ({OPEN_LIST})"),
            postgresql_where=sa.text(f"status IN ({OPEN_LIST})"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="repair")
    problem: Mapped[str] = mapped_column(sa.Text)
    error_code: Mapped[str] = mapped_column(sa.String(40), default="")
    priority: Mapped[str] = mapped_column(sa.String(16), default="normal")
    status: Mapped[str] = mapped_column(sa.String(16), default="new")
    source: Mapped[str] = mapped_column(sa.String(16), default="phone")
    caller_name: Mapped[str] = mapped_column(sa.String(120), default="")
    caller_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: as long as the settings plan a job of its kind (changing them moves the plan).
    duration_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    # The customer is told the tech arrives between scheduled_for and this many minutes later.
    arrival_window_minutes: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    follow_up_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the tech tapped "On my way" for the planned visit (cleared when it is moved).
    on_the_way_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On a plotter under a contract that promises a response time: the contract, when a tech
    # must be on site by, and when the first one was.
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Made by a PM plan: which, for which due date, and the procedure to follow.
    pm_plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pm_plans.id"))
    pm_due_on: Mapped[date | None]
    sop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sops.id"))

    customer: Mapped[Customer] = relationship()
    equipment: Mapped[Equipment | None] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    sop: Mapped[Sop | None] = relationship()

    @property
    def number(self) -> str:
        return f"J-{self.id + JOB_NUMBER_OFFSET}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaiting_response(self) -> bool:
        """A response time is promised and no tech has been on site yet."""
        return self.respond_by is not None and self.responded_at is None and self.is_open

    @property
    def stranded(self) -> bool:
        """Assigned to someone who can no longer take it (deactivated, or no longer a tech):
        the office treats it as unassigned until someone else takes it."""
        tech = self.assigned_to
        return tech is not None and not (tech.active and tech.role == "tech")

    def __repr__(self) -> str:
        return f"<Job {self.number} {self.status}>"
