"""Times as people read and type them: stored in UTC, shown and entered in the company's zone.

Dates a person types are accepted only within the years the business can mean (2000-2099),
so a typo like 9999-12-31 is a clear message, never an overflow deep in a query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from fieldapp.errors import Invalid

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
DAY_HINT = "Enter the date as YYYY-MM-DD, e.g. 2026-09-01."


# The app names the function that reads the company's zone (it is a setting the admin
# changes); without one, the zone is the configured FIELDAPP_TIMEZONE.
ZONE_SOURCE = "fieldapp.localtime.zone_source"


def company_zone() -> ZoneInfo:
    source = current_app.extensions.get(ZONE_SOURCE)
    return ZoneInfo(source() if source else current_app.config["TIMEZONE"])


def in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def _out_of_range(field: str, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY) -> Invalid:
    return Invalid.field(field, f"Enter a date between {earliest:%Y} and {latest:%Y}.")


def parse_day(
    value: str | None, field: str, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY
) -> date | None:
    """A YYYY-MM-DD value (None when empty), or Invalid naming the field. A feature's own
    window (a job's schedule, an installation date) is its service's to check; this one only
    keeps typos out of the database; a field whose service checks its own window passes
    date.min and date.max, so the message is the service's)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field(field, DAY_HINT) from exc
    if not earliest <= day <= latest:
        raise _out_of_range(field, earliest, latest)
    return day


def parse_local_datetime(value: str | None, zone: ZoneInfo, field: str) -> datetime | None:
    """An <input type="datetime-local"> value read in the company's zone, as UTC (None when
    empty), or Invalid naming the field."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field(field, "Enter the date and time, e.g. 2026-11-28 09:30.") from exc
    if not in_range(parsed.date()):
        raise _out_of_range(field)
    parsed = parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
    return parsed.astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and ends (DST-safe)."""
    return start_of(day, zone), start_of(day + timedelta(days=1), zone)


def start_of(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def with_year(fmt: str, day: date, today: date) -> str:
    """The format with the year after the day of the month when the day is in another year
    than today ("Dec 31, 2025, 09:00" beside "Jan 4, 09:00"): a date the office reads is never
    ambiguous."""
    if day.year == today.year or "%Y" in fmt or "%d" not in fmt:
        return fmt
    return fmt.replace("%d", "%d, %Y", 1)


def local_time(value: datetime | None, fmt: str = "%b %d, %H:%M") -> str:
    if value is None:
        return ""
    zone = company_zone()
    local = value.astimezone(zone)
    fmt = with_year(fmt, local.date(), local_today(zone))
    return local.strftime(fmt).replace(" 0", " ").replace(", ,", ",")


def local_date(value: datetime | date | None, fmt: str = "%b %d, %Y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(company_zone())
    fmt = with_year(
        fmt, value if not isinstance(value, datetime) else value.date(), local_today(company_zone())
    )
    return value.strftime(fmt).replace(" 0", " ")


def datetime_local(value: datetime | None) -> str:
    """The value for an <input type="datetime-local"> in the company's time zone."""
    if value is None:
        return ""
    return value.astimezone(company_zone()).strftime("%Y-%m-%dT%H:%M")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday', '12 days ago', 'Mar 3, 2025'."""
    if value is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    if seconds < 60:
        return "just now"
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days = hours // 24
    if days == 1:
        return "1 day"
    if days < 60:
        return f"{days} days"
    months = days // 30
    if months < 24:
        return f"{months} months"
    return f"{days // 365} years"
