"""Reading the activity feed."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db


def latest_events(limit: int = 30) -> list[ActivityEvent]:
    return list(
        db.session.scalars(
            sa.select(ActivityEvent)
            .options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.at.desc(), ActivityEvent.id.desc())
            .limit(limit)
        )
    )
