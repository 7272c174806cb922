"""The planner makes each PM job ahead of time, once; a done PM resets its plan; an ended
contract or a retired plotter makes none."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldapp.contracts.models import PmPlan
from fieldapp.contracts.planner import run_planner
from fieldapp.contracts.projection import add_months
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.localtime import company_zone, local_today
from fieldapp.unit_of_work import unit_of_work
from tests.contracts.helpers import contract_for, finish_pm, noon, plan_for, readings
from tests.factories import make_customer, make_equipment, make_user, make_visit


def plan_jobs(plan_id: int) -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.pm_plan_id == plan_id)))


def planner(day: date):
    with unit_of_work():
        return run_planner(day)


@pytest.fixture
def today(app):
    return local_today(company_zone())


def test_a_three_month_plan_makes_its_job_14_days_ahead_once(app, today):
    customer = make_customer()
    plotter = make_equipment(customer)
    contract = contract_for(
        customer, [plotter], starts_on=today, ends_on=today + timedelta(days=365)
    )
    (plan,) = plan_for([plotter], contract=contract, starts_on=today, every_months=3)
    due = add_months(today, 3)
    assert plan.due_on == due and plan.due_by == "date"

    assert planner(due - timedelta(days=15)).made == []
    assert plan_jobs(plan.id) == []
    made = planner(due - timedelta(days=14)).made
    assert len(made) == 1
    for day in (due - timedelta(days=14), due - timedelta(days=3), due, due + timedelta(days=9)):
        assert planner(day).made == []
    (job,) = plan_jobs(plan.id)
    assert (job.kind, job.source, job.status, job.pm_due_on) == (
        "preventive",
        "preventive",
        "new",
        due,
    )
    assert job.equipment_id == plotter.id and job.contract_id == contract.id


def test_the_job_goes_to_the_plotters_usual_tech_with_the_pm_sop(app, today):
    from tests.factories import make_sop

    sop = make_sop("pm-hp", "preventive").sop
    plotter = make_equipment()
    sam, other = make_user("tech", name="Sam Usual"), make_user("tech")
    for days in (200, 100, 30):
        make_visit(plotter, sam, started_at=noon(today - timedelta(days=days)))
    make_visit(plotter, other, started_at=noon(today - timedelta(days=10)))
    (plan,) = plan_for([plotter], starts_on=today, every_months=1, sop_id=sop.id)
    (job,) = planner(plan.due_on).made
    assert job.assigned_to_id == sam.id and job.sop_id == sop.id

    # Sam knows this one too, but its plan leaves the job to the office.
    second = make_equipment()
    make_visit(second, sam, started_at=noon(today - timedelta(days=30)))
    (office_plan,) = plan_for([second], starts_on=today, every_months=2, assign_usual_tech=False)
    (job,) = planner(office_plan.due_on).made
    assert job.equipment_id == second.id and job.assigned_to_id is None


def test_a_plotter_gets_one_pm_job_at_a_time(app, today):
    """Two plans on one plotter: while one's PM job is open the other waits, then comes."""
    plotter = make_equipment()
    (monthly,) = plan_for([plotter], starts_on=today - timedelta(days=40), every_months=1)
    (yearly,) = plan_for([plotter], starts_on=today - timedelta(days=400), every_months=12)
    (first,) = planner(today).made
    assert planner(today).made == []
    with unit_of_work():
        db.session.get(Job, first.id).status = "cancelled"
    (second,) = planner(today).made
    assert {first.pm_plan_id, second.pm_plan_id} == {monthly.id, yearly.id}


def test_a_meter_plan_projects_its_day_from_the_trend_and_makes_the_job_in_the_lead_time(
    app, today
):
    plotter = make_equipment(meter_unit="sq_ft")
    first = today - timedelta(days=10)
    readings(plotter, first, [100_000])
    (plan,) = plan_for([plotter], starts_on=first, every_meter=50_000, lead_days=14)
    assert plan.base_meter == 100_000 and plan.threshold == 150_000
    readings(plotter, first + timedelta(days=1), [101_000 + 1_000 * n for n in range(10)])

    planner(today - timedelta(days=5))  # any day: the projection is from the readings
    db.session.refresh(plan)
    # 110,000 on the 10th day; 40,000 to go at 1,000 a day: day 50.
    assert plan.due_by == "meter"
    assert plan.due_on == first + timedelta(days=50)
    assert plan.meter_per_day == pytest.approx(1_000)
    assert plan.projected_meter == 150_000
    assert planner(plan.due_on - timedelta(days=15)).made == []
    (job,) = planner(plan.due_on - timedelta(days=14)).made
    assert "150,000 sq ft" in job.problem


def test_whichever_comes_first(app, today):
    plotter = make_equipment(meter_unit="prints")
    readings(plotter, today - timedelta(days=4), [0, 10, 20, 30, 40])
    (plan,) = plan_for(
        [plotter], starts_on=today - timedelta(days=4), every_months=1, every_meter=1_000_000
    )
    assert plan.due_by == "date" and plan.due_on == add_months(today - timedelta(days=4), 1)


def test_a_done_pm_visit_resets_the_plan(app, today):
    plotter = make_equipment(meter_unit="sq_ft")
    tech = make_user("tech")
    (plan,) = plan_for([plotter], starts_on=today - timedelta(days=100), every_months=3)
    (job,) = planner(today).made  # overdue: due 3 months after the start
    finish_pm(plotter, job, tech, "PM kit: cleaned encoder strip, new cutter", 250_000)
    db.session.refresh(plan)
    db.session.refresh(job)
    assert job.status == "done"
    assert plan.last_done_on == today and plan.base_meter == 250_000
    assert plan.due_on == add_months(today, 3)
    assert planner(today + timedelta(days=30)).made == []
    assert len(planner(add_months(today, 3) - timedelta(days=14)).made) == 1


def test_an_ended_contract_or_a_retired_plotter_makes_no_job(app, today):
    customer = make_customer()
    ended_on, retired = make_equipment(customer), make_equipment(customer)
    contract = contract_for(
        customer,
        [ended_on, retired],
        starts_on=today - timedelta(days=200),
        ends_on=today - timedelta(days=1),
    )
    plan_for([ended_on], contract=contract, starts_on=today - timedelta(days=200), every_months=1)
    (loose,) = plan_for([retired], starts_on=today - timedelta(days=200), every_months=1)
    with unit_of_work():
        db.session.get(type(retired), retired.id).status = "retired"
    run = planner(today)
    assert run.made == [] and [one.number for one in run.expired] == [contract.number]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    db.session.refresh(contract)
    assert contract.state == "expired"


def test_the_database_refuses_a_second_open_job_for_a_plan(app, today):
    plotter = make_equipment()
    (plan,) = plan_for([plotter], starts_on=today - timedelta(days=40), every_months=1)
    (job,) = planner(today).made
    second = Job(
        customer_id=plotter.customer_id,
        equipment_id=plotter.id,
        problem="PM again",
        pm_plan_id=plan.id,
        pm_due_on=today,
    )
    db.session.add(second)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(PmPlan, plan.id) is not None
