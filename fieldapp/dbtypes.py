"""Column types and helpers shared by every feature's models."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable default, never an import-time value)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always UTC-aware in Python, on SQLite as on PostgreSQL.

    SQLite has no time zones and hands back naive values; PostgreSQL's timestamptz hands back
    aware ones. Normalising both ways keeps comparisons and ISO output identical.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    """A CHECK constraint that keeps an enumeration column within its values."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")
