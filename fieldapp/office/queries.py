"""What the office reads: the dashboard, the dispatch board, a tech's day, the live feed.

Each function runs a fixed number of queries whatever the size of the business (the tests
count them), and eager-loads what its page shows so templates never query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import equipment_query
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockLevel, StockLocation, StockMovement
from fieldapp.jobs.models import JOB_PRIORITIES, OPEN_STATUSES, Job
from fieldapp.messages.queries import unread_by_job
from fieldapp.public.models import ServiceRequest
from fieldapp.sops.models import SopStep
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import StepResult, Visit

# An in-progress visit older than this is a visit someone forgot to finish, not where they are.
ON_SITE_WINDOW = timedelta(hours=24)
# Visits are found through the (tech, started_at) index; none lasts longer than this.
LONGEST_VISIT = timedelta(days=1)
FEED_SIZE = 30
POLL_LIMIT = 50

_PRIORITY_RANK = sa.case(
    {name: rank for rank, name in enumerate(reversed(JOB_PRIORITIES))}, value=Job.priority
)


def with_plotter(relationship):
    """Load the plotters (with their customers) of the rows found, in one more query by id.

    Joining them into the main query lets SQLite's planner start from the customers table, or
    materialise every plotter (the mapping joins a plotter's customer inside), which costs tens
    of milliseconds on a big database; a second query by primary key costs well under one.
    """
    return selectinload(relationship)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and ends (DST-safe)."""
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def active_techs() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == "tech", User.active).order_by(User.name)
        )
    )


# -- the dashboard ------------------------------------------------------------------------


@dataclass
class TechCard:
    tech: User
    visits_today: int
    jobs_left: int
    last_sync: datetime | None
    on_site: Visit | None = None
    next_job: Job | None = None


@dataclass
class StockAlert:
    part: Part
    location: StockLocation
    quantity: int

    @property
    def negative(self) -> bool:
        return self.quantity < 0


@dataclass
class FailedStep:
    result: StepResult
    title: str
    visit: Visit
    tech: User


@dataclass
class Dashboard:
    now: datetime
    today: date
    techs: list[TechCard]
    open_jobs: int
    unassigned: list[Job]
    unassigned_total: int
    requests: list[ServiceRequest]
    requests_total: int
    stock: list[StockAlert]
    stock_total: int
    stock_negative: int
    failed_steps: list[FailedStep]
    events: list[ActivityEvent]
    latest_event_id: int


def dashboard(now: datetime, zone: ZoneInfo) -> Dashboard:
    """Everything the office dashboard shows, in a fixed number of queries (about a dozen)."""
    today = now.astimezone(zone).date()
    start, end = day_bounds(today, zone)
    cards = tech_cards(now, start, end)
    open_total, unassigned_total = _open_job_totals()
    requests, requests_total = _new_requests()
    stock, stock_total, stock_negative = stock_alerts()
    events = latest_events(FEED_SIZE)
    return Dashboard(
        now=now,
        today=today,
        techs=cards,
        open_jobs=open_total,
        unassigned=unassigned_jobs(),
        unassigned_total=unassigned_total,
        requests=requests,
        requests_total=requests_total,
        stock=stock,
        stock_total=stock_total,
        stock_negative=stock_negative,
        failed_steps=failed_steps_between(start, end),
        events=events,
        latest_event_id=events[0].id if events else 0,
    )


