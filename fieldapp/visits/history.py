"""Read side of a plotter's service history: the timeline in pages, parts, meter, hints.

Every function here runs a fixed number of queries whatever the length of the history, so a
plotter with 500 visits opens as fast as one with 5.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.dbtypes import UTCDateTime, utcnow
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockMovement, used_on_visits
from fieldapp.jsonrows import Read, instances, json_array, json_rows, rows_of
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
    """Finished and in-progress visits, newest first, one page at a time (keyset pagination):
    one statement, each visit with its codes, parts, failed steps, photos and meter."""
    cursor = decode_cursor(before)
    params: dict[str, object] = {"equipment_id": equipment_id}
    if cursor is not None:
        params["started_at"], params["visit_id"] = cursor
    rows = db.session.execute(_timeline_query(limit, cursor is not None), params).all()
    has_more = len(rows) > limit
    entries = [_entry(row) for row in rows[:limit]]
    last = entries[-1].visit if entries else None
    return TimelinePage(entries, encode_cursor(last) if has_more and last else None)


@functools.cache
def _timeline_query(limit: int, older: bool) -> sa.Select:
    """A page of a plotter's visits, older than a cursor when `older` (made once: building
    the statement again for every page would cost more than running it)."""
    query = (
        sa.select(Visit, *_DETAILS.values())
        .where(Visit.equipment_id == sa.bindparam("equipment_id"))
        .options(
            joinedload(Visit.tech),
            joinedload(Visit.job),
            joinedload(Visit.sop_version).joinedload(SopVersion.sop),
        )
        .order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(limit + 1)
    )
    if older:
        started_at, visit_id = sa.bindparam("started_at"), sa.bindparam("visit_id")
        query = query.where(
            sa.or_(
                Visit.started_at < started_at,
                sa.and_(Visit.started_at == started_at, Visit.id < visit_id),
            )
        )
    return query


# What the timeline shows of each visit, as columns of the visit's row (JSON lists).
_DETAILS = {
    "codes": json_array([VisitErrorCode.code], VisitErrorCode.visit_id == Visit.id),
    "parts": json_array(
        [Part.sku, Part.name, StockMovement.quantity],
        StockMovement.visit_id == Visit.id,
        Part.id == StockMovement.part_id,
        used_on_visits(),
    ),
    "failed": json_array(
        [SopStep.title, SopStep.position, StepResult.note],
        StepResult.visit_id == Visit.id,
        SopStep.id == StepResult.step_id,
        StepResult.status == "fail",
    ),
    "photos": json_array(
        [Photo.id, Photo.caption, Photo.created_at],
        Photo.visit_id == Visit.id,
        Photo.kind == "photo",
    ),
    "meter": sa.select(MeterReading.value)
    .where(MeterReading.visit_id == Visit.id)
    .order_by(MeterReading.id.desc())
    .limit(1)
    .scalar_subquery(),
}


def _entry(row) -> TimelineEntry:
    """A timeline entry from a visit's row: codes by code, parts (what the visit used in the
    end, none that it gave back) by name, failed steps in the procedure's order, photos as
    they were taken."""
    visit, codes, parts, failed, photos, meter = row
    used: dict[tuple[str, str], int] = defaultdict(int)
    for line in rows_of(parts):
        used[(line["sku"], line["name"])] -= line["quantity"]
    steps = sorted(rows_of(failed), key=lambda step: step["position"])
    taken = sorted(rows_of(photos, Photo), key=lambda photo: photo["created_at"])
    return TimelineEntry(
        visit,
        error_codes=sorted(code["code"] for code in rows_of(codes)),
        parts=[
            PartLine(sku, name, quantity)
            for (sku, name), quantity in sorted(used.items(), key=lambda item: item[0][1])
            if quantity != 0
        ],
        failed_steps=[(step["title"], step["note"]) for step in steps],
        photos=instances(Photo, taken),
        meter=meter,
    )


@dataclass
class PartUsage:
    sku: str
    name: str
    quantity: int
    times: int
    last_used: datetime


def parts_used_read(equipment_id: int) -> Read:
    """Every part ever fitted to this plotter, most recent first (a read for read_together)."""

    def answer(value) -> list[PartUsage]:
        return [PartUsage(**row) for row in rows_of(value, last_used=UTCDateTime())]

    return Read(_parts_used_columns(), answer, {"equipment_id": equipment_id})


@functools.cache
def _parts_used_columns() -> tuple:
    query = _parts_used(sa.bindparam("equipment_id")).order_by(None)
    return (json_rows(query, sa.func.max(StockMovement.at).desc()),)


def _parts_used(equipment_id) -> sa.Select:
    return (
        sa.select(
            Part.sku,
            Part.name,
            (-sa.func.sum(StockMovement.quantity)).label("quantity"),
            sa.func.count(sa.distinct(StockMovement.visit_id)).label("times"),
            sa.func.max(StockMovement.at).label("last_used"),
        )
        .join(Part, Part.id == StockMovement.part_id)
        .join(Visit, Visit.id == StockMovement.visit_id)
        .where(Visit.equipment_id == equipment_id, used_on_visits())
        .group_by(Part.sku, Part.name)
        .having(sa.func.sum(StockMovement.quantity) != 0)
        .order_by(sa.func.max(StockMovement.at).desc())
    )


@dataclass
class Recurrence:
    kind: str  # "error" or "part"
    what: str
    first: datetime
    last: datetime
    times: int


def recurrences_read(equipment_id: int, now: datetime | None = None) -> Read:
    """Error codes and parts that came back within 90 days of each other in the last year
    (a read for read_together). Visits of one job (a part ordered, then fitted) are one
    incident, not a recurrence."""

    def answer(codes, parts) -> list[Recurrence]:
        def rows(value):
            return [
                (row["what"], row["job_id"], row["visit_id"], row["at"])
                for row in rows_of(value, at=UTCDateTime(), visit_id=sa.Uuid())
            ]

        return _recurrences(rows(codes), rows(parts))

    since = (now or utcnow()) - HINT_LOOKBACK
    return Read(_recurrence_columns(), answer, {"equipment_id": equipment_id, "since": since})


@functools.cache
def _recurrence_columns() -> tuple:
    queries = _recurrence_queries(sa.bindparam("equipment_id"), sa.bindparam("since"))
    return tuple(json_rows(query) for query in queries)


def _recurrence_queries(equipment_id, since) -> tuple[sa.Select, sa.Select]:
    """The error codes, then the parts (not consumables), of the plotter's visits since then
    (a year): (what, job_id, visit_id, at) rows."""
    visit_columns = (Visit.job_id, Visit.id.label("visit_id"), Visit.started_at.label("at"))
    codes = (
        sa.select(VisitErrorCode.code.label("what"), *visit_columns)
        .join(Visit, Visit.id == VisitErrorCode.visit_id)
        .where(Visit.equipment_id == equipment_id, Visit.started_at >= since)
    )
    parts = (
        sa.select(Part.name.label("what"), *visit_columns)
        .join(StockMovement, StockMovement.visit_id == Visit.id)
        .join(Part, Part.id == StockMovement.part_id)
        .where(
            Visit.equipment_id == equipment_id,
            Visit.started_at >= since,
            StockMovement.kind == "use",
            # Wipes and swabs are used on every visit: fitting them again is no warning.
            Part.consumable.is_(False),
        )
    )
    return codes, parts


def _recurrences(codes, parts) -> list[Recurrence]:
    incidents: dict[tuple[str, str], dict[object, datetime]] = defaultdict(dict)

    def note(kind: str, what: str, job_id, visit_id, at: datetime) -> None:
        seen = incidents[(kind, what)]
        key = job_id or visit_id
        seen[key] = min(at, seen.get(key, at))

    for code, job_id, visit_id, at in codes:
        note("error", code, job_id, visit_id, at)
    for name, job_id, visit_id, at in parts:
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
