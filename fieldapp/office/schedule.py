"""The schedule: each tech's planned jobs on a day or a week, conflicts, and what waits for a
time or a tech. Read-side only; putting a job on it is jobs.services.schedule_job."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.auth.models import User
from fieldapp.auth.queries import active_techs
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.queries import PRIORITY_RANK
from fieldapp.localtime import day_bounds
from fieldapp.settings.services import WorkingHours, company, job_types

SLOT_MINUTES = 30
UNSCHEDULED_LIMIT = 60
VIEWS = ("day", "week")


@dataclass
class Entry:
    """One job on a lane: where it starts and ends (local time) and what is wrong with it."""

    job: Job
    start: datetime
    minutes: int
    conflict: Job | None = None  # the job of the same tech it overlaps
    outside_hours: bool = False
    row: int = 0  # overlapping jobs share the lane's height: the later one below

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def window_end(self) -> datetime | None:
        window = self.job.arrival_window_minutes
        return self.start + timedelta(minutes=window) if window else None


@dataclass
class Lane:
    tech: User
    days: dict[date, list[Entry]] = field(default_factory=dict)

    @property
    def conflicts(self) -> int:
        return sum(1 for entries in self.days.values() for entry in entries if entry.conflict)


@dataclass
class Schedule:
    view: str
    days: list[date]
    lanes: list[Lane]
    unscheduled: list[Job]
    unscheduled_total: int
    hours: WorkingHours
    zone: ZoneInfo
    minutes_by_kind: dict[str, int]

    @property
    def day_start(self) -> datetime:
        """Where the day view's track begins: the working day's start (local)."""
        return datetime.combine(self.days[0], self.hours.start, tzinfo=self.zone)

    @property
    def day_minutes(self) -> int:
        end = datetime.combine(self.days[0], self.hours.end, tzinfo=self.zone)
        return max(60, int((end - self.day_start).total_seconds() // 60))

    @property
    def hour_marks(self) -> list[tuple[str, float]]:
        """The day view's hour labels and where they sit (percent of the track)."""
        first = self.day_start.replace(minute=0)
        marks = []
        for n in range(self.day_minutes // 60 + 2):
            at = first + timedelta(hours=n)
            offset = (at - self.day_start).total_seconds() / 60
            if 0 <= offset <= self.day_minutes:
                marks.append((f"{at:%H:%M}", round(offset / self.day_minutes * 100, 2)))
        return marks

    def place(self, entry: Entry) -> tuple[float, float]:
        """Where an entry sits on the day view's track: left and width in percent, clipped
        to the working day (an entry outside it shows at the edge, marked)."""
        offset = (entry.start - self.day_start).total_seconds() / 60
        left = min(max(offset, 0), self.day_minutes - SLOT_MINUTES)
        right = min(max(offset + entry.minutes, left + SLOT_MINUTES), self.day_minutes)
        return (
            round(left / self.day_minutes * 100, 2),
            round((right - left) / self.day_minutes * 100, 2),
        )


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def schedule(day: date, view: str, zone: ZoneInfo) -> Schedule:
    """The day's (or its week's) planned jobs per active tech, with conflicts marked, and the
    open jobs still waiting for a tech or a time. A constant number of queries."""
    days = [day] if view == "day" else week_of(day)
    start, _ = day_bounds(days[0], zone)
    _, end = day_bounds(days[-1], zone)
    hours = company().working_hours
    minutes_by_kind = {job_type.kind: job_type.minutes for job_type in job_types()}
    techs = active_techs()
    lanes = {tech.id: Lane(tech, {d: [] for d in days}) for tech in techs}
    planned = db.session.scalars(
        sa.select(Job)
        .where(
            Job.status.in_(OPEN_STATUSES),
            Job.assigned_to_id.in_(list(lanes) or [0]),
            Job.scheduled_for >= start,
            Job.scheduled_for < end,
        )
        .options(joinedload(Job.customer), joinedload(Job.equipment))
        .order_by(Job.scheduled_for, Job.id)
    )
    for job in planned:
        local = job.scheduled_for.astimezone(zone)
        minutes = job.duration_minutes or minutes_by_kind[job.kind]
        entry = Entry(job, local, minutes)
        entry.outside_hours = (
            local.weekday() not in hours.days
            or local.time() < hours.start
            or entry.end.time() > hours.end
            or entry.end.date() != local.date()
        )
        lanes[job.assigned_to_id].days[local.date()].append(entry)
    for lane in lanes.values():
        for entries in lane.days.values():
            _mark_conflicts(entries)
    waiting = _waiting_for_the_schedule(set(lanes))
    unscheduled = list(
        db.session.scalars(
            sa.select(Job)
            .where(waiting)
            .options(
                joinedload(Job.customer), joinedload(Job.equipment), joinedload(Job.assigned_to)
            )
            .order_by(PRIORITY_RANK, Job.created_at, Job.id)
            .limit(UNSCHEDULED_LIMIT)
        ).unique()
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(waiting))
    return Schedule(
        view, days, list(lanes.values()), unscheduled, total, hours, zone, minutes_by_kind
    )


def _waiting_for_the_schedule(active_tech_ids: set[int]):
    """Open jobs not yet on anyone's schedule: no time, no tech, or a tech no longer active
    (a visit under way is being worked on, not waiting)."""
    return sa.and_(
        Job.status.in_(("new", "scheduled", "waiting_parts")),
        sa.or_(
            Job.scheduled_for.is_(None),
            Job.assigned_to_id.is_(None),
            Job.assigned_to_id.not_in(list(active_tech_ids) or [0]),
        ),
    )


def _mark_conflicts(entries: list[Entry]) -> None:
    """Mark each entry that starts before an earlier one of the same tech has ended."""
    latest: Entry | None = None
    for entry in sorted(entries, key=lambda e: (e.start, e.job.id)):
        if latest is not None and entry.start < latest.end:
            entry.conflict = latest.job
            latest.conflict = latest.conflict or entry.job
            entry.row = 1 - latest.row
        if latest is None or entry.end > latest.end:
            latest = entry
