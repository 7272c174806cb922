"""Outbox ops received from phones: recording each op id makes a replay a no-op."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

SYNC_RESULTS = ("applied", "rejected")


class SyncOp(db.Model):
    __tablename__ = "sync_ops"
    __table_args__ = (
        one_of("result", SYNC_RESULTS),
        sa.Index("ix_sync_ops_user_id_received_at", "user_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(sa.String(32))
    # A hash of the op's type and payload: the same id with another payload is not a replay.
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.String(400), default="")
