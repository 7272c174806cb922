"""Reading jobs: a tech's and a plotter's open jobs, the dispatch board, the intake search,
and every job ever (the jobs list, its CSV, a customer's and a plotter's latest)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from fieldapp.activity.models import ActivityEvent
from fieldapp.auth.models import User
from fieldapp.auth.queries import active_techs
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import equipment_query, with_plotter
from fieldapp.extensions import db
from fieldapp.jobs.models import (
    JOB_PRIORITIES,
    JOB_STATUSES,
    OPEN_STATUSES,
    Job,
    job_id_from_number,
)
from fieldapp.jsonrows import Read, json_rows, read_together, rows_of
from fieldapp.localtime import day_bounds, start_of
from fieldapp.textsearch import all_words_in, words_of

# Urgent first (rank 0), then by when the job is due.
PRIORITY_RANK = sa.case(
    {name: rank for rank, name in enumerate(reversed(JOB_PRIORITIES))}, value=Job.priority
)


def without_active_tech():
    """A condition on Job: nobody is assigned, or only someone no longer an active tech
    (data from before deactivation moved a leaver's jobs): both are the office's to place."""
    active_tech_ids = sa.select(User.id).where(User.role == "tech", User.active)
    return sa.or_(Job.assigned_to_id.is_(None), Job.assigned_to_id.not_in(active_tech_ids))


def open_jobs_for_tech(tech_id: int) -> list[Job]:
    """A tech's open jobs, most urgent first, then by scheduled time."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.assigned_to_id == tech_id, Job.status.in_(OPEN_STATUSES))
            .options(joinedload(Job.customer), joinedload(Job.equipment))
            .order_by(
                PRIORITY_RANK,
                Job.scheduled_for.is_(None),
                Job.scheduled_for,
                Job.id,
            )
        )
    )


@dataclass(frozen=True)
class TodayVersion:
    """What a tech's Today shows depends on: which open jobs are theirs, and the newest event
    on any of them (assigned, rescheduled, a status, a message)."""

    job_ids: list[int]
    latest: int

    @property
    def etag(self) -> str:
        jobs = hashlib.sha256(",".join(map(str, self.job_ids)).encode()).hexdigest()[:16]
        return f"today-{self.latest}-{jobs}"


def today_version(tech_id: int) -> TodayVersion:
    """The tech's open jobs and their newest event, in one query (each job's newest event
    through the job_id index): a job taken away changes the ids even with no event left."""
    newest = (
        sa.select(sa.func.max(ActivityEvent.id))
        .where(ActivityEvent.job_id == Job.id)
        .correlate(Job)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Job.id, newest)
        .where(Job.assigned_to_id == tech_id, Job.status.in_(OPEN_STATUSES))
        .order_by(Job.id)
    ).all()
    return TodayVersion([job_id for job_id, _ in rows], max((n or 0 for _, n in rows), default=0))


def job_with_parties(job_id: int) -> Job | None:
    """A job with its customer, plotter and tech, read in one statement."""
    return db.session.scalar(
        sa.select(Job)
        .where(Job.id == job_id)
        .options(joinedload(Job.customer), joinedload(Job.equipment), joinedload(Job.assigned_to))
        .execution_options(populate_existing=True)
    )


def open_jobs_for(equipment_id: int) -> list[Job]:
    """A plotter's open jobs, newest first."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.equipment_id == equipment_id, Job.status.in_(OPEN_STATUSES))
            .options(joinedload(Job.assigned_to))
            .order_by(Job.created_at.desc())
        )
    )


def open_jobs_read(equipment_id: int) -> Read:
    """open_jobs_for as a read that travels with the page's others (read_together)."""
    return Read(_open_jobs_columns(), _jobs_from, {"equipment_id": equipment_id})


def jobs_of_plotter_read(equipment: Equipment, limit: int = 6) -> Read:
    """A plotter's latest jobs (open or not), with how many it has in all (a read for
    read_together)."""

    def answer(jobs, count) -> tuple[list[Job], int]:
        found = _jobs_from(jobs)
        for job in found:
            job.equipment = equipment
        return found, count or 0

    return Read(_jobs_of_plotter_columns(limit), answer, {"equipment_id": equipment.id})


@functools.cache
def _open_jobs_columns() -> tuple:
    query = sa.select(Job).where(
        Job.equipment_id == sa.bindparam("equipment_id"), Job.status.in_(OPEN_STATUSES)
    )
    return (_jobs_with_assignee(query, Job.created_at.desc()),)


@functools.cache
def _jobs_of_plotter_columns(limit: int) -> tuple:
    mine = Job.equipment_id == sa.bindparam("equipment_id")
    total = sa.select(sa.func.count()).where(mine).scalar_subquery()
    return (_jobs_with_assignee(sa.select(Job).where(mine).limit(limit), Job.id.desc()), total)


