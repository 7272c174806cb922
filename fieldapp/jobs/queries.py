"""Read-side queries about jobs used by several pages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.extensions import db
from fieldapp.jobs.models import JOB_PRIORITIES, OPEN_STATUSES, Job

# Urgent first, then by when the job is due.
_PRIORITY_ORDER = sa.case(
    {name: rank for rank, name in enumerate(reversed(JOB_PRIORITIES))}, value=Job.priority
)


def open_jobs_for_tech(tech_id: int) -> list[Job]:
    """A tech's open jobs, most urgent first, then by scheduled time."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.assigned_to_id == tech_id, Job.status.in_(OPEN_STATUSES))
            .options(joinedload(Job.customer), joinedload(Job.equipment))
            .order_by(
                _PRIORITY_ORDER,
                Job.scheduled_for.is_(None),
                Job.scheduled_for,
                Job.id,
            )
        )
    )
