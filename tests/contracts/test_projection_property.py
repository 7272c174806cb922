"""Over random series of meter readings: the projected day is never earlier than the last
reading below the threshold (the projection never goes back in time), and however the
planner is run, one plan never has two open PM jobs."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.contracts.planner import run_planner
from fieldapp.contracts.projection import Reading, current_run, meter_due
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.unit_of_work import unit_of_work
from tests.contracts.helpers import noon, plan_for
from tests.factories import make_equipment

START = date(2026, 1, 5)

series = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 2_000_000)), min_size=0, max_size=25
)


@given(series, st.integers(1, 3_000_000))
def test_the_projection_never_goes_back_in_time(points, threshold):
    readings = [Reading(START + timedelta(days=day), value) for day, value in points]
    day, _ = meter_due(readings, threshold)
    run = current_run(readings)
    below = [reading for reading in run if reading.value < threshold]
    if day is None:
        return
    reached = [reading for reading in run if reading.value >= threshold]
    if reached:
        # Due the day it was first read at or past the threshold, not before a lower reading.
        assert day == reached[0].on
    else:
        assert day > max(reading.on for reading in below)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.integers(0, 3_000), min_size=2, max_size=12),
    st.lists(
        st.tuples(st.integers(0, 200), st.sampled_from(["none", "done", "cancelled"])), max_size=8
    ),
)
def test_the_planner_never_makes_two_open_jobs_for_one_plan(app, rises, runs):
    plotter = make_equipment(meter_unit="sq_ft")
    value = 10_000
    with unit_of_work():
        for day, rise in enumerate(rises):
            value += rise
            db.session.add(
                MeterReading(
                    equipment_id=plotter.id, value=value, taken_at=noon(START + timedelta(days=day))
                )
            )
    (plan,) = plan_for([plotter], starts_on=START, every_months=2, every_meter=20_000, lead_days=10)
    for offset, then in sorted(runs):
        with unit_of_work():
            run_planner(START + timedelta(days=offset))
        if then != "none":
            with unit_of_work():
                for job in db.session.scalars(
                    sa.select(Job).where(Job.pm_plan_id == plan.id, Job.status.in_(OPEN_STATUSES))
                ):
                    job.status = then if then == "cancelled" else "done"
        open_jobs = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Job)
            .where(Job.pm_plan_id == plan.id, Job.status.in_(OPEN_STATUSES))
        )
        assert open_jobs <= 1
    due_dates = db.session.scalars(sa.select(Job.pm_due_on).where(Job.pm_plan_id == plan.id)).all()
    assert len(due_dates) == len(set(due_dates))