def _jobs_with_assignee(query: sa.Select, *order_by) -> sa.ScalarSelect:
    """Jobs (every column) with their assignee's name, in this order."""
    assignee = aliased(User)
    listed = query.outerjoin(assignee, assignee.id == Job.assigned_to_id).add_columns(
        assignee.name.label("assignee_name")
    )
    return json_rows(listed, *order_by)


def _jobs_from(value) -> list[Job]:
    """Job instances (in no session) from _jobs_with_assignee's rows, each with its assignee
    (id and name: all a list shows)."""
    jobs = []
    for row in rows_of(value, Job):
        name = row.pop("assignee_name")
        job = Job(**row)
        if job.assigned_to_id is not None:
            job.assigned_to = User(id=job.assigned_to_id, name=name)
        jobs.append(job)
    return jobs


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

    @property
    def job_ids(self) -> list[int]:
        return [job.id for column in self.columns for job in column.jobs]

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
        conditions.append(without_active_tech())
    elif filters.tech.isdigit():
        conditions.append(Job.assigned_to_id == int(filters.tech))
    if filters.priority in JOB_PRIORITIES:
        conditions.append(Job.priority == filters.priority)
    if filters.customer.strip():
        pattern = f"%{filters.customer.strip().lower()}%"
        matching = sa.select(Customer.id).where(sa.func.lower(Customer.name).like(pattern))
        conditions.append(Job.customer_id.in_(matching))
    return conditions


