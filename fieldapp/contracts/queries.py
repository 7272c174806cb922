"""Reading contracts and plans: what covers a plotter, the contracts list, the PM forecast
and the overdue PMs. Each runs a fixed number of queries whatever the number of plotters."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from fieldapp.auth.models import User
from fieldapp.contracts.models import Contract, PmPlan, contract_plotters
from fieldapp.contracts.planner import live_plans_query, usual_techs
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jsonrows import Read, instances, json_rows, read_together, rows_of
from fieldapp.wire import INT32_MAX


def contract_covering(equipment_id: int, day: date) -> Contract | None:
    """The active contract that covers the plotter on that day (the latest to start)."""
    return db.session.scalar(_covering(equipment_id, day).order_by(*_LATEST_START))


_LATEST_START = (Contract.starts_on.desc(), Contract.id.desc())


def _covering(equipment_id, day) -> sa.Select:
    """The active contract covering the plotter on that day (one row: the caller orders)."""
    return (
        sa.select(Contract)
        .join(contract_plotters, contract_plotters.c.contract_id == Contract.id)
        .where(
            contract_plotters.c.equipment_id == equipment_id,
            Contract.state == "active",
            Contract.starts_on <= day,
            Contract.ends_on >= day,
        )
        .limit(1)
    )


@dataclass
class Coverage:
    """What the plotter page and the job show: the contract in force (or none) and the
    plotter's PM plans."""

    contract: Contract | None
    plans: list[PmPlan]


def coverage_of(equipment_id: int, day: date) -> Coverage:
    plans = list(
        db.session.scalars(
            sa.select(PmPlan)
            .where(PmPlan.equipment_id == equipment_id, PmPlan.active)
            .options(joinedload(PmPlan.contract), joinedload(PmPlan.sop))
            .order_by(PmPlan.due_on.is_(None), PmPlan.due_on, PmPlan.id)
        )
    )
    live = [
        plan
        for plan in plans
        if plan.contract is None or plan.contract.state in ("active", "draft")
    ]
    return Coverage(contract_covering(equipment_id, day), live)


def coverage_read(equipment: Equipment, day: date) -> Read:
    """coverage_of as a read that travels with the page's others (read_together): the plans
    with their contract's number and state, and the contract in force."""

    def answer(plan_rows, contract_rows) -> Coverage:
        live = []
        for row in rows_of(plan_rows, PmPlan, state=Contract.state.type):
            number, state = row.pop("contract_number"), row.pop("state")
            plan = PmPlan(**row)
            plan.equipment = equipment
            if plan.contract_id is not None:
                plan.contract = Contract(id=plan.contract_id, number=number, state=state)
            if plan.contract is None or state in ("active", "draft"):
                live.append(plan)
        contracts = instances(Contract, rows_of(contract_rows, Contract))
        return Coverage(contracts[0] if contracts else None, live)

    return Read(_coverage_columns(), answer, {"equipment_id": equipment.id, "day": day})


@functools.cache
def _coverage_columns() -> tuple:
    equipment_id, day = sa.bindparam("equipment_id"), sa.bindparam("day")
    plans = (
        sa.select(PmPlan, Contract.number.label("contract_number"), Contract.state)
        .outerjoin(Contract, Contract.id == PmPlan.contract_id)
        .where(PmPlan.equipment_id == equipment_id, PmPlan.active)
    )
    return (
        json_rows(plans, PmPlan.due_on.is_(None), PmPlan.due_on, PmPlan.id),
        json_rows(_covering(equipment_id, day), *_LATEST_START),
    )


def find_plan(plan_id: int) -> PmPlan | None:
    """The plan with this id; a number beyond the id column's range names none."""
    return db.session.get(PmPlan, plan_id) if 0 < plan_id <= INT32_MAX else None


