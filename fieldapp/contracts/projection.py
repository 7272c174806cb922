"""When a PM falls due: by the calendar (N months after the last one) and by the meter (the
day its trend reaches the next threshold). Pure functions of dates and readings."""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# The trend is read from this much of the recent past (a plotter's use changes with its work).
TREND_WINDOW = timedelta(days=365)
# A meter that would take longer than this to get there tells no due day (a plotter barely
# used; beyond it lies the end of the calendar).
HORIZON_DAYS = 20 * 365


@dataclass(frozen=True)
class Reading:
    on: date
    value: int


@dataclass(frozen=True)
class Trend:
    last: Reading
    per_day: float | None  # None: too few readings to tell, or the meter does not rise


@dataclass(frozen=True)
class Due:
    on: date | None  # None: the meter plan cannot tell yet (no readings, no rise)
    by: str | None  # "date" or "meter"
    trend: Trend | None


def add_months(day: date, months: int) -> date:
    """The same day of the month, months later (the month's last day when it has fewer)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_run(readings: Sequence[Reading]) -> list[Reading]:
    """The readings since the counter last went down (a new board or a reset starts again),
    in order of the day they were taken."""
    ordered = sorted(readings, key=lambda reading: reading.on)
    run: list[Reading] = []
    for reading in ordered:
        if run and reading.value < run[-1].value:
            run = []
        run.append(reading)
    return run


def trend(readings: Sequence[Reading]) -> Trend | None:
    """The meter's rise per day over the recent run of readings: the least-squares slope,
    None when there are fewer than two days of readings or it does not rise."""
    run = current_run(readings)
    if not run:
        return None
    last = run[-1]
    recent = [reading for reading in run if reading.on >= last.on - TREND_WINDOW]
    first_day = recent[0].on
    xs = [(reading.on - first_day).days for reading in recent]
    if len(set(xs)) < 2:
        return Trend(last, None)
    ys = [reading.value for reading in recent]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return Trend(last, slope if slope > 0 else None)


def meter_due(
    readings: Sequence[Reading], threshold: int, since: date = date.min
) -> tuple[date | None, Trend | None]:
    """The day the meter reaches threshold: the day of the first reading since `since` at or
    past it when one is, else projected from the trend (always after the last reading, which
    is below it); None when the trend cannot tell."""
    run = current_run(readings)
    reached = next(
        (reading for reading in run if reading.on >= since and reading.value >= threshold), None
    )
    found = trend(run)
    if reached is not None:
        return reached.on, found
    if found is None or found.per_day is None:
        return None, found
    days = math.ceil((threshold - found.last.value) / found.per_day)
    if days > HORIZON_DAYS:
        return None, found
    return found.last.on + timedelta(days=max(days, 1)), found


def due(
    *,
    counted_from: date,
    every_months: int | None,
    every_meter: int | None,
    threshold: int | None,
    readings: Sequence[Reading],
) -> Due:
    """The next PM: the earlier of the calendar's date and the meter's (whichever comes
    first), saying which one it is."""
    by_date = add_months(counted_from, every_months) if every_months else None
    by_meter, found = (None, None)
    if every_meter is not None and threshold is not None:
        by_meter, found = meter_due(readings, threshold, counted_from)
    elif readings:
        found = trend(readings)
    if by_meter is not None and (by_date is None or by_meter < by_date):
        return Due(by_meter, "meter", found)
    if by_date is not None:
        return Due(by_date, "date", found)
    return Due(None, None, found)
