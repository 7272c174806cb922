"""The edges a review found: the plan form's "in use" box, a renewal's copied plans, days
out of range, odd contract numbers, a plan switched back on off its contract, and a
contract whose term has not begun."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fieldapp.contracts.earnings import contract_earnings
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.planner import run_planner
from fieldapp.contracts.projection import add_months
from fieldapp.contracts.queries import forecast, overdue_pm_count
from fieldapp.contracts.services import add_a_year, change_state, next_number, renew_contract
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.localtime import company_zone, local_today
from fieldapp.unit_of_work import unit_of_work
from tests.contracts.helpers import contract_for, finish_pm, plan_for, readings
from tests.factories import make_customer, make_equipment, make_user


@pytest.fixture
def today(app):
    return local_today(company_zone())


def planner(day):
    with unit_of_work():
        return run_planner(day)


def _plan_form(plan, **changes):
    form = {
        "every_months": str(plan.every_months or ""),
        "every_meter": str(plan.every_meter or ""),
        "lead_days": str(plan.lead_days),
        "starts_on": plan.starts_on.isoformat(),
        "sop_id": "",
        "assign_usual_tech": "1",
    }
    form.update(changes)
    return form


def test_the_plan_form_keeps_a_plan_in_use_and_the_unticked_box_stops_it(client, auth, today):
    """The form sends a hidden active=0 before the ticked box's active=1, as a browser does."""
    auth.login("office")
    (plan,) = plan_for([make_equipment()], starts_on=today, every_months=3)
    url = f"/pm/plans/{plan.id}/edit"
    ticked = _plan_form(plan, every_months="4") | {"active": ["0", "1"]}
    assert client.post(url, data=ticked).status_code == 302
    db.session.refresh(plan)
    assert plan.active and plan.every_months == 4
    unticked = _plan_form(plan) | {"active": "0"}
    assert client.post(url, data=unticked).status_code == 302
    db.session.refresh(plan)
    assert not plan.active


def test_a_renewals_copied_plan_makes_no_second_pm_job_and_is_reset_by_the_pm(app, today):
    customer = make_customer()
    plotter = make_equipment(customer)
    old = contract_for(
        customer,
        [plotter],
        starts_on=today - timedelta(days=355),
        ends_on=today + timedelta(days=10),
        number="SC-OLD",
    )
    (plan,) = plan_for(
        [plotter], contract=old, starts_on=today - timedelta(days=100), every_months=3
    )
    (job,) = planner(today).made
    with unit_of_work():
        renewal = renew_contract(old, actor_id=None, today=today)
        renewal.state = "active"
    copy = db.session.scalar(sa.select(PmPlan).where(PmPlan.contract_id == renewal.id))
    assert copy is not None and copy.id != plan.id
    # Until the renewal begins the plotter is on the forecast and overdue once, not twice.
    ahead = forecast(today, 90)
    assert [row.plan.id for row in ahead.overdue] == [plan.id]
    assert overdue_pm_count(today) == 1 and ahead.unknown == 0  # the copy is not "unknown"
    # The renewal's term begins: its copy is due as well, but the plotter's PM job is open.
    assert planner(renewal.starts_on).made == []
    finish_pm(plotter, job, make_user("tech"), "PM kit fitted, carriage rod cleaned")
    db.session.refresh(copy)
    assert copy.last_done_on == today and copy.due_on == add_months(today, 3)
    assert planner(renewal.starts_on).made == []
    open_jobs = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Job)
        .where(Job.equipment_id == plotter.id, Job.status.in_(OPEN_STATUSES))
    )
    assert open_jobs == 0


@pytest.mark.parametrize(
    ("url", "sent", "field"),
    [
        ("/api/v1/pm/plans", {"every_months": 1, "starts_on": "9999-12-01"}, "starts_on"),
        ("/api/v1/pm/plans", {"every_months": 1, "starts_on": "0001-01-01"}, "starts_on"),
        ("/api/v1/contracts", {"ends_on": "9999-12-31"}, "ends_on"),
        ("/api/v1/contracts", {"starts_on": "0001-01-01"}, "starts_on"),
    ],
)
def test_days_beyond_2000_to_2099_are_a_422(client, auth, today, url, sent, field):
    auth.login("office")
    customer = make_customer()
    plotter = make_equipment(customer)
    body = {"plotter_ids": [plotter.id], **sent}
    if url == "/api/v1/contracts":
        body = {
            "number": "SC-X-1",
            "customer_id": customer.id,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=364)).isoformat(),
            "price_cents_per_year": 100_000,
            **body,
        }
    response = client.post(url, json=body)
    assert response.status_code == 422, response.json
    assert "2000 and 2099" in response.json["error"]["fields"][field][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PmPlan)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 0