def tech_cards(now: datetime, start: datetime, end: datetime) -> list[TechCard]:
    """Per active tech: visits finished today, open jobs, last sync, where they are, what's next."""
    last_sync = (
        sa.select(sa.func.max(SyncOp.received_at))
        .where(SyncOp.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    jobs_left = (
        sa.select(sa.func.count(Job.id))
        .where(Job.assigned_to_id == User.id, Job.status.in_(OPEN_STATUSES))
        .correlate(User)
        .scalar_subquery()
    )
    visits_today = (
        sa.select(sa.func.count(Visit.id))
        .where(
            # A finish time means a finished visit; no status test, so the planners take the
            # (tech, started_at) index, not a walk through every visit the tech ever finished.
            Visit.tech_id == User.id,
            Visit.started_at >= start - LONGEST_VISIT,
            Visit.finished_at >= start,
            Visit.finished_at < end,
        )
        .correlate(User)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(User, visits_today, jobs_left, last_sync)
        .where(User.role == "tech", User.active)
        .order_by(User.name)
    ).all()
    cards = [TechCard(user, visits or 0, left or 0, synced) for user, visits, left, synced in rows]
    if not cards:
        return cards
    by_id = {card.tech.id: card for card in cards}
    for visit in db.session.scalars(
        sa.select(Visit)
        .where(
            Visit.tech_id.in_(by_id),
            Visit.status == "in_progress",
            Visit.started_at >= now - ON_SITE_WINDOW,
        )
        .options(with_plotter(Visit.equipment), joinedload(Visit.job))
        .order_by(Visit.started_at)
    ):
        by_id[visit.tech_id].on_site = visit  # the latest one wins
    ranked = (
        sa.select(
            Job.id,
            sa.func.row_number()
            .over(partition_by=Job.assigned_to_id, order_by=(Job.scheduled_for, Job.id))
            .label("rank"),
        )
        .where(
            Job.assigned_to_id.in_(by_id),
            Job.status == "scheduled",
            Job.scheduled_for >= start,
        )
        .subquery()
    )
    for job in db.session.scalars(
        sa.select(Job)
        .join(ranked, ranked.c.id == Job.id)
        .where(ranked.c.rank == 1)
        .options(joinedload(Job.customer))
    ):
        by_id[job.assigned_to_id].next_job = job
    return cards


def _open_job_totals() -> tuple[int, int]:
    rows = db.session.execute(
        sa.select(Job.assigned_to_id.is_(None), sa.func.count())
        .where(Job.status.in_(OPEN_STATUSES))
        .group_by(Job.assigned_to_id.is_(None))
    ).all()
    counts = {bool(unassigned): count for unassigned, count in rows}
    return sum(counts.values()), counts.get(True, 0)


def unassigned_jobs(limit: int = 8) -> list[Job]:
    """Open jobs nobody is sent to yet, most urgent and oldest first."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.status.in_(OPEN_STATUSES), Job.assigned_to_id.is_(None))
            .options(joinedload(Job.customer), with_plotter(Job.equipment))
            .order_by(_PRIORITY_RANK, Job.created_at, Job.id)
            .limit(limit)
        )
    )


def _new_requests(limit: int = 6) -> tuple[list[ServiceRequest], int]:
    rows = db.session.execute(
        sa.select(ServiceRequest, sa.func.count().over())
        .where(ServiceRequest.status == "new")
        .options(with_plotter(ServiceRequest.equipment))
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
        .limit(limit)
    ).all()
    return [request for request, _ in rows], (rows[0][1] if rows else 0)


def stock_alerts(limit: int = 10) -> tuple[list[StockAlert], int, int]:
    """Levels at or below the part's reorder point, negative counts first; and the totals."""
    rows = db.session.execute(
        sa.select(
            Part,
            StockLocation,
            StockLevel.quantity,
            sa.func.count().over(),
            sa.func.sum(sa.case((StockLevel.quantity < 0, 1), else_=0)).over(),
        )
        .join(Part, Part.id == StockLevel.part_id)
        .join(StockLocation, StockLocation.id == StockLevel.location_id)
        .where(Part.active, StockLevel.quantity <= Part.reorder_point)
        .order_by(
            sa.case((StockLevel.quantity < 0, 0), else_=1),
            StockLevel.quantity - Part.reorder_point,
            Part.name,
            StockLocation.name,
        )
        .limit(limit)
    ).all()
    alerts = [StockAlert(part, location, quantity) for part, location, quantity, _, _ in rows]
    return alerts, (rows[0][3] if rows else 0), (int(rows[0][4] or 0) if rows else 0)


def failed_steps_between(start: datetime, end: datetime, limit: int = 20) -> list[FailedStep]:
    """SOP steps marked failed in the period, newest first, with the visit and the tech."""
    rows = db.session.execute(
        sa.select(StepResult, SopStep.title, Visit, User)
        .join(Visit, Visit.id == StepResult.visit_id)
        .join(SopStep, SopStep.id == StepResult.step_id)
        .join(User, User.id == StepResult.by_id)
        .where(
            StepResult.status == "fail",
            StepResult.at >= start,
            StepResult.at < end,
            Visit.started_at >= start - LONGEST_VISIT,
        )
        .options(with_plotter(Visit.equipment))
        .order_by(StepResult.at.desc(), StepResult.id.desc())
        .limit(limit)
    ).all()
    return [FailedStep(result, title, visit, tech) for result, title, visit, tech in rows]


# -- the live feed ------------------------------------------------------------------------


def latest_events(limit: int = FEED_SIZE) -> list[ActivityEvent]:
    """The newest events first (ids follow the server's clock: events are stamped on arrival)."""
    return list(
        db.session.scalars(
            sa.select(ActivityEvent)
            .options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.id.desc())
            .limit(limit)
        )
    )


def latest_event_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(ActivityEvent.id))) or 0


