"""Service visits: one tech's log on one plotter, its step results, error codes and photos."""

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
    from fieldapp.equipment.models import Equipment, MeterReading
    from fieldapp.jobs.models import Job
    from fieldapp.sops.models import SopStep, SopVersion

VISIT_STATUSES = ("in_progress", "finished")
OUTCOMES = ("fixed", "needs_parts", "needs_followup", "no_fault_found", "pm_done")
OUTCOME_LABELS = {
    "fixed": "Fixed",
    "needs_parts": "Needs parts",
    "needs_followup": "Needs follow-up",
    "no_fault_found": "No fault found",
    "pm_done": "PM done",
}
STEP_STATUSES = ("done", "pass", "fail", "skipped", "n/a")
VISIT_SOURCES = ("web", "api", "sync", "import")


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        one_of("status", VISIT_STATUSES),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('fixed', 'needs_parts', 'needs_followup', "
            "'no_fault_found', 'pm_done')",
            name="outcome_valid",
        ),
        sa.CheckConstraint(
            "status = 'in_progress' OR (outcome IS NOT NULL AND finished_at IS NOT NULL)",
            name="finished_has_outcome",
        ),
        sa.CheckConstraint(
            "finished_at IS NULL OR finished_at >= started_at", name="finished_after_started"
        ),
        one_of("source", VISIT_SOURCES),
        sa.Index("ix_visits_equipment_id_started_at", "equipment_id", "started_at"),
        sa.Index("ix_visits_tech_id_started_at", "tech_id", "started_at"),
        # "Continue visit" on every plotter page and Today: a tech's unfinished visits, newest
        # first. started_at is in it so that no planner prefers the index above (SQLite did,
        # reading every visit the tech ever logged to avoid a sort).
        sa.Index("ix_visits_tech_id_status_started_at", "tech_id", "status", "started_at"),
        sa.Index("ix_visits_job_id", "job_id"),
    )

    # Made by the client, so an offline retry of the same visit is recognised, never duplicated.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    equipment_id: Mapped[int] = mapped_column(sa.ForeignKey("equipment.id"))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    tech_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    sop_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sop_versions.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    signoff_name: Mapped[str] = mapped_column(sa.String(120), default="")
    source: Mapped[str] = mapped_column(sa.String(8), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    equipment: Mapped[Equipment] = relationship()
    job: Mapped[Job | None] = relationship()
    tech: Mapped[User] = relationship()
    sop_version: Mapped[SopVersion | None] = relationship()
    step_results: Mapped[list[StepResult]] = relationship(
        back_populates="visit", order_by="StepResult.id"
    )
    error_codes: Mapped[list[VisitErrorCode]] = relationship(
        back_populates="visit", order_by="VisitErrorCode.code"
    )
    meter: Mapped[MeterReading | None] = relationship(viewonly=True)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "In progress")


class VisitErrorCode(db.Model):
    """An error code seen on a visit (HP 86:01, Canon EC03-2F21 ...), one row each for lookups."""

    __tablename__ = "visit_error_codes"
    __table_args__ = (sa.Index("ix_visit_error_codes_code", "code"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)

    visit: Mapped[Visit] = relationship(back_populates="error_codes")


class StepResult(db.Model):
    """What a tech recorded for one step of the exact SOP version the visit followed."""

    __tablename__ = "step_results"
    __table_args__ = (
        one_of("status", STEP_STATUSES),
        sa.UniqueConstraint("visit_id", "step_id", name="uq_step_results_visit_id_step_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visits.id"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_steps.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(8))
    value: Mapped[float | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    photo_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("photos.id"))
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    follow_up_job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))

    visit: Mapped[Visit] = relationship(back_populates="step_results")
    step: Mapped[SopStep] = relationship()
    by: Mapped[User] = relationship()
