"""Reading the sync log: when a person's phone last reached the server."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.sync.models import SyncOp


def last_sync_of(user_id: int) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(SyncOp.received_at)).where(SyncOp.user_id == user_id)
    )
