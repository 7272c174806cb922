"""Wire formats of parts and stock: one schema per thing a client sends or reads, bounded to
what the database holds, used by the API, the sync op and the office's forms alike."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fieldapp.inventory.models import (
    ADJUST_REASONS,
    COST_MAX_CENTS,
    LOCATION_NAME_MAX,
    MPN_MAX,
    NAME_MAX,
    OPERATION_KINDS,
    PART_CATEGORIES,
    QUANTITY_MAX,
    REASON_MAX,
    RETURN_STATES,
    RMA_NUMBER_MAX,
    SKU_MAX,
)
from fieldapp.wire import Id, Text, Whole

# What each kind of operation needs besides a part and a quantity.
NEEDS = {
    "receive": ("to",),
    "transfer": ("from", "to"),
    "count": ("to",),
    "adjust": ("to",),
    "return": ("from",),
}
QUANTITY_RULES = {
    "receive": (1, "Receive 1 or more."),
    "transfer": (1, "Transfer 1 or more."),
    "count": (0, "A count is 0 or more."),
    "return": (1, "Return 1 or more."),
}
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
SKU_MESSAGE = "Use letters, digits, dots, dashes and slashes, starting with a letter or digit."


def adjust_reason(reason: str) -> str:
    """The listed reason an adjustment gives: "damaged", or "damaged: dropped in the van"."""
    return reason.split(":", 1)[0].strip()


class StockOperationSchema(Schema):
    """One receive, transfer, count, adjust or return. `id` is made by the client: the same id
    again is the same operation. A count gives the quantity counted; an adjust a signed change
    with a reason from the list (damaged, lost, found, correction), optionally followed by
    ": a note"; a return sends parts out of `from` back to the supplier."""

    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(OPERATION_KINDS))
    sku = Text(SKU_MAX, min_length=1, required=True)
    quantity = Whole(-QUANTITY_MAX, QUANTITY_MAX, required=True)
    source = Id(data_key="from", load_default=None, allow_none=True)
    target = Id(data_key="to", load_default=None, allow_none=True)
    reason = Text(REASON_MAX, load_default="")
    unit_cost_cents = Whole(0, COST_MAX_CENTS, load_default=None, allow_none=True)

    @validates_schema
    def _fits_its_kind(self, data, **_):
        kind = data.get("kind")
        if kind not in OPERATION_KINDS:
            return
        problems: dict[str, list[str]] = {}
        for name in NEEDS[kind]:
            if data.get("source" if name == "from" else "target") is None:
                problems[name] = [f"Choose the location to {kind} {name}."]
        quantity = data.get("quantity")
        if quantity is not None:
            if kind == "adjust":
                if quantity == 0:
                    problems["quantity"] = ["An adjustment of zero changes nothing."]
            elif quantity < QUANTITY_RULES[kind][0]:
                problems["quantity"] = [QUANTITY_RULES[kind][1]]
        if kind == "transfer" and data.get("source") and data.get("source") == data.get("target"):
            problems["to"] = ["Choose a different location to transfer to."]
        if kind == "adjust" and adjust_reason(data.get("reason") or "") not in ADJUST_REASONS:
            problems["reason"] = [f"Choose a reason: {', '.join(ADJUST_REASONS)}."]
        if kind == "return" and not (data.get("reason") or "").strip():
            problems["reason"] = ["Say why it goes back (defective, wrong part, RMA number)."]
        if problems:
            raise ValidationError(problems)


class StockOperationOutSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    sku = fields.String(attribute="part.sku")
    quantity = fields.Integer()
    reason = fields.String()
    at = fields.AwareDateTime()
    duplicate = fields.Boolean()
    levels = fields.List(
        fields.Dict(keys=fields.String(), values=fields.Raw()),
        metadata={"description": "the new level at each location the operation touched"},
    )


class PartInputSchema(Schema):
    """A part as the office creates or edits it."""

    sku = Text(
        SKU_MAX,
        min_length=1,
        required=True,
        validate=validate.Regexp(SKU_PATTERN, error=SKU_MESSAGE),
    )
    name = Text(NAME_MAX, min_length=1, required=True)
    manufacturer = Text(40, load_default="")
    manufacturer_part_number = Text(MPN_MAX, load_default="")
    category = fields.String(load_default="other", validate=validate.OneOf(PART_CATEGORIES))
    unit_cost_cents = Whole(0, COST_MAX_CENTS, load_default=0)
    consumable = fields.Boolean(load_default=False)
    supplier_id = Id(load_default=None, allow_none=True)
    supplier_part_number = Text(MPN_MAX, load_default="")
    compatible_models = fields.List(Text(80, min_length=1), load_default=list)


class LimitsSchema(Schema):
    """What one location should hold of one part."""

    minimum = Whole(0, QUANTITY_MAX, required=True)
    maximum = Whole(0, QUANTITY_MAX, required=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data.get("maximum", 0) < data.get("minimum", 0):
            raise ValidationError({"maximum": ["Keep the maximum at or above the minimum."]})


class LocationInputSchema(Schema):
    name = Text(LOCATION_NAME_MAX, min_length=1, required=True)


class PartQuerySchema(Schema):
    q = Text(100, load_default="")
    model = Text(80, load_default="")
    category = fields.String(load_default="", validate=validate.OneOf(("", *PART_CATEGORIES)))
    low = fields.Boolean(load_default=False)
    inactive = fields.Boolean(load_default=False)
    page = Whole(1, 10_000, strict=False, load_default=1)
    per_page = Whole(1, 200, strict=False, load_default=50)


class PartSummarySchema(Schema):
    sku = fields.String()
    name = fields.String()
    manufacturer = fields.String()
    manufacturer_part_number = fields.String()
    category = fields.String()
    unit_cost_cents = fields.Integer()
    consumable = fields.Boolean()
    active = fields.Boolean()
    on_hand = fields.Integer(metadata={"description": "total over every location"})
    low = fields.Boolean(metadata={"description": "some location holds less than its minimum"})


class PartPageSchema(Schema):
    parts = fields.List(fields.Nested(PartSummarySchema))
    page = fields.Integer()
    pages = fields.Integer()
    total = fields.Integer()


class LevelSchema(Schema):
    location_id = fields.Integer()
    location = fields.String()
    quantity = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()


class PartDetailSchema(PartSummarySchema):
    compatible_models = fields.List(fields.String())
    supplier = fields.String(allow_none=True)
    supplier_part_number = fields.String()
    levels = fields.List(fields.Nested(LevelSchema))


class LocationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "warehouse, van or bin"})
    tech_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class StockQuerySchema(Schema):
    location = Id(strict=False, required=True)


class StockRowSchema(Schema):
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()


class ReorderRowSchema(Schema):
    sku = fields.String()
    name = fields.String()
    location_id = fields.Integer()
    location = fields.String()
    quantity = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()
    suggested = fields.Integer()
    supplier = fields.String(allow_none=True)


class RestockLineSchema(Schema):
    sku = Text(SKU_MAX, min_length=1, required=True)
    quantity = Whole(1, QUANTITY_MAX, required=True)


class RestockRequestSchema(Schema):
    """A tech's request for their own van; `id` is made by the phone (the same id again is
    the same request)."""

    id = fields.UUID(required=True)
    lines = fields.List(
        fields.Nested(RestockLineSchema),
        required=True,
        validate=validate.Length(min=1, max=200, error="Ask for at least one part."),
    )
    note = Text(REASON_MAX, load_default="")


class ReceivedLineSchema(Schema):
    sku = Text(SKU_MAX, min_length=1, required=True)
    quantity = Whole(0, QUANTITY_MAX, required=True)


class RestockReceiptSchema(Schema):
    """What reached the van; a line not named arrived as sent."""

    request = fields.UUID(required=True)
    lines = fields.List(fields.Nested(ReceivedLineSchema), load_default=list)


class RestockPickSchema(Schema):
    """What the office sends: quantities by SKU (a line not named: none)."""

    lines = fields.List(fields.Nested(ReceivedLineSchema), required=True)


class RestockLineOutSchema(Schema):
    sku = fields.String(attribute="part.sku")
    name = fields.String(attribute="part.name")
    asked = fields.Integer()
    sent = fields.Integer(allow_none=True)
    received = fields.Integer(allow_none=True)


class RestockOutSchema(Schema):
    id = fields.UUID()
    reference = fields.String()
    van_id = fields.Integer()
    tech_id = fields.Integer()
    state = fields.String()
    note = fields.String()
    created_at = fields.AwareDateTime()
    picked_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    short = fields.Boolean()
    lines = fields.List(fields.Nested(RestockLineOutSchema))


class SupplierSchema(Schema):
    name = Text(120, min_length=1, required=True)
    contact = Text(120, load_default="")
    email = Text(
        254,
        load_default="",
        validate=validate.Regexp(
            r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
            error="Enter an email address such as orders@example.com.",
        ),
    )
    phone = Text(40, load_default="")
    lead_time_days = Whole(0, 365, load_default=7)


class ReturnShipSchema(Schema):
    """A defective part shipped to its supplier under the RMA number they gave."""

    rma_number = Text(RMA_NUMBER_MAX, min_length=1, required=True)
    note = Text(REASON_MAX, load_default="")


class ReturnCreditSchema(Schema):
    """The supplier's credit for a shipped return, in cents (0 when they replaced the part)."""

    credit_cents = Whole(0, COST_MAX_CENTS, required=True)
    note = Text(REASON_MAX, load_default="")


class ReturnRejectSchema(Schema):
    """The supplier refused the return: why, in their words."""

    note = Text(REASON_MAX, min_length=1, required=True)


class ReturnQuerySchema(Schema):
    state = fields.String(
        load_default="open", validate=validate.OneOf(("open", "closed", "all", *RETURN_STATES))
    )
    page = Whole(1, 10_000, load_default=1, strict=False)
