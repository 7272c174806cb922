"""Reading the activity feed: the newest events, and what is new since a given one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db

FEED_SIZE = 30
POLL_LIMIT = 50


def latest_events(limit: int = FEED_SIZE) -> list[ActivityEvent]:
    """The newest events first (ids follow the server's clock: events are stamped on arrival)."""
    return list(
        db.session.scalars(
            sa.select(ActivityEvent)
            .options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.id.desc())
            .limit(limit)
        )
    )


def latest_event_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(ActivityEvent.id))) or 0


def events_after(
    after: int, limit: int = POLL_LIMIT, *, job_ids: list[int] | None = None
) -> list[ActivityEvent]:
    """Events newer than the one the page has, newest first (at most `limit`); with job_ids,
    only the events on those jobs (a tech's own)."""
    query = sa.select(ActivityEvent).where(ActivityEvent.id > after)
    if job_ids is not None:
        query = query.where(ActivityEvent.job_id.in_(job_ids))
    return list(
        db.session.scalars(
            query.options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.id.desc())
            .limit(limit)
        )
    )
