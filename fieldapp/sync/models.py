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


class PackChange(db.Model):
    """One record of the offline pack that changed (or went) in a committed transaction: the
    change log a phone's `?since=` cursor reads. Written in the same transaction as the
    change by fieldapp/sync/changes.py, so it commits or rolls back with it.

    kind names what changed and key its id: equipment, job, sop, part and location (a van's
    stock) are pack records or their owners; customer and site reach every plotter there;
    "all" (key 0) is a change too wide to name record by record, which sends full packs.
    """

    __tablename__ = "pack_changes"
    __table_args__ = (sa.Index("ix_pack_changes_changed_at", "changed_at"),)

    # Integer on SQLite: only an INTEGER PRIMARY KEY there is the rowid that counts up.
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[int] = mapped_column(sa.BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
