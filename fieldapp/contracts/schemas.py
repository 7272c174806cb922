"""Wire formats of contracts, PM plans and the forecast: one schema per thing a client sends
or reads. The office's forms load through the same schemas, so a page and the API refuse the
same input with the same words."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fieldapp.contracts.models import (
    CONTRACT_STATES,
    EVERY_METER,
    EVERY_MONTHS,
    LEAD_DAYS,
    PRICE_MAX_CENTS,
    RESPONSE_HOURS,
    Contract,
)
from fieldapp.wire import Day, Id, Text, Whole, length_of

NUMBER_MAX = length_of(Contract.number)
NOTES_MAX = length_of(Contract.notes)
# The forecast looks this far ahead at most.
FORECAST_DAYS = (1, 366)


class ContractSchema(Schema):
    """A contract as the office writes it: the customer, the term, the price a year (cents),
    what is covered, the response time promised (hours, or none) and the plotters covered
    (the customer's own)."""

    number = Text(NUMBER_MAX, min_length=1, required=True)
    customer_id = Id(required=True)
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    price_cents_per_year = Whole(0, PRICE_MAX_CENTS, required=True)
    covers_labour = fields.Boolean(load_default=True)
    covers_parts = fields.Boolean(load_default=False)
    covers_consumables = fields.Boolean(load_default=False)
    response_hours = Whole(*RESPONSE_HOURS, load_default=None, allow_none=True)
    notes = Text(NOTES_MAX, load_default="")
    state = fields.String(
        load_default="draft", validate=validate.OneOf(("draft", "active", "cancelled"))
    )
    plotter_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))

    @validates_schema
    def _ends_after_it_starts(self, data, **_):
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends <= starts:
            raise ValidationError("End the contract after it starts.", "ends_on")


class PlanSchema(Schema):
    """A PM plan: every N months, every N units of the plotter's meter, or both (whichever
    comes first); the SOP to follow; how many days ahead the job is made. On a contract it
    may cover several of its plotters at once (one plan each)."""

    plotter_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(1, 1000, error="Choose one to 1,000 plotters."),
    )
    every_months = Whole(*EVERY_MONTHS, load_default=None, allow_none=True)
    every_meter = Whole(*EVERY_METER, load_default=None, allow_none=True)
    sop_id = Id(load_default=None, allow_none=True)
    lead_days = Whole(*LEAD_DAYS, load_default=14)
    assign_usual_tech = fields.Boolean(load_default=True)
    starts_on = Day(load_default=None, allow_none=True)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _has_an_interval(self, data, **_):
        if data.get("every_months") is None and data.get("every_meter") is None:
            message = "Give a number of months, a meter interval, or both."
            raise ValidationError({"every_months": [message], "every_meter": [message]})


class PlanEditSchema(PlanSchema):
    """A plan changed: the same rules, on its one plotter."""

    class Meta:
        exclude = ("plotter_ids",)


class ContractQuerySchema(Schema):
    customer = Id(strict=False, load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(CONTRACT_STATES))
    expiring_before = Day(load_default=None)


class ForecastQuerySchema(Schema):
    days = Whole(*FORECAST_DAYS, strict=False, load_default=90)


class CoverageSchema(Schema):
    labour = fields.Boolean()
    parts = fields.Boolean()
    consumables = fields.Boolean()


class PlanOutSchema(Schema):
    id = fields.Integer()
    plotter_token = fields.String()
    contract_number = fields.String(allow_none=True)
    every_months = fields.Integer(allow_none=True)
    every_meter = fields.Integer(allow_none=True)
    meter_unit = fields.String(allow_none=True)
    sop = fields.String(allow_none=True, metadata={"description": "the PM SOP's slug"})
    lead_days = fields.Integer()
    assign_usual_tech = fields.Boolean()
    active = fields.Boolean()
    starts_on = fields.Date()
    last_done_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    due_by = fields.String(allow_none=True)


class ContractOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    customer_id = fields.Integer()
    customer = fields.String()
    state = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    price_cents_per_year = fields.Integer()
    covers = fields.Nested(CoverageSchema)
    response_hours = fields.Integer(allow_none=True)
    notes = fields.String()
    renewal_of = fields.String(allow_none=True, metadata={"description": "the number renewed"})
    plotter_tokens = fields.List(fields.String())
    plans = fields.List(fields.Nested(PlanOutSchema))


class ContractListSchema(Schema):
    contracts = fields.List(fields.Nested(ContractOutSchema))


class ForecastRowSchema(Schema):
    plotter_token = fields.String()
    plotter = fields.String()
    customer = fields.String()
    plan = fields.Integer()
    contract_number = fields.String(allow_none=True)
    due_on = fields.Date()
    due_by = fields.String(metadata={"description": "date or meter"})
    overdue = fields.Boolean()
    projected_meter = fields.Integer(allow_none=True)
    meter_unit = fields.String(allow_none=True)
    tech = fields.String(allow_none=True)
    job = fields.String(allow_none=True, metadata={"description": "the PM job's number, if made"})


class ForecastSchema(Schema):
    days = fields.Integer()
    today = fields.Date()
    plans = fields.List(fields.Nested(ForecastRowSchema))
