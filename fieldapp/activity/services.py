"""Writing to the activity feed. Callers own the transaction: an event commits with its change.

Each event is also announced on ``event_recorded``: the features above that tell people of
events (mail, push) listen there and write their outbox in the same transaction.
"""

from __future__ import annotations

from blinker import Namespace

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db

event_recorded = Namespace().signal("event-recorded")


def record_event(
    verb: str,
    subject_type: str,
    subject_id: object,
    summary: str,
    *,
    actor_id: int | None,
    job_id: int | None = None,
    equipment_id: int | None = None,
) -> ActivityEvent:
    """Add an event to the current session (committed by the calling service)."""
    event = ActivityEvent(
        verb=verb,
        subject_type=subject_type,
        subject_id=str(subject_id),
        summary=summary[:400],
        actor_id=actor_id,
        job_id=job_id,
        equipment_id=equipment_id,
    )
    db.session.add(event)
    event_recorded.send(event)
    return event
