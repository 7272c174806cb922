"""What the office reads: the dashboard and a tech's day.

Each function runs a fixed number of queries whatever the size of the business (the tests
count them), and eager-loads what its page shows so templates never query per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.models import ActivityEvent
from fieldapp.activity.queries import FEED_SIZE, latest_events
from fieldapp.auth.models import User
from fieldapp.contracts.queries import overdue_pm_count
from fieldapp.equipment.queries import with_plotter
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    StockMovement,
    used_on_visits,
)
from fieldapp.inventory.queries import StockAlert, stock_alerts
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.queries import PRIORITY_RANK, without_active_tech
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
        overdue_pms=overdue_pm_count(today),
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
    """Open jobs, and those without an active tech (a leaver's stranded job counts too)."""
    total, unassigned = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((without_active_tech(), 1), else_=0))).where(
            Job.status.in_(OPEN_STATUSES)
        )
    ).one()
    return total, unassigned or 0


def unassigned_jobs(limit: int = 8) -> list[Job]:
    """Open jobs no active tech is sent to, most urgent and oldest first."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.status.in_(OPEN_STATUSES), without_active_tech())
            .options(
                joinedload(Job.customer), with_plotter(Job.equipment), joinedload(Job.assigned_to)
            )
            .order_by(PRIORITY_RANK, Job.created_at, Job.id)
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
