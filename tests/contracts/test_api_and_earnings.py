"""The contracts API (422 with field messages for bad input, filters, the forecast), what a
contract earns, the response deadline of a covered plotter's job, and the pages' forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldapp.contracts.earnings import contract_earnings, model_costs
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.planner import run_planner
from fieldapp.extensions import db
from fieldapp.jobs.services import create_job
from fieldapp.localtime import company_zone, local_today
from fieldapp.unit_of_work import unit_of_work
from tests.contracts.helpers import contract_for, noon, plan_for
from tests.factories import (
    make_customer,
    make_equipment,
    make_location,
    make_part,
    make_user,
    make_visit,
)


@pytest.fixture
def today(app):
    return local_today(company_zone())


def body(customer, plotters, today, **changes):
    return {
        "number": "SC-2026-101",
        "customer_id": customer.id,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=364)).isoformat(),
        "price_cents_per_year": 480_000,
        "covers_parts": True,
        "response_hours": 8,
        "state": "active",
        "plotter_ids": [plotter.id for plotter in plotters],
        **changes,
    }


def test_a_contract_is_written_read_and_filtered_over_the_api(client, auth, today):
    auth.login("office")
    customer = make_customer()
    plotters = [make_equipment(customer, meter_unit="sq_ft"), make_equipment(customer)]
    made = client.post("/api/v1/contracts", json=body(customer, plotters, today))
    assert made.status_code == 201, made.json
    contract = made.json
    assert contract["state"] == "active"
    assert contract["covers"] == {"labour": True, "parts": True, "consumables": False}
    assert contract["plotter_tokens"] == [plotter.qr_token for plotter in plotters]

    plan = client.post(
        f"/api/v1/contracts/{contract['id']}/plans",
        json={"plotter_ids": [plotters[0].id], "every_months": 3, "every_meter": 50_000},
    )
    assert plan.status_code == 201, plan.json
    (planned,) = plan.json["plans"]
    assert planned["every_meter"] == 50_000 and planned["due_on"]

    changed = client.put(
        f"/api/v1/contracts/{contract['id']}",
        json=body(customer, plotters[:1], today, price_cents_per_year=500_000),
    )
    assert changed.status_code == 200 and changed.json["price_cents_per_year"] == 500_000
    assert changed.json["plotter_tokens"] == [plotters[0].qr_token]
    # An active contract cannot go back to draft: a 409 naming the field, as documented.
    back = client.put(
        f"/api/v1/contracts/{contract['id']}", json=body(customer, plotters, today, state="draft")
    )
    assert back.status_code == 409 and "state" in back.json["error"]["fields"]
    documented = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/contracts/{contract_id}"]
    assert "409" in documented["put"]["responses"]
    assert db.session.get(Contract, contract["id"]).state == "active"

    other = make_customer()
    contract_for(
        other,
        [make_equipment(other)],
        starts_on=today - timedelta(days=300),
        ends_on=today + timedelta(days=20),
        number="SC-SOON",
    )
    soon = client.get(
        f"/api/v1/contracts?expiring_before={(today + timedelta(days=30)).isoformat()}"
    )
    assert [one["number"] for one in soon.json["contracts"]] == ["SC-SOON"]
    mine = client.get(f"/api/v1/contracts?customer={customer.id}&state=active")
    assert [one["number"] for one in mine.json["contracts"]] == ["SC-2026-101"]
    assert client.get("/api/v1/contracts?state=signed").status_code == 422


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"price_cents_per_year": -1}, "price_cents_per_year"),
        ({"response_hours": 0}, "response_hours"),
        ({"number": ""}, "number"),
        ({"number": "N" * 31}, "number"),
    ],
)
def test_bad_contracts_are_a_422_naming_the_field(client, auth, today, changes, field):
    auth.login("office")
    customer = make_customer()
    response = client.post(
        "/api/v1/contracts", json=body(customer, [make_equipment(customer)], today, **changes)
    )
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 0


def test_bad_plans_are_a_422_naming_the_field(client, auth, today):
    auth.login("office")
    customer = make_customer()
    no_meter = make_equipment(customer)  # no meter unit
    other = make_equipment()
    contract = client.post("/api/v1/contracts", json=body(customer, [no_meter], today)).json
    url = f"/api/v1/contracts/{contract['id']}/plans"
    cases = [
        ({"plotter_ids": [no_meter.id], "every_months": 0}, "every_months"),
        ({"plotter_ids": [no_meter.id], "every_meter": 0}, "every_meter"),
        ({"plotter_ids": [no_meter.id]}, "every_months"),
        ({"plotter_ids": [no_meter.id], "every_meter": 50_000}, "every_meter"),
        ({"plotter_ids": [other.id], "every_months": 3}, "plotter_ids"),
        ({"plotter_ids": [], "every_months": 3}, "plotter_ids"),
        ({"plotter_ids": [no_meter.id], "every_months": 3, "lead_days": 91}, "lead_days"),
    ]
    for sent, field in cases:
        response = client.post(url, json=sent)
        assert response.status_code == 422, (sent, response.json)
        assert field in response.json["error"]["fields"], (sent, response.json)
    assert (
        "square feet or prints"
        in client.post(url, json=cases[3][0]).json["error"]["fields"]["every_meter"][0]
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PmPlan)) == 0


def test_a_number_beyond_the_id_range_names_no_contract_or_plan(client, auth):
    """A contract or plan id PostgreSQL's integer column cannot hold is a 404, never a 500
    (schemathesis found GET /api/v1/contracts/144115188075855871 answering 500)."""
    auth.login("office")
    huge = 2**57 - 1
    for method, url in [
        ("GET", f"/api/v1/contracts/{huge}"),
        ("PUT", f"/api/v1/pm/plans/{huge}"),
        ("GET", f"/contracts/{huge}"),
        ("GET", f"/pm/plans/{huge}/edit"),
    ]:
        response = client.open(url, method=method, json={"every_months": 3})
        assert response.status_code == 404, (method, url, response.status_code)


def test_the_forecast_lists_what_falls_due_with_its_job(client, auth, today):
    auth.login("office")
    plotter = make_equipment(meter_unit="sq_ft")
    (late,) = plan_for([plotter], starts_on=today - timedelta(days=100), every_months=3)
    far = make_equipment()
    plan_for([far], starts_on=today, every_months=12)
    with unit_of_work():
        (job,) = run_planner(today).made
    rows = client.get("/api/v1/pm/forecast?days=90").json["plans"]
    assert [(row["plotter_token"], row["overdue"], row["job"]) for row in rows] == [
        (plotter.qr_token, True, job.number)
    ]
    assert client.get("/api/v1/pm/forecast?days=400").status_code == 422
    page = client.get("/pm/forecast").get_data(as_text=True)
    assert job.number in page and "Overdue" in page
    assert "Overdue PMs" in client.get("/").get_data(as_text=True)


def test_a_covered_plotters_call_gets_the_promised_response_time(app, today):
    customer = make_customer()
    plotter = make_equipment(customer)
    contract = contract_for(
        customer,
        [plotter],
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=300),
        response_hours=8,
    )
    bare = make_equipment()
    with unit_of_work():
        covered = create_job(
            customer_id=None, equipment_id=plotter.id, problem="Banding", actor_id=None
        )
        uncovered = create_job(
            customer_id=None, equipment_id=bare.id, problem="Banding", actor_id=None
        )
    assert covered.contract_id == contract.id
    assert covered.respond_by == covered.created_at + timedelta(hours=8)
    assert uncovered.respond_by is None and uncovered.contract_id is None


def test_what_a_contract_earns_is_its_price_against_parts_and_hours(app, today):
    from fieldapp.inventory.models import StockMovement

    customer = make_customer()
    covered, outside = make_equipment(customer), make_equipment(customer, model="T1700")
    start = today - timedelta(days=100)
    contract_for(
        customer,
        [covered],
        starts_on=start,
        ends_on=start + timedelta(days=364),
        price_cents_per_year=365_00 * 10,  # $10 a day
    )
    tech = make_user("tech")
    part = make_part(unit_cost_cents=4_500)
    location = make_location()
    visit = make_visit(covered, tech, started_at=noon(today - timedelta(days=5)))  # 1 hour
    db.session.add(
        StockMovement(
            part_id=part.id,
            location_id=location.id,
            quantity=-2,
            kind="use",
            visit_id=visit.id,
            actor_id=tech.id,
            at=visit.started_at,
            unit_cost_cents=part.unit_cost_cents,
        )
    )
    db.session.commit()
    make_visit(covered, tech, started_at=noon(start - timedelta(days=3)))  # before the term
    make_visit(outside, tech, started_at=noon(today - timedelta(days=4)))  # not covered
    (earned,) = contract_earnings(
        today - timedelta(days=9), today, company_zone(), 6_000
    )  # 10 days of the term
    assert earned.days == 10 and earned.revenue_cents == 100_00
    assert earned.costs.visits == 1 and earned.costs.parts_cents == 9_000
    assert earned.labour_cents == 6_000 and earned.margin_cents == 100_00 - 15_000
    models = {row.model: row for row in model_costs(start, today, company_zone(), 6_000)}
    assert models["T1700"].costs.visits == 1 and models["T1700"].revenue_cents == 0
    assert models["DesignJet T830"].cost_cents == 15_000


def test_the_contract_report_is_sortable_and_downloads_as_csv(client, auth, today):
    auth.login("office")
    for name, price in (("Alpha", 100_000), ("Beta", 900_000)):
        customer = make_customer(name=f"{name} Drafting")
        contract_for(
            customer,
            [make_equipment(customer)],
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=300),
            price_cents_per_year=price,
            number=f"SC-{name}",
        )

    def table(query: str) -> str:
        page = client.get(f"/reports/contract-earnings?{query}").get_data(as_text=True)
        return page[page.index('class="table table-stack report-table"') :]

    by_revenue = table("sort=6&dir=desc")
    assert by_revenue.index("SC-Beta") < by_revenue.index("SC-Alpha")
    assert 'aria-sort="descending"' in by_revenue
    cheapest_first = table("sort=6")
    assert cheapest_first.index("SC-Alpha") < cheapest_first.index("SC-Beta")
    csv = client.get("/reports/contract-earnings.csv?sort=6&dir=desc").get_data(as_text=True)
    lines = csv.splitlines()
    assert lines[0].startswith("Contract,Customer,State") and "Margin (USD)" in lines[0]
    assert lines[1].startswith("SC-Beta") and lines[2].startswith("SC-Alpha")
    assert client.get("/reports/model-costs").status_code == 200
