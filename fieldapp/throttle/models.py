"""One counter per throttled key: how many attempts in the current window, and until when
the key must wait."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.dbtypes import UTCDateTime, utcnow
from fieldapp.extensions import db


class ThrottleCounter(db.Model):
    __tablename__ = "throttle_counters"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="count_not_negative"),)

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
