"""What the office reads: the dashboard and a tech's day.

Each function runs a fixed number of queries whatever the size of the business (the tests
count them), and loads what its page shows so templates never query per row: the dashboard's
cards, counts and lists travel together in one statement (fieldapp/jsonrows.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from fieldapp.activity.models import ActivityEvent
from fieldapp.activity.queries import FEED_SIZE, latest_events
from fieldapp.auth.models import User
from fieldapp.contracts.queries import overdue_pm_count_read
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import with_plotter
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    StockMovement,
    used_on_visits,
)
from fieldapp.inventory.queries import StockAlert, stock_alerts_read
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.queries import (
    PRIORITY_RANK,
    jobs_with_parties,
    jobs_with_parties_from,
    without_active_tech,
)
from fieldapp.jsonrows import Read, json_rows, read_together, rows_of
from fieldapp.localtime import day_bounds
from fieldapp.public.models import ServiceRequest
from fieldapp.sops.models import SopStep
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import StepResult, Visit

# An in-progress visit older than this is a visit someone forgot to finish, not where they are.
ON_SITE_WINDOW = timedelta(hours=24)
# Visits are found through the (tech, started_at) index; none lasts longer than this.
LONGEST_VISIT = timedelta(days=1)


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
    overdue_pms: int = 0


def dashboard(now: datetime, zone: ZoneInfo, *, feed: bool = True) -> Dashboard:
    """Everything the office dashboard shows: its cards, counts and lists in one statement,
    and the activity feed (not in the live parts: feed=False) in one more."""
    today = now.astimezone(zone).date()
    start, end = day_bounds(today, zone)
    cards, unassigned, requests, stock, failed, overdue = read_together(
        tech_cards_read(now, start, end),
        unassigned_read(),
        new_requests_read(),
        stock_alerts_read(),
        failed_steps_read(start, end),
        overdue_pm_count_read(today),
    )
    (open_total, unassigned_total, unassigned_jobs), (new, requests_total) = unassigned, requests
    events = latest_events(FEED_SIZE) if feed else []
    return Dashboard(
        now=now,
        today=today,
        techs=cards,
        open_jobs=open_total,
        unassigned=unassigned_jobs,
        unassigned_total=unassigned_total,
        requests=new,
        requests_total=requests_total,
        stock=stock[0],
        stock_total=stock[1],
        stock_negative=stock[2],
        failed_steps=failed,
        events=events,
        latest_event_id=events[0].id if events else 0,
        overdue_pms=overdue,
    )


# The dashboard's reads (for read_together). What they find is in no session: each row
# carries what the dashboard shows of it (a plotter: its make, model and customer's name).

_ACTIVE_TECHS = sa.select(User.id).where(User.role == "tech", User.active)


def _plotter_columns(query: sa.Select, equipment_id) -> sa.Select:
    """The query with the plotter's make and model and its customer's name."""
    plotter = aliased(Equipment)
    owner = aliased(Customer)
    return (
        query.join(plotter, plotter.id == equipment_id)
        .outerjoin(owner, owner.id == plotter.customer_id)
        .add_columns(
            plotter.make.label("plotter_make"),
            plotter.model.label("plotter_model"),
            owner.name.label("plotter_customer"),
        )
    )


def _plotter_of(row: dict, equipment_id: int | None) -> Equipment | None:
    """The plotter (in no session) _plotter_columns put in the row, taking its keys out."""
    make, model = row.pop("plotter_make"), row.pop("plotter_model")
    customer_name = row.pop("plotter_customer")
    if equipment_id is None:
        return None
    plotter = Equipment(id=equipment_id, make=make, model=model)
    plotter.customer = Customer(name=customer_name)
    return plotter


def tech_cards_read(now: datetime, start: datetime, end: datetime) -> Read:
    """Per active tech: visits finished today, open jobs, last sync, where they are, what's
    next (a read for read_together)."""

    def answer(techs, on_site, next_jobs) -> list[TechCard]:
        cards = []
        for row in rows_of(techs, User, last_sync=SyncOp.received_at.type):
            facts = row.pop("visits_today") or 0, row.pop("jobs_left") or 0, row.pop("last_sync")
            cards.append(TechCard(User(**row), *facts))
        by_id = {card.tech.id: card for card in cards}
        for row in rows_of(on_site, Visit):
            plotter = _plotter_of(row, row["equipment_id"])
            visit = Visit(**row)
            visit.equipment = plotter
            if visit.job_id is not None:
                visit.job = Job(id=visit.job_id)
            by_id[visit.tech_id].on_site = visit  # the latest one wins
        for row in rows_of(next_jobs, Job):
            customer = Customer(id=row["customer_id"], name=row.pop("customer_name"))
            job = Job(**row)
            job.customer = customer
            by_id[job.assigned_to_id].next_job = job
        return cards

    return Read(
        _tech_card_columns(),
        answer,
        {
            "day_start": start,
            "day_end": end,
            "visits_from": start - LONGEST_VISIT,
            "on_site_since": now - ON_SITE_WINDOW,
        },
    )


@functools.cache
def _tech_card_columns() -> tuple:
    start, end = sa.bindparam("day_start"), sa.bindparam("day_end")
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
            Visit.started_at >= sa.bindparam("visits_from"),
            Visit.finished_at >= start,
            Visit.finished_at < end,
        )
        .correlate(User)
        .scalar_subquery()
    )
    techs = sa.select(
        User.id,
        User.name,
        User.role,
        User.active,
        visits_today.label("visits_today"),
        jobs_left.label("jobs_left"),
        last_sync.label("last_sync"),
    ).where(User.role == "tech", User.active)
    on_site = _plotter_columns(
        sa.select(Visit).where(
            Visit.tech_id.in_(_ACTIVE_TECHS),
            Visit.status == "in_progress",
            Visit.started_at >= sa.bindparam("on_site_since"),
        ),
        Visit.equipment_id,
    )
    ranked = (
        sa.select(
            Job.id,
            sa.func.row_number()
            .over(partition_by=Job.assigned_to_id, order_by=(Job.scheduled_for, Job.id))
            .label("rank"),
        )
        .where(
            Job.assigned_to_id.in_(_ACTIVE_TECHS),
            Job.status == "scheduled",
            Job.scheduled_for >= start,
        )
        .subquery()
    )
    next_jobs = (
        sa.select(Job, Customer.name.label("customer_name"))
        .join(ranked, ranked.c.id == Job.id)
        .join(Customer, Customer.id == Job.customer_id)
        .where(ranked.c.rank == 1)
    )
    return (
        json_rows(techs, User.name),
        json_rows(on_site, Visit.started_at),
        json_rows(next_jobs),
    )


def unassigned_read(limit: int = 8) -> Read:
    """Open jobs, those without an active tech (a leaver's stranded job counts too), and the
    first of these, most urgent and oldest first (a read for read_together)."""

    def answer(total, unassigned, rows) -> tuple[int, int, list[Job]]:
        return total or 0, unassigned or 0, jobs_with_parties_from(rows)

    return Read(_unassigned_columns(limit), answer)


@functools.cache
def _unassigned_columns(limit: int) -> tuple:
    is_open = Job.status.in_(OPEN_STATUSES)
    order = (PRIORITY_RANK, Job.created_at, Job.id)
    first = sa.select(Job).where(is_open, without_active_tech()).order_by(*order).limit(limit)
    return (
        sa.select(sa.func.count()).select_from(Job).where(is_open).scalar_subquery(),
        sa.select(sa.func.count())
        .select_from(Job)
        .where(is_open, without_active_tech())
        .scalar_subquery(),
        jobs_with_parties(first, *order),
    )


def new_requests_read(limit: int = 6) -> Read:
    """The newest service requests not handled yet, with how many there are (a read for
    read_together)."""

    def answer(rows, total) -> tuple[list[ServiceRequest], int]:
        found = []
        for row in rows_of(rows, ServiceRequest):
            plotter = _plotter_of(row, row["equipment_id"])
            request = ServiceRequest(**row)
            request.equipment = plotter
            found.append(request)
        return found, total or 0

    return Read(_new_request_columns(limit), answer)


@functools.cache
def _new_request_columns(limit: int) -> tuple:
    new = ServiceRequest.status == "new"
    order = (ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
    listed = _plotter_columns(sa.select(ServiceRequest).where(new), ServiceRequest.equipment_id)
    return (
        json_rows(listed.order_by(*order).limit(limit), *order),
        sa.select(sa.func.count()).select_from(ServiceRequest).where(new).scalar_subquery(),
    )


def failed_steps_read(start: datetime, end: datetime, limit: int = 20) -> Read:
    """SOP steps marked failed in the period, newest first, with the visit and the tech (a
    read for read_together)."""

    def answer(rows) -> list[FailedStep]:
        found = []
        for row in rows_of(rows, StepResult):
            title, tech_name = row.pop("title"), row.pop("tech_name")
            equipment_id = row.pop("visit_equipment_id")
            visit = Visit(id=row["visit_id"], equipment_id=equipment_id)
            visit.equipment = _plotter_of(row, equipment_id)
            result = StepResult(**row)
            found.append(FailedStep(result, title, visit, User(id=result.by_id, name=tech_name)))
        return found

    return Read(
        _failed_step_columns(limit),
        answer,
        {"day_start": start, "day_end": end, "visits_from": start - LONGEST_VISIT},
    )


@functools.cache
def _failed_step_columns(limit: int) -> tuple:
    order = (StepResult.at.desc(), StepResult.id.desc())
    listed = _plotter_columns(
        sa.select(
            StepResult,
            SopStep.title,
            User.name.label("tech_name"),
            Visit.equipment_id.label("visit_equipment_id"),
        )
        .join(Visit, Visit.id == StepResult.visit_id)
        .join(SopStep, SopStep.id == StepResult.step_id)
        .join(User, User.id == StepResult.by_id)
        .where(
            StepResult.status == "fail",
            StepResult.at >= sa.bindparam("day_start"),
            StepResult.at < sa.bindparam("day_end"),
            Visit.started_at >= sa.bindparam("visits_from"),
        ),
        Visit.equipment_id,
    )
    return (json_rows(listed.order_by(*order).limit(limit), *order),)


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
                -sa.func.sum(
                    sa.cast(StockMovement.quantity, sa.BigInteger) * StockMovement.unit_cost_cents
                ),
            )
            .join(Part, Part.id == StockMovement.part_id)
            .where(StockMovement.visit_id.in_(ids), used_on_visits())
            .group_by(StockMovement.visit_id, Part.sku, Part.name)
            .having(sa.func.sum(StockMovement.quantity) != 0)
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
