"""The office's contract pages: the list, a contract (its cover, plotters, PM plans and what it
earns), writing and renewing one, PM plans, and the PM forecast."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from fieldapp.auth.access import OFFICE, allow
from fieldapp.contracts import queries, services
from fieldapp.contracts.earnings import contract_earnings
from fieldapp.contracts.models import CONTRACT_STATES, STATE_LABELS, Contract
from fieldapp.contracts.schemas import ContractSchema, PlanEditSchema, PlanSchema
from fieldapp.customers.models import Customer
from fieldapp.customers.queries import customer_choices, find_customer
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.queries import find_equipment, plotters_of
from fieldapp.errors import ServiceError
from fieldapp.form_values import cents_from_text, optional_id, typed_values
from fieldapp.localtime import company_zone, local_today
from fieldapp.settings.services import hourly_cost_cents
from fieldapp.sops.queries import preventive_sops
from fieldapp.unit_of_work import unit_of_work
from fieldapp.wire import flat_messages

bp = Blueprint("contracts", __name__)

# A contract ending within this many days is "expiring" on the list.
EXPIRING_DAYS = 60
CONTRACT_FIELDS = ("number", "starts_on", "ends_on", "response_hours", "notes", "state")
PLAN_FIELDS = ("every_months", "every_meter", "lead_days", "starts_on", "sop_id")


def _today() -> date:
    return local_today(company_zone(), utcnow())


@bp.get("/contracts")
@allow(OFFICE)
def index():
    """Every contract, soonest to end first; ?show=expiring, or a state."""
    show = request.args.get("show", "current")
    today = _today()
    if show == "expiring":
        contracts = queries.find_contracts(
            state="active", expiring_before=today + timedelta(days=EXPIRING_DAYS + 1)
        )
    elif show in CONTRACT_STATES:
        contracts = queries.find_contracts(state=show)
    else:
        show = "current"
        contracts = [one for one in queries.find_contracts() if one.state in ("draft", "active")]
    return render_template(
        "contracts/index.html",
        contracts=contracts,
        show=show,
        today=today,
        expiring_by=today + timedelta(days=EXPIRING_DAYS),
        states=STATE_LABELS,
    )


def _contract_data(form, customer_id: int | None) -> dict:
    """The contract form as ContractSchema reads it (the API's rules, the API's words)."""
    values = typed_values(form, CONTRACT_FIELDS, numbers=("response_hours",))
    values["customer_id"] = customer_id
    values["price_cents_per_year"] = cents_from_text(form.get("price", ""))
    for cover in ("covers_labour", "covers_parts", "covers_consumables"):
        values[cover] = form.get(cover) == "1"
    values["plotter_ids"] = [
        plotter_id for value in form.getlist("plotter_ids") if (plotter_id := optional_id(value))
    ]
    return values


def _load(schema, values: dict) -> tuple[dict | None, dict]:
    try:
        return schema.load(values), {}
    except ValidationError as exc:
        return None, flat_messages(exc.messages)


def _contract_form(contract: Contract | None, customer: Customer | None):
    errors: dict = {}
    if request.method == "POST" and customer is not None:
        data, errors = _load(ContractSchema(), _contract_data(request.form, customer.id))
        if data is not None:
            try:
                with unit_of_work():
                    if contract is None:
                        contract = services.create_contract(
                            data, actor_id=current_user.id, today=_today()
                        )
                    else:
                        services.update_contract(
                            contract, data, actor_id=current_user.id, today=_today()
                        )
            except ServiceError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(f"Contract {contract.number} saved.", "success")
                return redirect(url_for("contracts.detail", contract_id=contract.id))
    today = _today()
    chosen = (
        {int(value) for value in request.form.getlist("plotter_ids") if value.isdigit()}
        if request.method == "POST"
        else {plotter.id for plotter in contract.plotters}
        if contract
        else None
    )
    page = render_template(
        "contracts/form.html",
        contract=contract,
        customer=customer,
        customers=customer_choices() if customer is None else [],
        plotters=plotters_of(customer.id) if customer else [],
        chosen=chosen,
        form=request.form if request.method == "POST" else {},
        errors=errors,
        suggested_number=services.next_number(today),
        default_start=today,
        default_end=services.add_a_year(today),
    )
    return page, (422 if errors else 200)


@bp.route("/contracts/new", methods=["GET", "POST"])
@allow(OFFICE)
def new():
    """A new contract: first the customer, then the terms and the plotters covered."""
    customer_id = optional_id(request.values.get("customer"))
    customer = find_customer(customer_id) if customer_id else None
    if customer_id and customer is None:
        abort(404, description="There is no such customer.")
    return _contract_form(None, customer)


def _contract_or_404(contract_id: int) -> Contract:
    contract = queries.contract_with_details(contract_id)
    if contract is None:
        abort(404, description="There is no such contract.")
    return contract


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@allow(OFFICE)
def edit(contract_id: int):
    contract = _contract_or_404(contract_id)
    return _contract_form(contract, contract.customer)


@bp.get("/contracts/<int:contract_id>")
@allow(OFFICE)
def detail(contract_id: int):
    """A contract: its term, cover and price, the plotters, their PM plans, and what it earned
    over its term so far."""
    contract = _contract_or_404(contract_id)
    today = _today()
    earned = None  # a contract whose term has not begun has earned nothing yet
    if contract.starts_on <= today:
        (earned,) = contract_earnings(
            contract.starts_on,
            min(contract.ends_on, today),
            company_zone(),
            hourly_cost_cents(),
            contract_id=contract.id,
        )
    return render_template(
        "contracts/detail.html",
        contract=contract,
        plans=queries.plans_by_contract([contract.id]).get(contract.id, []),
        renewal=queries.renewal_of(contract),
        earned=earned,
        today=today,
        describe=services.describe,
        next_states=sorted(services.STATE_CHANGES[contract.state]),
    )


@bp.post("/contracts/<int:contract_id>/state")
@allow(OFFICE)
def change_state(contract_id: int):
    contract = _contract_or_404(contract_id)
    state = request.form.get("state", "")
    try:
        with unit_of_work():
            if state not in services.STATE_CHANGES:
                raise ServiceError(f"“{state[:20]}” is not a contract state.")
            services.change_state(contract, state, actor_id=current_user.id, today=_today())
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Contract {contract.number} is {contract.state_label.lower()}.", "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.post("/contracts/<int:contract_id>/renew")
@allow(OFFICE)
def renew(contract_id: int):
    contract = _contract_or_404(contract_id)
    try:
        with unit_of_work():
            renewal = services.renew_contract(contract, actor_id=current_user.id, today=_today())
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    flash(
        f"Renewal {renewal.number} drafted from {renewal.starts_on:%b %d, %Y}: check it, then "
        "activate it.",
        "success",
    )
    return redirect(url_for("contracts.detail", contract_id=renewal.id))


# -- PM plans ---------------------------------------------------------------------------


def _plan_data(form, *, many: bool) -> dict:
    values = typed_values(
        form, PLAN_FIELDS, numbers=("every_months", "every_meter", "lead_days", "sop_id")
    )
    for name in ("every_months", "every_meter", "sop_id"):
        values.setdefault(name, None)
    values["assign_usual_tech"] = form.get("assign_usual_tech") == "1"
    # The edit form sends a hidden "0" before the checkbox's "1": ticked is "1" among them.
    values["active"] = "1" in form.getlist("active") if "active" in form else True
    if many:
        values["plotter_ids"] = [
            plotter_id
            for value in form.getlist("plotter_ids")
            if (plotter_id := optional_id(value))
        ]
    return values


@bp.route("/pm/plans/new", methods=["GET", "POST"])
@allow(OFFICE)
def new_plan():
    """A PM plan for some of a contract's plotters (?contract=) or for one plotter (?plotter=)."""
    contract_id = optional_id(request.values.get("contract"))
    plotter_id = optional_id(request.values.get("plotter"))
    contract = _contract_or_404(contract_id) if contract_id else None
    plotter = find_equipment(plotter_id) if plotter_id else None
    if contract is None and plotter is None:
        abort(404, description="Choose the contract or the plotter the plan is for.")
    choices = contract.plotters if contract else [plotter]
    errors: dict = {}
    if request.method == "POST":
        data, errors = _load(PlanSchema(), _plan_data(request.form, many=True))
        if data is not None:
            try:
                with unit_of_work():
                    plans = services.create_plans(
                        data, contract=contract, actor_id=current_user.id, today=_today()
                    )
            except ServiceError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(
                    f"PM plan {services.describe(plans[0])} added for {len(plans)} plotter"
                    f"{'s' if len(plans) != 1 else ''}.",
                    "success",
                )
                if contract:
                    return redirect(url_for("contracts.detail", contract_id=contract.id))
                return redirect(url_for("equipment.plotter", token=plotter.qr_token))
    page = render_template(
        "contracts/plan_form.html",
        plan=None,
        contract=contract,
        plotter=plotter,
        choices=choices,
        sops=preventive_sops(),
        form=request.form if request.method == "POST" else {},
        errors=errors,
        today=_today(),
    )
    return page, (422 if errors else 200)


