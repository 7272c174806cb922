"""Contracts and the PM forecast over the API (the office's): list and read contracts, write
them and their PM plans with the same schemas as the pages, and read what falls due."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import OFFICE, allow
from fieldapp.contracts import queries
from fieldapp.contracts.models import Contract, PmPlan
from fieldapp.contracts.schemas import (
    ContractListSchema,
    ContractOutSchema,
    ContractQuerySchema,
    ContractSchema,
    ForecastQuerySchema,
    ForecastSchema,
    PlanEditSchema,
    PlanOutSchema,
    PlanSchema,
)
from fieldapp.contracts.services import create_contract, create_plans, update_contract, update_plan
from fieldapp.dbtypes import utcnow
from fieldapp.errors import NotFound
from fieldapp.localtime import company_zone, local_today
from fieldapp.unit_of_work import in_unit_of_work


def _today():
    return local_today(company_zone(), utcnow())


def plan_json(plan: PmPlan) -> dict:
    return {
        "id": plan.id,
        "plotter_token": plan.equipment.qr_token,
        "contract_number": plan.contract.number if plan.contract else None,
        "every_months": plan.every_months,
        "every_meter": plan.every_meter,
        "meter_unit": plan.equipment.meter_unit,
        "sop": plan.sop.slug if plan.sop else None,
        "lead_days": plan.lead_days,
        "assign_usual_tech": plan.assign_usual_tech,
        "active": plan.active,
        "starts_on": plan.starts_on,
        "last_done_on": plan.last_done_on,
        "due_on": plan.due_on,
        "due_by": plan.due_by,
    }


def contract_json(contract: Contract, plans: list[PmPlan]) -> dict:
    return {
        "id": contract.id,
        "number": contract.number,
        "customer_id": contract.customer_id,
        "customer": contract.customer.name,
        "state": contract.state,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "price_cents_per_year": contract.price_cents_per_year,
        "covers": {
            "labour": contract.covers_labour,
            "parts": contract.covers_parts,
            "consumables": contract.covers_consumables,
        },
        "response_hours": contract.response_hours,
        "notes": contract.notes,
        "renewal_of": contract.renewal_of.number if contract.renewal_of else None,
        "plotter_tokens": [plotter.qr_token for plotter in contract.plotters],
        "plans": [plan_json(plan) for plan in plans],
    }


def _contract(contract_id: int) -> Contract:
    contract = queries.contract_with_details(contract_id)
    if contract is None:
        raise NotFound(f"There is no contract {contract_id}.")
    return contract


def _one(contract_id: int) -> dict:
    contract = _contract(contract_id)
    plans = queries.plans_by_contract([contract.id]).get(contract.id, [])
    return ContractOutSchema().dump(contract_json(contract, plans))


@api.get("/contracts")
@allow(OFFICE)
@documented(
    "Service contracts", query=ContractQuerySchema, response=ContractListSchema, tag="contracts"
)
def list_contracts():
    """Contracts, soonest to end first, filtered by customer (id), state, and expiring_before
    (a day: those ending before it), each with its plotters and PM plans."""
    args = ContractQuerySchema().load(request.args)
    contracts = queries.find_contracts(**args)
    plans = queries.plans_by_contract([contract.id for contract in contracts])
    body = {"contracts": [contract_json(one, plans.get(one.id, [])) for one in contracts]}
    return jsonify(ContractListSchema().dump(body))


@api.get("/contracts/<int:contract_id>")
@allow(OFFICE)
@documented("One contract", response=ContractOutSchema, tag="contracts")
def get_contract(contract_id: int):
    return jsonify(_one(contract_id))


@api.post("/contracts")
@allow(OFFICE)
@documented(
    "Write a contract", body=ContractSchema, response=ContractOutSchema, status=201, tag="contracts"
)
def post_contract():
    """A new contract (state draft unless asked active). An end before the start, plotters
    of another customer or a number in use are a 422 naming the field."""
    data = load_json(ContractSchema())
    contract = in_unit_of_work(
        lambda: create_contract(data, actor_id=current_user.id, today=_today())
    )
    return jsonify(_one(contract.id)), 201


@api.put("/contracts/<int:contract_id>")
@allow(OFFICE)
@documented(
    "Change a contract",
    body=ContractSchema,
    response=ContractOutSchema,
    errors=(409,),
    tag="contracts",
)
def put_contract(contract_id: int):
    """The whole contract as it should be now; a state change follows the contract's rules
    (draft → active → cancelled; expired is the planner's to set): a change it does not
    allow, or any change to an expired or cancelled contract, is a 409."""
    data = load_json(ContractSchema())
    contract = _contract(contract_id)
    in_unit_of_work(
        lambda: update_contract(contract, data, actor_id=current_user.id, today=_today())
    )
    return jsonify(_one(contract_id))


@api.post("/contracts/<int:contract_id>/plans")
@allow(OFFICE)
@documented(
    "Add a PM plan to a contract's plotters",
    body=PlanSchema,
    response=ContractOutSchema,
    status=201,
    tag="contracts",
)
def post_contract_plan(contract_id: int):
    """One plan per plotter named (they must be the contract's). A meter interval on a
    plotter without a meter unit, or no interval at all, is a 422."""
    data = load_json(PlanSchema())
    contract = _contract(contract_id)
    in_unit_of_work(
        lambda: create_plans(data, contract=contract, actor_id=current_user.id, today=_today())
    )
    return jsonify(_one(contract_id)), 201


@api.post("/pm/plans")
@allow(OFFICE)
@documented(
    "Add a PM plan to plotters without a contract",
    body=PlanSchema,
    response=PlanOutSchema(many=True),
    status=201,
    tag="contracts",
)
def post_plan():
    data = load_json(PlanSchema())
    plans = in_unit_of_work(
        lambda: create_plans(data, contract=None, actor_id=current_user.id, today=_today())
    )
    return jsonify(PlanOutSchema(many=True).dump([plan_json(plan) for plan in plans])), 201


@api.put("/pm/plans/<int:plan_id>")
@allow(OFFICE)
@documented("Change a PM plan", body=PlanEditSchema, response=PlanOutSchema, tag="contracts")
def put_plan(plan_id: int):
    data = load_json(PlanEditSchema())
    plan = queries.find_plan(plan_id)
    if plan is None:
        raise NotFound(f"There is no PM plan {plan_id}.")
    in_unit_of_work(lambda: update_plan(plan, data, actor_id=current_user.id))
    return jsonify(PlanOutSchema().dump(plan_json(plan)))


@api.get("/pm/forecast")
@allow(OFFICE)
@documented(
    "What PM falls due", query=ForecastQuerySchema, response=ForecastSchema, tag="contracts"
)
def forecast():
    """Every live plan due within `days` (1 to 366, default 90) or overdue, soonest first:
    the plotter, the plan, the due day and whether the calendar or the meter sets it, the
    meter projected for that day, the tech, and the PM job once the planner made it."""
    days = ForecastQuerySchema().load(request.args)["days"]
    today = _today()
    found = queries.forecast(today, days)
    rows = [
        {
            "plotter_token": row.plotter.qr_token,
            "plotter": f"{row.plotter.display_name} SN {row.plotter.serial_number}",
            "customer": row.plotter.customer.name,
            "plan": row.plan.id,
            "contract_number": row.plan.contract.number if row.plan.contract else None,
            "due_on": row.plan.due_on,
            "due_by": row.plan.due_by,
            "overdue": row.plan.due_on < today,
            "projected_meter": row.plan.projected_meter if row.plan.every_meter else None,
            "meter_unit": row.plotter.meter_unit,
            "tech": row.tech.name if row.tech else None,
            "job": row.job.number if row.job else None,
        }
        for row in found.rows
    ]
    return jsonify(ForecastSchema().dump({"days": days, "today": today, "plans": rows}))