def board(filters: BoardFilters, now: datetime, zone: ZoneInfo) -> Board:
    """Jobs by status (each column capped), with the column totals and the techs to filter by."""
    conditions = _board_conditions(filters, now, zone)
    # A job a contract promised a response on goes first, soonest deadline first (until a
    # tech is on site); then urgent first, by when it is due; done ones most recently closed.
    awaiting = sa.and_(
        Job.status != "done", Job.respond_by.is_not(None), Job.responded_at.is_(None)
    )
    rank = sa.func.row_number().over(
        partition_by=Job.status,
        order_by=(
            sa.case((awaiting, 0), else_=1),
            sa.case((awaiting, Job.respond_by), else_=None),
            sa.case((Job.status == "done", 0), else_=PRIORITY_RANK),
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
        found = {job.id: job for job in read_together(_board_jobs_read(ids))[0]}
        for job_id in ids:
            columns[found[job_id].status].jobs.append(found[job_id])
    return Board(columns=list(columns.values()), techs=active_techs())


def _board_jobs_read(ids: list[int]) -> Read:
    """These jobs with what a board card shows of their customer, plotter and tech."""
    return Read(_board_jobs_columns(), jobs_with_parties_from, {"board_job_ids": ids})


@functools.cache
def _board_jobs_columns() -> tuple:
    by_id = Job.id.in_(sa.bindparam("board_job_ids", expanding=True))
    return (jobs_with_parties(sa.select(Job).where(by_id)),)


def jobs_with_parties(query: sa.Select, *order_by) -> sa.ScalarSelect:
    """Jobs (every column) with their customer's name, their plotter's make and model and
    their tech's name, state and role (is the job stranded?), in this order, as one JSON
    column (jobs_with_parties_from reads it)."""
    owner, plotter, assignee = aliased(Customer), aliased(Equipment), aliased(User)
    listed = (
        query.join(owner, owner.id == Job.customer_id)
        .outerjoin(plotter, plotter.id == Job.equipment_id)
        .outerjoin(assignee, assignee.id == Job.assigned_to_id)
        .add_columns(
            owner.name.label("customer_name"),
            plotter.make.label("plotter_make"),
            plotter.model.label("plotter_model"),
            assignee.name.label("assignee_name"),
            assignee.active.label("assignee_active"),
            assignee.role.label("assignee_role"),
        )
    )
    return json_rows(listed, *order_by)


def jobs_with_parties_from(value) -> list[Job]:
    """Job instances (in no session) from jobs_with_parties' rows, each with its customer,
    plotter and tech (what a list of jobs shows of them)."""
    jobs = []
    for row in rows_of(value, Job, assignee_active=sa.Boolean()):
        customer = Customer(id=row["customer_id"], name=row.pop("customer_name"))
        make, model = row.pop("plotter_make"), row.pop("plotter_model")
        tech = {key: row.pop(f"assignee_{key}") for key in ("name", "active", "role")}
        job = Job(**row)
        job.customer = customer
        if job.equipment_id is not None:
            job.equipment = Equipment(id=job.equipment_id, make=make, model=model)
        if job.assigned_to_id is not None:
            job.assigned_to = User(id=job.assigned_to_id, **tech)
        jobs.append(job)
    return jobs


# -- the intake form --------------------------------------------------------------------


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


# -- every job ever: the jobs list ---------------------------------------------------------

# The list's columns a user may sort by; "-" in front of a key sorts newest / highest first.
JOB_SORTS: dict[str, tuple[sa.ColumnElement, ...]] = {
    "number": (Job.id,),
    "opened": (Job.created_at, Job.id),
    "scheduled": (Job.scheduled_for, Job.id),
    "closed": (Job.closed_at, Job.id),
    "priority": (PRIORITY_RANK, Job.id),
    "status": (Job.status, Job.id),
    "customer": (Customer.name, Job.id),
}
DEFAULT_SORT = "-number"
JOBS_PER_PAGE = 50
CSV_BATCH = 1_000


@dataclass(frozen=True)
class JobFilters:
    status: str = ""  # "", "open" or a status
    tech: str = ""  # "", "none" (unassigned) or a user id
    customer: str = ""  # words of the customer's name
    customer_id: int | None = None
    plotter_id: int | None = None
    priority: str = ""
    opened_from: date | None = None  # local days, both included
    opened_to: date | None = None
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return bool(
            self.status
            or self.tech
            or self.customer
            or self.customer_id
            or self.plotter_id
            or self.priority
            or self.opened_from
            or self.opened_to
        )


def jobs_query(filters: JobFilters, zone: ZoneInfo) -> sa.Select:
    """Every job matching the filters, in the chosen order, with its customer, plotter and
    tech loaded (the customers and plotters by id in more queries: joined, they would make
    counting a filtered list read every customer too)."""
    return _jobs_matching(filters, zone).options(
        selectinload(Job.customer), with_plotter(Job.equipment), joinedload(Job.assigned_to)
    )


def _jobs_matching(filters: JobFilters, zone: ZoneInfo) -> sa.Select:
    query = sa.select(Job)
    if words_of(filters.customer) or filters.sort.removeprefix("-") == "customer":
        query = query.join(Customer, Customer.id == Job.customer_id)
    if filters.status == "open":
        query = query.where(Job.status.in_(OPEN_STATUSES))
    elif filters.status in JOB_STATUSES:
        query = query.where(Job.status == filters.status)
    if filters.tech == "none":
        query = query.where(Job.assigned_to_id.is_(None))
    elif filters.tech.isdigit():
        query = query.where(Job.assigned_to_id == int(filters.tech))
    if filters.priority in JOB_PRIORITIES:
        query = query.where(Job.priority == filters.priority)
    if filters.customer_id is not None:
        query = query.where(Job.customer_id == filters.customer_id)
    if words_of(filters.customer):
        query = query.where(all_words_in(filters.customer, Customer.name))
    if filters.plotter_id is not None:
        query = query.where(Job.equipment_id == filters.plotter_id)
    if filters.opened_from:
        query = query.where(Job.created_at >= start_of(filters.opened_from, zone))
    if filters.opened_to:
        query = query.where(Job.created_at < start_of(filters.opened_to + timedelta(days=1), zone))
    key = filters.sort.removeprefix("-")
    columns = JOB_SORTS.get(key, JOB_SORTS["number"])
    descending = filters.sort.startswith("-") or key not in JOB_SORTS
    order = [column.desc() if descending else column.asc() for column in columns]
    if key in ("scheduled", "closed"):  # jobs without the date last, either way
        order[0] = order[0].nulls_last()
    return query.order_by(*order)


def job_batches(filters: JobFilters, zone: ZoneInfo) -> Iterator[list[Job]]:
    """The jobs list's jobs for a CSV file, in the list's order, CSV_BATCH at a time: the
    ordered ids first (small even for every job ever), then each batch by id."""
    ids = list(db.session.scalars(_jobs_matching(filters, zone).with_only_columns(Job.id)))
    load = sa.select(Job).options(
        joinedload(Job.customer), with_plotter(Job.equipment), joinedload(Job.assigned_to)
    )
    for start in range(0, len(ids), CSV_BATCH):
        chunk = ids[start : start + CSV_BATCH]
        found = {job.id: job for job in db.session.scalars(load.where(Job.id.in_(chunk)))}
        yield [found[job_id] for job_id in chunk if job_id in found]


def job_numbered(text: str) -> Job | None:
    """The job the text names by its number (J-1399, j1399 or 1399), with its parties."""
    job_id = job_id_from_number(text)
    return job_with_parties(job_id) if job_id is not None else None


def jobs_of_customer(customer_id: int, limit: int = 6) -> tuple[list[Job], int]:
    """A customer's latest jobs (open or not), with how many they have in all."""
    return _latest_jobs(Job.customer_id == customer_id, limit)


def _latest_jobs(condition: sa.ColumnElement, limit: int) -> tuple[list[Job], int]:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(condition))
    if not total:
        return [], 0
    jobs = db.session.scalars(
        sa.select(Job)
        .where(condition)
        .options(joinedload(Job.assigned_to), with_plotter(Job.equipment))
        .order_by(Job.id.desc())
        .limit(limit)
    )
    return list(jobs), total or 0