def events_after(after: int, limit: int = POLL_LIMIT) -> list[ActivityEvent]:
    """Events newer than the one the page has, newest first (at most `limit`)."""
    return list(
        db.session.scalars(
            sa.select(ActivityEvent)
            .where(ActivityEvent.id > after)
            .options(joinedload(ActivityEvent.actor))
            .order_by(ActivityEvent.id.desc())
            .limit(limit)
        )
    )


# -- the dispatch board -------------------------------------------------------------------

BOARD_STATUSES = ("new", "scheduled", "in_progress", "waiting_parts", "done")
RECENTLY_DONE = timedelta(days=7)
COLUMN_LIMIT = 30


@dataclass(frozen=True)
class BoardFilters:
    tech: str = ""  # "", "none" (unassigned) or a user id
    customer: str = ""  # part of the customer's name
    priority: str = ""
    day: date | None = None  # jobs scheduled on this local day

    @property
    def active(self) -> bool:
        return bool(self.tech or self.customer or self.priority or self.day)


@dataclass
class BoardColumn:
    status: str
    total: int = 0
    jobs: list[Job] = field(default_factory=list)


@dataclass
class Board:
    columns: list[BoardColumn]
    techs: list[User]
    unread: dict[int, int]  # the viewer's unread messages per job on the board

    @property
    def total(self) -> int:
        return sum(column.total for column in self.columns)


def _board_conditions(filters: BoardFilters, now: datetime, zone: ZoneInfo) -> list:
    conditions = []
    if filters.day is not None:
        start, end = day_bounds(filters.day, zone)
        conditions += [Job.scheduled_for >= start, Job.scheduled_for < end]
        status = Job.status.in_(BOARD_STATUSES)
    else:
        # Done jobs stay on the board for a week so the office sees what was finished. Two
        # index seeks joined by UNION ALL: an OR here makes SQLite walk every job ever done.
        status = Job.id.in_(
            sa.union_all(
                sa.select(Job.id).where(Job.status.in_(OPEN_STATUSES)),
                sa.select(Job.id).where(Job.status == "done", Job.closed_at >= now - RECENTLY_DONE),
            )
        )
    conditions.append(status)
    if filters.tech == "none":
        conditions.append(Job.assigned_to_id.is_(None))
    elif filters.tech.isdigit():
        conditions.append(Job.assigned_to_id == int(filters.tech))
    if filters.priority in JOB_PRIORITIES:
        conditions.append(Job.priority == filters.priority)
    if filters.customer.strip():
        pattern = f"%{filters.customer.strip().lower()}%"
        matching = sa.select(Customer.id).where(sa.func.lower(Customer.name).like(pattern))
        conditions.append(Job.customer_id.in_(matching))
    return conditions