def find_contracts(
    *,
    customer: int | None = None,
    state: str | None = None,
    expiring_before: date | None = None,
    limit: int | None = None,
) -> list[Contract]:
    """Contracts, soonest to end first, with their customer, plotters and plans loaded."""
    query = sa.select(Contract).options(
        joinedload(Contract.customer),
        selectinload(Contract.plotters),
        joinedload(Contract.renewal_of),
    )
    if customer is not None:
        query = query.where(Contract.customer_id == customer)
    if state is not None:
        query = query.where(Contract.state == state)
    if expiring_before is not None:
        query = query.where(Contract.ends_on < expiring_before)
    query = query.order_by(Contract.ends_on, Contract.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def plans_by_contract(contract_ids: list[int]) -> dict[int, list[PmPlan]]:
    found: dict[int, list[PmPlan]] = defaultdict(list)
    if contract_ids:
        for plan in db.session.scalars(
            sa.select(PmPlan)
            .where(PmPlan.contract_id.in_(contract_ids))
            .options(joinedload(PmPlan.equipment), joinedload(PmPlan.sop))
            .order_by(PmPlan.id)
        ):
            found[plan.contract_id].append(plan)
    return found


def contract_with_details(contract_id: int) -> Contract | None:
    """The contract with its customer and plotters; a number beyond the id column's range
    names none (PostgreSQL would refuse to compare it)."""
    if not 0 < contract_id <= INT32_MAX:
        return None
    return db.session.scalar(
        sa.select(Contract)
        .where(Contract.id == contract_id)
        .options(joinedload(Contract.customer), selectinload(Contract.plotters))
    )


def renewal_of(contract: Contract) -> Contract | None:
    """The contract that renews this one, if any."""
    return db.session.scalar(sa.select(Contract).where(Contract.renewal_of_id == contract.id))


# -- the PM forecast ----------------------------------------------------------------------


@dataclass
class ForecastRow:
    plan: PmPlan
    job: Job | None
    tech: User | None

    @property
    def plotter(self) -> Equipment:
        return self.plan.equipment


@dataclass
class ForecastWeek:
    monday: date
    rows: list[ForecastRow]


@dataclass
class Forecast:
    today: date
    days: int
    overdue: list[ForecastRow]
    weeks: list[ForecastWeek]
    per_tech: list[tuple[str, list[int]]]  # (tech or "Unassigned", PMs per week)
    unknown: int  # meter plans whose due day the readings cannot tell yet

    @property
    def rows(self) -> list[ForecastRow]:
        return self.overdue + [row for week in self.weeks for row in week.rows]


def _begun(today: date):
    """A plan without a contract, or on one whose term has begun: a renewal's copies of the
    plans wait for its first day (until then the contract it renews has them)."""
    return sa.or_(PmPlan.contract_id.is_(None), Contract.starts_on <= today)


def forecast(today: date, days: int = 90) -> Forecast:
    """Live plans due within days (and those overdue), each with its open PM job and the
    tech it is (or would be) with, by week; a fixed number of queries."""
    until = today + timedelta(days=days)
    plans = list(
        db.session.scalars(
            live_plans_query()
            .where(PmPlan.due_on <= until, _begun(today))
            .options(joinedload(PmPlan.equipment), joinedload(PmPlan.contract))
            .order_by(PmPlan.due_on, PmPlan.id)
        ).unique()
    )
    plans = [plan for plan in plans if plan.contract is None or plan.contract.ends_on >= today]
    unknown = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            live_plans_query().where(PmPlan.due_on.is_(None), _begun(today)).subquery()
        )
    )
    jobs = (
        {
            job.pm_plan_id: job
            for job in db.session.scalars(
                sa.select(Job)
                .where(
                    Job.pm_plan_id.in_([plan.id for plan in plans]),
                    Job.status.in_(OPEN_STATUSES),
                )
                .options(joinedload(Job.assigned_to))
            )
        }
        if plans
        else {}
    )
    waiting = [plan.equipment_id for plan in plans if plan.id not in jobs]
    usual = usual_techs(waiting, today)
    people = (
        {
            user.id: user
            for user in db.session.scalars(sa.select(User).where(User.id.in_(usual.values())))
        }
        if usual
        else {}
    )
    rows = []
    for plan in plans:
        job = jobs.get(plan.id)
        if job is not None:
            tech = job.assigned_to
        else:
            tech = people.get(usual.get(plan.equipment_id)) if plan.assign_usual_tech else None
        rows.append(ForecastRow(plan, job, tech))
    overdue = [row for row in rows if row.plan.due_on < today]
    monday = today - timedelta(days=today.weekday())
    weeks: list[ForecastWeek] = []
    start = monday
    while start <= until:
        weeks.append(ForecastWeek(start, []))
        start += timedelta(days=7)
    for row in rows:
        if row.plan.due_on >= today:
            weeks[(row.plan.due_on - monday).days // 7].rows.append(row)
    names = sorted({row.tech.name for row in rows if row.tech}) + ["Unassigned"]
    per_tech = []
    for name in names:
        counts = [
            sum(1 for row in week.rows if (row.tech.name if row.tech else "Unassigned") == name)
            for week in weeks
        ]
        if any(counts):
            per_tech.append((name, counts))
    return Forecast(today, days, overdue, weeks, per_tech, unknown or 0)


@dataclass
class OverduePms:
    total: int
    first: list[PmPlan]


def overdue_pm_count(today: date) -> int:
    """How many live plans are past their due day (one query)."""
    return read_together(overdue_pm_count_read(today))[0]


def overdue_pm_count_read(today: date) -> Read:
    """overdue_pm_count as a read that travels with the page's others (read_together)."""
    return Read(_overdue_pm_columns(), lambda total: total or 0, {"overdue_day": today})


@functools.cache
def _overdue_pm_columns() -> tuple:
    today = sa.bindparam("overdue_day", type_=sa.Date())
    late = live_plans_query().where(PmPlan.due_on < today, _begun(today))
    return (sa.select(sa.func.count()).select_from(late.subquery()).scalar_subquery(),)


def overdue_pms(today: date, limit: int = 5) -> OverduePms:
    """Live plans past their due day, most overdue first (two queries)."""
    late = live_plans_query().where(PmPlan.due_on < today, _begun(today))
    total = overdue_pm_count(today)
    first = (
        list(
            db.session.scalars(
                late.options(joinedload(PmPlan.equipment))
                .order_by(PmPlan.due_on, PmPlan.id)
                .limit(limit)
            ).unique()
        )
        if total
        else []
    )
    return OverduePms(total or 0, first)