@bp.route("/pm/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@allow(OFFICE)
def edit_plan(plan_id: int):
    plan = queries.find_plan(plan_id)
    if plan is None:
        abort(404, description="There is no such PM plan.")
    errors: dict = {}
    if request.method == "POST":
        data, errors = _load(PlanEditSchema(), _plan_data(request.form, many=False))
        if data is not None:
            try:
                with unit_of_work():
                    services.update_plan(plan, data, actor_id=current_user.id)
            except ServiceError as exc:
                errors = exc.fields or {"_schema": [exc.message]}
            else:
                flash(f"PM plan saved: {services.describe(plan)}.", "success")
                if plan.contract_id:
                    return redirect(url_for("contracts.detail", contract_id=plan.contract_id))
                return redirect(url_for("equipment.plotter", token=plan.equipment.qr_token))
    page = render_template(
        "contracts/plan_form.html",
        plan=plan,
        contract=plan.contract,
        plotter=plan.equipment,
        choices=[plan.equipment],
        sops=preventive_sops(),
        form=request.form if request.method == "POST" else {},
        errors=errors,
        today=_today(),
    )
    return page, (422 if errors else 200)


@bp.get("/pm/forecast")
@allow(OFFICE)
def forecast():
    """What PM falls due in the next 90 days, week by week and per tech; overdue first."""
    return render_template(
        "contracts/forecast.html", forecast=queries.forecast(_today(), 90), today=_today()
    )