def board(filters: BoardFilters, viewer: User, now: datetime, zone: ZoneInfo) -> Board:
    """Jobs by status (each column capped), with the column totals, the techs to filter by and
    the viewer's unread messages on the jobs shown."""
    conditions = _board_conditions(filters, now, zone)
    # Urgent first, then by when it is due; done jobs most recently closed first.
    rank = sa.func.row_number().over(
        partition_by=Job.status,
        order_by=(
            sa.case((Job.status == "done", 0), else_=_PRIORITY_RANK),
            Job.closed_at.desc(),
            Job.scheduled_for.is_(None),
            Job.scheduled_for,
            Job.id,
        ),
    )
    ranked = sa.select(
        Job.id,
        Job.status,
        rank.label("rank"),
        sa.func.count().over(partition_by=Job.status).label("total"),
    ).where(*conditions)
    inner = ranked.subquery()
    # The ids first, then the jobs by id: one statement joining both leaves the planners
    # guessing how many rows the rank keeps, and PostgreSQL then scans every job.
    shown = db.session.execute(
        sa.select(inner.c.id, inner.c.status, inner.c.total)
        .where(inner.c.rank <= COLUMN_LIMIT)
        .order_by(inner.c.rank)
    ).all()
    columns = {status: BoardColumn(status) for status in BOARD_STATUSES}
    for _, status, total in shown:
        columns[status].total = total
    ids = [job_id for job_id, _, _ in shown]
    if ids:
        found = {
            job.id: job
            for job in db.session.scalars(
                sa.select(Job)
                .where(Job.id.in_(ids))
                .options(
                    joinedload(Job.customer),
                    with_plotter(Job.equipment),
                    joinedload(Job.assigned_to),
                )
            )
        }
        for job_id in ids:
            columns[found[job_id].status].jobs.append(found[job_id])
    return Board(
        columns=list(columns.values()),
        techs=active_techs(),
        unread=unread_by_job(viewer, ids),
    )


# -- a tech's day -------------------------------------------------------------------------


@dataclass
class PartLine:
    sku: str
    name: str
    quantity: int
    cost_cents: int


