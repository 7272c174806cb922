"""The activity feed: one event for everything the office should see."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User


class ActivityEvent(db.Model):
    __tablename__ = "activity_events"
    __table_args__ = (
        sa.Index("ix_activity_events_at", "at"),
        sa.Index("ix_activity_events_actor_id_at", "actor_id", "at"),
        sa.Index("ix_activity_events_job_id", "job_id"),
        sa.Index("ix_activity_events_equipment_id", "equipment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # e.g. visit.logged, job.assigned, job.status, message.posted, part.used, step.failed
    verb: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(24))
    subject_id: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(sa.String(400))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    equipment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment.id"))

    actor: Mapped[User | None] = relationship()
