"""Outbox ops received from phones: recording each op id makes a replay a no-op."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, UserDefinedType

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


class _Xid8(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        return "xid8"


# Known to reflection (the migration check reads the column back).
ischema_names.setdefault("xid8", _Xid8)


class TransactionId(TypeDecorator):
    """PostgreSQL's 64-bit transaction id (xid8), an integer in Python (SQLite has none: 0).
    Bound as text, xid8's input format (there is no cast from a number)."""

    impl = sa.BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_Xid8())
        return dialect.type_descriptor(sa.BigInteger())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "postgresql":
            return value
        return str(int(value))

    def process_result_value(self, value, dialect):
        return None if value is None else int(value)


class current_transaction_id(FunctionElement):  # noqa: N801 - an SQL function's name
    """The writing transaction's id, as a column default: pg_current_xact_id() (0 on SQLite)."""

    type = TransactionId()
    inherit_cache = True


@compiles(current_transaction_id)
def _current_transaction_id(_element, _compiler, **_kw) -> str:
    return "0"


@compiles(current_transaction_id, "postgresql")
def _current_transaction_id_postgresql(_element, _compiler, **_kw) -> str:
    return "pg_current_xact_id()"


class PackChange(db.Model):
    """One record of the offline pack that changed (or went) in a committed transaction: the
    change log a phone's `?since=` cursor reads. Written in the same transaction as the
    change by fieldapp/sync/changes.py, so it commits or rolls back with it.

    kind names what changed and key its id: equipment, job, sop, part and location (a van's
    stock) are pack records or their owners; customer and site reach every plotter there;
    "all" (key 0) is a change too wide to name record by record, which sends full packs.
    """

    __tablename__ = "pack_changes"
    __table_args__ = (
        sa.Index("ix_pack_changes_changed_at", "changed_at"),
        sa.Index("ix_pack_changes_xid", "xid"),
    )

    # Integer on SQLite: only an INTEGER PRIMARY KEY there is the rowid that counts up.
    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[int] = mapped_column(sa.BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The transaction that wrote the entry (PostgreSQL; 0 on SQLite), set by the database:
    # a delta re-reads every entry of a transaction still in flight when the pack was read
    # (fieldapp/sync/cursor.py), whatever its id and whichever server's clock.
    xid: Mapped[int] = mapped_column(TransactionId, server_default=current_transaction_id())
