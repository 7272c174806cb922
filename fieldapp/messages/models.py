"""Job threads: messages between the office and techs, and who has read how far."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User


class Message(db.Model):
    """Append-only; the id is made by the client so an offline post is sent once."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_job_id_created_at", "job_id", "created_at"),
        # Unread counts (every office page) and the owner-load report read recent messages.
        sa.Index("ix_messages_created_at", "created_at"),
        sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class ThreadRead(db.Model):
    """How far a user has read a job's thread; unread counts are messages after this."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
