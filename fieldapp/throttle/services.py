"""Throttles that hold under concurrency: each key's counter row is locked (SELECT ... FOR
UPDATE on PostgreSQL; SQLite has one writer at a time) before it is read, so thirty
attempts at once are counted one after the other, never all against the same old count.

The caller runs the count in its own unit of work, before the attempt's real work, so an
attempt counts even when the work then fails.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

import sqlalchemy as sa

from fieldapp.database import upsert
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.throttle.models import ThrottleCounter


def throttle_key(kind: str, *parts: str) -> str:
    """The key of what is counted (kind, e.g. "sign-in") for these parts (an email, an
    address), hashed: no personal data is kept in the counters."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{kind}:{digest}"


def locked_counter(key: str, now: datetime | None = None) -> ThrottleCounter:
    """The counter for key, created if new, locked until the transaction ends."""
    now = now or utcnow()
    table = ThrottleCounter.__table__
    db.session.execute(
        upsert(table)
        .values(key=key, count=0, window_start=now)
        .on_conflict_do_nothing(index_elements=[table.c.key])
    )
    counter = db.session.scalar(
        sa.select(ThrottleCounter)
        .where(ThrottleCounter.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    return counter


def in_window(counter: ThrottleCounter, window: timedelta, now: datetime) -> ThrottleCounter:
    """Start a new window when the last one is over."""
    if counter.window_start <= now - window:
        counter.count, counter.window_start = 0, now
    return counter


def count_attempt(key: str, *, limit: int, window: timedelta, now: datetime | None = None):
    """Count one attempt for key; None if it may go ahead, else the seconds to wait."""
    now = now or utcnow()
    counter = in_window(locked_counter(key, now), window, now)
    if counter.count >= limit:
        return seconds_until(counter.window_start + window, now)
    counter.count += 1
    return None


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def wait_text(seconds: int) -> str:
    """'40 seconds', '2 minutes', '15 minutes'."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
