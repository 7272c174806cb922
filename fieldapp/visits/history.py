"""Read side of a plotter's service history: the timeline in pages, parts, meter, hints.

Every function here runs a fixed number of queries whatever the length of the history, so a
plotter with 500 visits opens as fast as one with 5.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockMovement, used_on_visits
from fieldapp.photos.models import Photo
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.visits.models import StepResult, Visit, VisitErrorCode

PAGE_SIZE = 10
RECURRENCE_WINDOW = timedelta(days=90)
HINT_LOOKBACK = timedelta(days=365)


@dataclass
class PartLine:
    sku: str
    name: str
    quantity: int


@dataclass
class TimelineEntry:
    """One visit as the timeline shows it."""

    visit: Visit
    error_codes: list[str] = field(default_factory=list)
    parts: list[PartLine] = field(default_factory=list)
    failed_steps: list[tuple[str, str]] = field(default_factory=list)  # (title, note)
    photos: list[Photo] = field(default_factory=list)
    meter: int | None = None


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None  # pass as ?before= for the next (older) page


def encode_cursor(visit: Visit) -> str:
    return f"{visit.started_at.isoformat()}~{visit.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A cursor from the query string, or None when absent or tampered with."""
    if not cursor:
        return None
    try:
        when, visit_id = cursor.split("~", 1)
        return datetime.fromisoformat(when), uuid.UUID(visit_id)
    except ValueError:
        return None


def timeline(equipment_id: int, before: str | None = None, limit: int = PAGE_SIZE) -> TimelinePage:
    """Finished and in-progress visits, newest first, one page at a time (keyset pagination)."""
    query = (
        sa.select(Visit)
        .where(Visit.equipment_id == equipment_id)
        .options(
            joinedload(Visit.tech),
            joinedload(Visit.job),
            joinedload(Visit.sop_version).joinedload(SopVersion.sop),
        )
        .order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(limit + 1)
    )
    cursor = decode_cursor(before)
    if cursor is not None:
        started_at, visit_id = cursor
        query = query.where(
            sa.or_(
                Visit.started_at < started_at,
                sa.and_(Visit.started_at == started_at, Visit.id < visit_id),
            )
        )
    visits = list(db.session.scalars(query).unique())
    has_more = len(visits) > limit
    visits = visits[:limit]
    entries = _with_details(visits)
    return TimelinePage(entries, encode_cursor(visits[-1]) if has_more and visits else None)


def _with_details(visits: list[Visit]) -> list[TimelineEntry]:
    """Attach codes, parts, failed steps, photos and meter to a page of visits: 5 queries."""
    entries = {visit.id: TimelineEntry(visit) for visit in visits}
    if not entries:
        return []
    ids = list(entries)
    for visit_id, code in db.session.execute(
        sa.select(VisitErrorCode.visit_id, VisitErrorCode.code)
        .where(VisitErrorCode.visit_id.in_(ids))
        .order_by(VisitErrorCode.code)
    ):
        entries[visit_id].error_codes.append(code)
    for visit_id, sku, name, quantity in db.session.execute(
        sa.select(StockMovement.visit_id, Part.sku, Part.name, -sa.func.sum(StockMovement.quantity))
        .join(Part, Part.id == StockMovement.part_id)
        .where(StockMovement.visit_id.in_(ids), used_on_visits())
        .group_by(StockMovement.visit_id, Part.sku, Part.name)
        .having(sa.func.sum(StockMovement.quantity) != 0)
        .order_by(Part.name)
    ):
        entries[visit_id].parts.append(PartLine(sku, name, int(quantity)))
    for visit_id, title, note in db.session.execute(
        sa.select(StepResult.visit_id, SopStep.title, StepResult.note)
        .join(SopStep, SopStep.id == StepResult.step_id)
        .where(StepResult.visit_id.in_(ids), StepResult.status == "fail")
        .order_by(SopStep.position)
    ):
        entries[visit_id].failed_steps.append((title, note))
    for photo in db.session.scalars(
        sa.select(Photo)
        .where(Photo.visit_id.in_(ids), Photo.kind == "photo")
        .order_by(Photo.created_at)
    ):
        entries[photo.visit_id].photos.append(photo)
    for visit_id, value in db.session.execute(
        sa.select(MeterReading.visit_id, MeterReading.value).where(MeterReading.visit_id.in_(ids))
    ):
        entries[visit_id].meter = value
    return [entries[visit.id] for visit in visits]