def test_a_renewal_past_2099_is_refused(app):
    customer = make_customer()
    last = contract_for(
        customer,
        [make_equipment(customer)],
        starts_on=local_today(company_zone()).replace(year=2099, month=1, day=1),
        ends_on=local_today(company_zone()).replace(year=2099, month=12, day=31),
    )
    with pytest.raises(Invalid) as refused, unit_of_work():
        renew_contract(last, actor_id=None, today=last.starts_on)
    assert "ends_on" in refused.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 1


def test_the_next_number_ignores_numbers_not_in_the_suggested_shape(client, auth, today):
    customer = make_customer()
    for number in (f"SC-{today.year}-007", f"SC-{today.year}-²", f"SC-{today.year}-" + "9" * 20):
        contract_for(
            customer,
            [],
            starts_on=today,
            ends_on=today + timedelta(days=30),
            number=number,
        )
    assert next_number(today) == f"SC-{today.year}-008"
    auth.login("office")
    assert client.get(f"/contracts/new?customer={customer.id}").status_code == 200


def test_a_plan_is_not_switched_back_on_for_a_plotter_its_contract_dropped(client, auth, today):
    auth.login("office")
    customer = make_customer()
    kept, dropped = make_equipment(customer), make_equipment(customer)
    contract = contract_for(
        customer, [kept, dropped], starts_on=today, ends_on=today + timedelta(days=364)
    )
    plan_for([kept, dropped], contract=contract, starts_on=today, every_months=3)
    body = {
        "number": contract.number,
        "customer_id": customer.id,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=364)).isoformat(),
        "price_cents_per_year": 240_000,
        "state": "active",
        "plotter_ids": [kept.id],
    }
    assert client.put(f"/api/v1/contracts/{contract.id}", json=body).status_code == 200
    stopped = db.session.scalar(sa.select(PmPlan).where(PmPlan.equipment_id == dropped.id))
    assert not stopped.active
    again = client.put(f"/api/v1/pm/plans/{stopped.id}", json={"every_months": 3, "active": True})
    assert again.status_code == 422 and "active" in again.json["error"]["fields"]
    db.session.refresh(stopped)
    assert not stopped.active


def test_a_contract_not_begun_has_earned_nothing(client, auth, today):
    auth.login("office")
    customer = make_customer()
    contract = contract_for(
        customer,
        [make_equipment(customer)],
        starts_on=today + timedelta(days=30),
        ends_on=today + timedelta(days=394),
        state="draft",
    )
    page = client.get(f"/contracts/{contract.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Until the term begins" in html and "Earned so far" not in html


def test_a_meter_plan_counts_from_the_meter_on_its_start_day_not_the_latest(app, today):
    """10,000 on the day the plan counts from and 40,000 now, every 30,000: due now by the
    meter (counting from the latest reading would wait for 70,000)."""
    plotter = make_equipment(meter_unit="sq_ft")
    start = today - timedelta(days=60)
    readings(plotter, start, [10_000])
    readings(plotter, today - timedelta(days=1), [40_000])
    (plan,) = plan_for([plotter], starts_on=start, every_months=6, every_meter=30_000)
    assert plan.base_meter == 10_000 and plan.threshold == 40_000
    assert plan.due_by == "meter" and plan.due_on <= today


@pytest.mark.parametrize(
    ("term", "renewed"),
    [
        (("2027-01-01", "2027-12-31"), ("2028-01-01", "2028-12-31")),  # into a leap year
        (("2027-03-01", "2028-02-29"), ("2028-03-01", "2029-02-28")),  # out of one
        (("2027-01-10", "2027-04-19"), ("2027-04-20", "2027-07-28")),  # not whole months: days
    ],
)
def test_a_renewal_runs_as_long_as_the_term_it_follows(app, term, renewed):
    customer = make_customer()
    starts, ends = (date.fromisoformat(day) for day in term)
    old = contract_for(customer, [make_equipment(customer)], starts_on=starts, ends_on=ends)
    with unit_of_work():
        renewal = renew_contract(old, actor_id=None, today=starts)
    assert (renewal.starts_on.isoformat(), renewal.ends_on.isoformat()) == renewed


def test_a_cancelled_contract_earns_only_the_days_it_covered(app, today):
    """Cancelled after 100 days: 100 days of its price; a draft cancelled: nothing."""
    customer = make_customer()
    start = today - timedelta(days=100)
    ran = contract_for(
        customer, [make_equipment(customer)], starts_on=start, ends_on=add_a_year(start)
    )
    never = contract_for(
        customer, [], starts_on=start, ends_on=add_a_year(start), number="SC-D-1", state="draft"
    )
    with unit_of_work():
        for contract in (ran, never):
            change_state(contract, "cancelled", actor_id=None, today=today)
    assert (ran.cancelled_on, never.cancelled_on) == (today, start)
    earned = {one.contract.id: one for one in contract_earnings(start, today, company_zone(), 6500)}
    assert earned[ran.id].days == 100
    assert earned[ran.id].revenue_cents == round(ran.price_cents_per_year * 100 / 365)
    assert never.id not in earned or earned[never.id].days == 0