@dataclass
class DayVisit:
    visit: Visit
    parts: list[PartLine]
    failed: list[str]
    end: datetime  # finished_at, or now for a visit still on site

    @property
    def minutes(self) -> int:
        return max(0, int((self.end - self.visit.started_at).total_seconds() // 60))


@dataclass
class TechDay:
    tech: User
    day: date
    visits: list[DayVisit]
    planned: list[Job]
    first_hour: int
    last_hour: int
    zone: ZoneInfo

    def percent(self, at: datetime) -> float:
        """Where a moment sits on the day's timeline, from 0 (first hour) to 100 (last)."""
        local = at.astimezone(self.zone)
        if local.date() < self.day:
            return 0.0
        if local.date() > self.day:
            return 100.0
        minutes = (local.hour - self.first_hour) * 60 + local.minute
        span = (self.last_hour - self.first_hour) * 60
        return round(min(100.0, max(0.0, 100 * minutes / span)), 2)

    @property
    def minutes_on_site(self) -> int:
        return sum(v.minutes for v in self.visits)

    @property
    def parts_count(self) -> int:
        return sum(p.quantity for v in self.visits for p in v.parts)

    @property
    def parts_cost_cents(self) -> int:
        return sum(p.cost_cents for v in self.visits for p in v.parts)


def tech_day(tech: User, day: date, now: datetime, zone: ZoneInfo) -> TechDay:
    """A tech's visits on one local day, with time on site, parts used and failed steps."""
    start, end = day_bounds(day, zone)
    visits = list(
        db.session.scalars(
            sa.select(Visit)
            .where(Visit.tech_id == tech.id, Visit.started_at >= start, Visit.started_at < end)
            .options(with_plotter(Visit.equipment), joinedload(Visit.job))
            .order_by(Visit.started_at)
        )
    )
    ids = [visit.id for visit in visits]
    parts: dict = {}
    failed: dict = {}
    if ids:
        for visit_id, sku, name, quantity, cost in db.session.execute(
            sa.select(
                StockMovement.visit_id,
                Part.sku,
                Part.name,
                -sa.func.sum(StockMovement.quantity),
                -sa.func.sum(StockMovement.quantity * StockMovement.unit_cost_cents),
            )
            .join(Part, Part.id == StockMovement.part_id)
            .where(StockMovement.visit_id.in_(ids), StockMovement.kind == "use")
            .group_by(StockMovement.visit_id, Part.sku, Part.name)
            .order_by(Part.name)
        ):
            parts.setdefault(visit_id, []).append(PartLine(sku, name, int(quantity), int(cost)))
        for visit_id, title in db.session.execute(
            sa.select(StepResult.visit_id, SopStep.title)
            .join(SopStep, SopStep.id == StepResult.step_id)
            .where(StepResult.visit_id.in_(ids), StepResult.status == "fail")
            .order_by(SopStep.position)
        ):
            failed.setdefault(visit_id, []).append(title)
    planned = list(
        db.session.scalars(
            sa.select(Job)
            .where(
                Job.assigned_to_id == tech.id,
                Job.scheduled_for >= start,
                Job.scheduled_for < end,
            )
            .options(joinedload(Job.customer), with_plotter(Job.equipment))
            .order_by(Job.scheduled_for, Job.id)
        )
    )
    day_visits = [
        DayVisit(
            v, parts.get(v.id, []), failed.get(v.id, []), v.finished_at or max(now, v.started_at)
        )
        for v in visits
    ]
    hours = [v.visit.started_at.astimezone(zone).hour for v in day_visits]
    hours += [min(24, v.end.astimezone(zone).hour + 1) if v.end < end else 24 for v in day_visits]
    for job in planned:
        hour = job.scheduled_for.astimezone(zone).hour
        hours += [hour, hour + 1]
    return TechDay(
        tech=tech,
        day=day,
        visits=day_visits,
        planned=planned,
        first_hour=min([7, *hours]),
        last_hour=max([18, *hours]),
        zone=zone,
    )


# -- the job page and the intake form -----------------------------------------------------


@dataclass
class IntakeMatches:
    text: str
    plotters: list[Equipment]
    customers: list[Customer]
    open_jobs: dict[int, list[Job]]  # open jobs already on each plotter (a repeat call?)


def intake_matches(text: str, limit: int = 12) -> IntakeMatches:
    """Plotters matching the caller's words (customer, serial, short code, model), customers
    whose plotter may not be on file yet, and the open jobs already on those plotters."""
    text = text.strip()
    if not text:
        return IntakeMatches("", [], [], {})
    plotters = list(db.session.scalars(equipment_query(text).limit(limit)))
    customers = list(
        db.session.scalars(
            sa.select(Customer)
            .where(Customer.active, sa.func.lower(Customer.name).like(f"%{text.lower()}%"))
            .order_by(Customer.name)
            .limit(5)
        )
    )
    open_jobs: dict[int, list[Job]] = {}
    if plotters:
        for job in db.session.scalars(
            sa.select(Job)
            .where(
                Job.equipment_id.in_([plotter.id for plotter in plotters]),
                Job.status.in_(OPEN_STATUSES),
            )
            .order_by(Job.id)
        ):
            open_jobs.setdefault(job.equipment_id, []).append(job)
    return IntakeMatches(text, plotters, customers, open_jobs)


def job_visits(job_id: int) -> list[Visit]:
    """The visits made on a job, with their tech, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Visit)
            .where(Visit.job_id == job_id)
            .options(joinedload(Visit.tech))
            .order_by(Visit.started_at)
        )
    )