@dataclass
class PartUsage:
    sku: str
    name: str
    quantity: int
    times: int
    last_used: datetime


def parts_used(equipment_id: int) -> list[PartUsage]:
    """Every part ever fitted to this plotter, most recent first."""
    rows = db.session.execute(
        sa.select(
            Part.sku,
            Part.name,
            -sa.func.sum(StockMovement.quantity),
            sa.func.count(sa.distinct(StockMovement.visit_id)),
            sa.func.max(StockMovement.at),
        )
        .join(Part, Part.id == StockMovement.part_id)
        .join(Visit, Visit.id == StockMovement.visit_id)
        .where(Visit.equipment_id == equipment_id, used_on_visits())
        .group_by(Part.sku, Part.name)
        .having(sa.func.sum(StockMovement.quantity) != 0)
        .order_by(sa.func.max(StockMovement.at).desc())
    ).all()
    return [PartUsage(sku, name, int(qty), times, last) for sku, name, qty, times, last in rows]


@dataclass
class Recurrence:
    kind: str  # "error" or "part"
    what: str
    first: datetime
    last: datetime
    times: int


def recurrences(equipment_id: int, now: datetime | None = None) -> list[Recurrence]:
    """Error codes and parts that came back within 90 days of each other in the last year.

    Visits of one job (a part ordered, then fitted) are one incident, not a recurrence.
    """
    since = (now or utcnow()) - HINT_LOOKBACK
    incidents: dict[tuple[str, str], dict[object, datetime]] = defaultdict(dict)

    def note(kind: str, what: str, job_id, visit_id, at: datetime) -> None:
        seen = incidents[(kind, what)]
        key = job_id or visit_id
        seen[key] = min(at, seen.get(key, at))

    for code, job_id, visit_id, at in db.session.execute(
        sa.select(VisitErrorCode.code, Visit.job_id, Visit.id, Visit.started_at)
        .join(Visit, Visit.id == VisitErrorCode.visit_id)
        .where(Visit.equipment_id == equipment_id, Visit.started_at >= since)
    ):
        note("error", code, job_id, visit_id, at)
    for name, job_id, visit_id, at in db.session.execute(
        sa.select(Part.name, Visit.job_id, Visit.id, Visit.started_at)
        .join(StockMovement, StockMovement.visit_id == Visit.id)
        .join(Part, Part.id == StockMovement.part_id)
        .where(
            Visit.equipment_id == equipment_id,
            Visit.started_at >= since,
            StockMovement.kind == "use",
            # Wipes and swabs are used on every visit: fitting them again is no warning.
            Part.consumable.is_(False),
        )
    ):
        note("part", name, job_id, visit_id, at)
    found = []
    for (kind, what), by_incident in incidents.items():
        times = sorted(by_incident.values())
        close = [b for a, b in zip(times, times[1:], strict=False) if b - a <= RECURRENCE_WINDOW]
        if close:
            found.append(Recurrence(kind, what, times[0], times[-1], len(times)))
    found.sort(key=lambda r: r.last, reverse=True)
    return found


def last_visit_line(entry: TimelineEntry | None) -> str | None:
    """'12 days ago by Sam: replaced HP 729 printhead' (the age is added by the template)."""
    if entry is None:
        return None
    visit = entry.visit
    what = visit.summary.strip().split("\n")[0] if visit.summary else visit.outcome_label
    if len(what) > 140:
        what = what[:137].rstrip() + "…"
    return f"by {visit.tech.first_name}: {what}"
