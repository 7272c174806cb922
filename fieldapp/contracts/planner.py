"""The planner: works out when each live PM plan falls due and makes its job ahead of time.

`flask pm plan` runs it (the worker runs it every day). It is idempotent: a job is made only
for a plan with no open job and none for the same due date, and the database holds both
rules (jobs' unique (pm_plan_id, pm_due_on) and the one-open-job-per-plan index), so two
planners racing make one job, never two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.projection import TREND_WINDOW, Reading, due
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.services import create_job
from fieldapp.localtime import company_zone, start_of
from fieldapp.visits.models import Visit

# The usual tech is the one with the most visits on the plotter over this long.
USUAL_TECH_WINDOW = timedelta(days=365)


def live_plan():
    """A condition on PmPlan (joined to its plotter, outer-joined to its contract): the plan
    is in use, the plotter in service and the contract, if any, active."""
    return sa.and_(
        PmPlan.active,
        Equipment.status == "active",
        sa.or_(PmPlan.contract_id.is_(None), Contract.state == "active"),
    )


def live_plans_query() -> sa.Select:
    return (
        sa.select(PmPlan)
        .join(Equipment, Equipment.id == PmPlan.equipment_id)
        .outerjoin(Contract, Contract.id == PmPlan.contract_id)
        .where(live_plan())
    )


def meter_readings_of(equipment_ids: Sequence[int]) -> dict[int, list[Reading]]:
    """Each plotter's readings, oldest first, as days in the company's zone (one query)."""
    found: dict[int, list[Reading]] = defaultdict(list)
    if not equipment_ids:
        return found
    zone = company_zone()
    for equipment_id, taken_at, value in db.session.execute(
        sa.select(MeterReading.equipment_id, MeterReading.taken_at, MeterReading.value)
        .where(MeterReading.equipment_id.in_(list(set(equipment_ids))))
        .order_by(MeterReading.equipment_id, MeterReading.taken_at)
    ):
        found[equipment_id].append(Reading(taken_at.astimezone(zone).date(), value))
    return found


def reading_on(readings: Sequence[Reading], day: date) -> int | None:
    """The meter as it stood on day: the last reading taken on or before it."""
    before = [one for one in readings if one.on <= day]
    return before[-1].value if before else None


def counted_from(plan: PmPlan) -> date:
    return plan.last_done_on or plan.starts_on


def refresh_due(plan: PmPlan, readings: Sequence[Reading]) -> None:
    """Work out the plan's due date from its interval and the plotter's readings (writes the
    plan only where something changed, so a daily run rewrites little)."""
    since = counted_from(plan)
    if plan.every_meter is not None and plan.base_meter is None:
        # No reading when the plan began: count from the first one taken since.
        first = next((reading for reading in readings if reading.on >= since), None)
        plan.base_meter = first.value if first else None
    found = due(
        counted_from=since,
        every_months=plan.every_months,
        every_meter=plan.every_meter,
        threshold=plan.threshold,
        readings=[reading for reading in readings if reading.on >= since - TREND_WINDOW],
    )
    values = {
        "due_on": found.on,
        "due_by": found.by,
        "meter_per_day": round(found.trend.per_day, 3)
        if found.trend and found.trend.per_day
        else None,
        "last_reading": found.trend.last.value if found.trend else None,
        "last_reading_on": found.trend.last.on if found.trend else None,
    }
    for name, value in values.items():
        if getattr(plan, name) != value:
            setattr(plan, name, value)


def usual_techs(equipment_ids: Sequence[int], today: date) -> dict[int, int]:
    """Per plotter, the active tech with the most visits on it in the last year (one query)."""
    if not equipment_ids:
        return {}
    since = start_of(today - USUAL_TECH_WINDOW, company_zone())
    counted = (
        sa.select(
            Visit.equipment_id,
            Visit.tech_id,
            sa.func.row_number()
            .over(
                partition_by=Visit.equipment_id,
                order_by=(sa.func.count().desc(), sa.func.max(Visit.started_at).desc()),
            )
            .label("rank"),
        )
        .join(User, User.id == Visit.tech_id)
        .where(
            Visit.equipment_id.in_(list(set(equipment_ids))),
            Visit.started_at >= since,
            User.active,
            User.role == "tech",
        )
        .group_by(Visit.equipment_id, Visit.tech_id)
        .subquery()
    )
    return dict(
        db.session.execute(
            sa.select(counted.c.equipment_id, counted.c.tech_id).where(counted.c.rank == 1)
        ).all()
    )


@dataclass
class PlanRun:
    checked: int = 0
    made: list[Job] = field(default_factory=list)
    expired: list[Contract] = field(default_factory=list)


def expire_contracts(today: date, actor_id: int | None = None) -> list[Contract]:
    """Active contracts whose term ended before today become expired (their plans stop)."""
    ended = list(
        db.session.scalars(
            sa.select(Contract).where(Contract.state == "active", Contract.ends_on < today)
        )
    )
    for contract in ended:
        contract.state = "expired"
        record_event(
            "contract.saved",
            "contract",
            contract.id,
            f"Contract {contract.number} expired on {contract.ends_on}",
            actor_id=actor_id,
        )
    return ended


def run_planner(today: date, *, actor_id: int | None = None) -> PlanRun:
    """Expire ended contracts, work out every live plan's due date, and make the PM job of
    each that falls due within its lead time and has none yet (flush only)."""
    run = PlanRun(expired=expire_contracts(today, actor_id))
    plans = list(
        db.session.scalars(
            live_plans_query().options(
                joinedload(PmPlan.equipment), joinedload(PmPlan.contract), joinedload(PmPlan.sop)
            )
        ).unique()
    )
    run.checked = len(plans)
    in_force = [plan for plan in plans if plan.contract is None or plan.contract.starts_on <= today]
    readings = meter_readings_of([plan.equipment_id for plan in in_force])
    for plan in in_force:
        refresh_due(plan, readings.get(plan.equipment_id, []))
    due_now = [
        plan
        for plan in in_force
        if plan.due_on is not None and plan.due_on - timedelta(days=plan.lead_days) <= today
    ]
    if not due_now:
        return run
    plan_ids = [plan.id for plan in due_now]
    taken = set(
        db.session.execute(
            sa.select(Job.pm_plan_id, Job.pm_due_on).where(Job.pm_plan_id.in_(plan_ids))
        ).all()
    )
    # One PM visit at a time on a plotter: while one plan's job is open, the plotter's other
    # plans (a renewal's copies of this contract's plans, say) wait for it to be done.
    busy = set(
        db.session.scalars(
            sa.select(Job.equipment_id).where(
                Job.equipment_id.in_([plan.equipment_id for plan in due_now]),
                Job.pm_plan_id.is_not(None),
                Job.status.in_(OPEN_STATUSES),
            )
        )
    )
    techs = usual_techs([plan.equipment_id for plan in due_now], today)
    for plan in due_now:
        if plan.equipment_id in busy or (plan.id, plan.due_on) in taken:
            continue
        run.made.append(make_pm_job(plan, techs.get(plan.equipment_id), actor_id))
        busy.add(plan.equipment_id)
    return run


def make_pm_job(plan: PmPlan, usual_tech_id: int | None, actor_id: int | None) -> Job:
    plotter = plan.equipment
    what = "by the meter" if plan.due_by == "meter" else "by the calendar"
    problem = (
        f"Preventive maintenance due {plan.due_on:%b %d, %Y} ({what}; plan {plan_text(plan)})."
    )
    if plan.due_by == "meter" and plan.threshold is not None:
        problem += f" Due at {plan.threshold:,} {plotter.meter_unit_label}."
    job = create_job(
        customer_id=plotter.customer_id,
        equipment_id=plotter.id,
        problem=problem,
        actor_id=actor_id,
        kind="preventive",
        source="preventive",
        assigned_to_id=usual_tech_id if plan.assign_usual_tech else None,
    )
    job.pm_plan_id, job.pm_due_on, job.sop_id = plan.id, plan.due_on, plan.sop_id
    job.contract_id = plan.contract_id
    db.session.flush()
    return job


def plan_text(plan: PmPlan) -> str:
    parts = []
    if plan.every_months:
        parts.append(f"every {plan.every_months} mo")
    if plan.every_meter:
        parts.append(f"every {plan.every_meter:,} {plan.equipment.meter_unit_label}".strip())
    return " or ".join(parts)


def reset_after_pm(visit: Visit) -> list[PmPlan]:
    """A PM visit done: the plan of its job, and its copy on the contract that renews this
    one (or, without a PM job, every plan on the plotter), counts again from the visit's day
    and meter reading."""
    job = visit.job
    condition = PmPlan.equipment_id == visit.equipment_id
    if job is not None and job.pm_plan_id is not None:
        renewals = sa.select(Contract.id).where(Contract.renewal_of_id == job.contract_id)
        condition = sa.or_(
            PmPlan.id == job.pm_plan_id,
            sa.and_(condition, PmPlan.contract_id.in_(renewals)),
        )
    plans = list(db.session.scalars(sa.select(PmPlan).where(condition, PmPlan.active)))
    if not plans:
        return plans
    done_on = (visit.finished_at or visit.started_at).astimezone(company_zone()).date()
    readings = meter_readings_of([visit.equipment_id]).get(visit.equipment_id, [])
    reading = visit.meter.value if visit.meter is not None else None
    if reading is None:
        reading = reading_on(readings, done_on)
    for plan in plans:
        plan.last_done_on, plan.last_done_visit_id = done_on, visit.id
        plan.base_meter = reading
        refresh_due(plan, readings)
    return plans


def refresh_plotter(equipment_id: int) -> None:
    """A new reading: the plotter's meter plans project again."""
    plans = list(
        db.session.scalars(
            sa.select(PmPlan).where(
                PmPlan.equipment_id == equipment_id,
                PmPlan.active,
                PmPlan.every_meter.is_not(None),
            )
        )
    )
    if plans:
        readings = meter_readings_of([equipment_id]).get(equipment_id, [])
        for plan in plans:
            refresh_due(plan, readings)
