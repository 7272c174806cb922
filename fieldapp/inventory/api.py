"""Parts and stock over the API: staff read the catalogue and the locations, the office reads
any location's stock and the reorder list and records stock operations; a tech reads their
own van's stock and records a count of it. An operation is idempotent on the client's id."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import OFFICE, STAFF, TECH, allow
from fieldapp.errors import Invalid, NotFound
from fieldapp.inventory.models import SKU_MAX, Part, StockLocation
from fieldapp.inventory.queries import (
    active_locations,
    find_parts,
    levels_at,
    levels_of,
    part_with_details,
    reorder_list,
    restock_requests,
    restocks_of,
)
from fieldapp.inventory.restock import (
    ask_for_restock,
    pick_restock,
    receive_restock,
    require_request,
)
from fieldapp.inventory.schemas import (
    LocationSchema,
    PartDetailSchema,
    PartPageSchema,
    PartQuerySchema,
    ReorderRowSchema,
    RestockOutSchema,
    RestockPickSchema,
    RestockReceiptSchema,
    RestockRequestSchema,
    StockOperationOutSchema,
    StockOperationSchema,
    StockQuerySchema,
    StockRowSchema,
)
from fieldapp.inventory.services import apply_stock_operation
from fieldapp.unit_of_work import in_unit_of_work


def _summary(part: Part, on_hand: int, low: bool) -> dict:
    return {
        "sku": part.sku,
        "name": part.name,
        "manufacturer": part.manufacturer,
        "manufacturer_part_number": part.manufacturer_part_number,
        "category": part.category,
        "unit_cost_cents": part.unit_cost_cents,
        "consumable": part.consumable,
        "active": part.active,
        "on_hand": on_hand,
        "low": low,
    }


@api.get("/parts")
@allow(STAFF)
@documented("The parts catalogue", query=PartQuerySchema, response=PartPageSchema, tag="parts")
def list_parts():
    """Parts in use (inactive=true: those taken out of use), filtered by q (SKU, name,
    manufacturer or supplier part number, plotter model), model (a plotter model the part
    fits), category, and low (some location holds less than its minimum); by name, a page
    at a time. on_hand is the total over the locations in use."""
    args = PartQuerySchema().load(request.args)
    page, rows = find_parts(**args)
    body = {
        "parts": [_summary(row.part, row.on_hand, row.low) for row in rows.values()],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
    }
    return jsonify(PartPageSchema().dump(body))


@api.get("/parts/<path:sku>")
@allow(STAFF)
@documented("One part with its stock", response=PartDetailSchema, tag="parts")
def part_detail(sku: str):
    """A part by its SKU, with the plotter models it fits, its supplier, and its level at
    every location in use (and at any other that still holds some); a tech sees the
    warehouse, its bins and their own van, not the other vans (on_hand and low are the
    company's totals either way)."""
    part = part_with_details(sku)
    if part is None:
        raise NotFound(f"There is no part with the number {sku[:SKU_MAX]}.")
    every = levels_of(part.id)
    found = [(location, level) for location, level in every if _may_see(location)]
    levels = [
        {
            "location_id": location.id,
            "location": location.name,
            "quantity": level.quantity if level else 0,
            "minimum": level.minimum if level else 0,
            "maximum": level.maximum if level else 0,
            "active": location.active,
        }
        for location, level in found
    ]
    # The totals are the company's (on hand anywhere, short anywhere), whoever asks.
    in_use = [level for location, level in every if location.active and level is not None]
    body = {
        **_summary(
            part,
            sum(level.quantity for level in in_use),
            any(level.low for level in in_use),
        ),
        "compatible_models": part.compatible_models,
        "supplier": part.supplier.name if part.supplier else None,
        "supplier_part_number": part.supplier_part_number,
        "levels": levels,
    }
    return jsonify(PartDetailSchema().dump(body))


@api.get("/locations")
@allow(STAFF)
@documented("Stock locations", response=LocationSchema(many=True), tag="parts")
def list_locations():
    """The locations in use: the warehouse, its bins (parent_id the warehouse) and the vans
    (tech_id the tech who drives it); a tech gets their own van and no other."""
    return jsonify(
        LocationSchema(many=True).dump(
            [location for location in active_locations() if _may_see(location)]
        )
    )


def _may_see(location: StockLocation) -> bool:
    """The office sees every location; a tech every one but the other techs' vans."""
    return current_user.is_office or location.kind != "van" or location.tech_id == current_user.id


def _location(location_id: int) -> StockLocation:
    found = next((loc for loc in active_locations() if loc.id == location_id), None)
    if found is None:
        raise NotFound(f"There is no location {location_id} in use.")
    return found


@api.get("/stock")
@allow(STAFF)
@documented(
    "What a location holds",
    query=StockQuerySchema,
    response=StockRowSchema(many=True),
    errors=(404,),
    tag="parts",
)
def location_stock():
    """Every part a location holds or should hold, by name, with its minimum and maximum.
    The office reads any location; a tech their own van only."""
    args = StockQuerySchema().load(request.args)
    location = _location(args["location"])
    if current_user.role not in OFFICE and location.tech_id != current_user.id:
        abort(403)
    rows = [
        {
            "sku": level.part.sku,
            "name": level.part.name,
            "quantity": level.quantity,
            "minimum": level.minimum,
            "maximum": level.maximum,
        }
        for level in levels_at(location.id)
    ]
    return jsonify(StockRowSchema(many=True).dump(rows))


@api.post("/stock/movements")
@allow(STAFF)
@documented(
    "Record a stock operation",
    body=StockOperationSchema,
    response=StockOperationOutSchema,
    status=201,
    errors=(409,),
    tag="parts",
)
def create_stock_operation():
    """A receive (into the warehouse), transfer, count, adjust or return, under an id the
    client makes. The same id again answers 200 with duplicate=true and changes nothing; the
    same id for a different operation is a 409. A count writes the difference from the
    level as an adjustment. A tech may only count their own van (anything else is a 422)."""
    data = load_json(StockOperationSchema())
    applied = in_unit_of_work(lambda: apply_stock_operation(data, current_user))
    operation = applied.operation
    body = {
        "id": operation.id,
        "kind": operation.kind,
        "part": operation.part,
        "quantity": operation.quantity,
        "reason": operation.reason,
        "at": operation.at,
        "duplicate": applied.duplicate,
        "levels": applied.levels,
    }
    return jsonify(StockOperationOutSchema().dump(body)), (200 if applied.duplicate else 201)


@api.get("/stock/reorder")
@allow(OFFICE)
@documented("What to reorder", response=ReorderRowSchema(many=True), tag="parts")
def reorder():
    """Every level of a part in use under its minimum at a location in use, grouped by the
    part's supplier, with the quantity that brings it up to its maximum."""
    rows = [
        {
            "sku": row.part.sku,
            "name": row.part.name,
            "location_id": row.location.id,
            "location": row.location.name,
            "quantity": row.quantity,
            "minimum": row.minimum,
            "maximum": row.maximum,
            "suggested": row.suggested,
            "supplier": row.part.supplier.name if row.part.supplier else None,
        }
        for row in reorder_list()
    ]
    return jsonify(ReorderRowSchema(many=True).dump(rows))


# -- Van restock --------------------------------------------------------------------------


def _restock_body(restock) -> dict:
    return RestockOutSchema().dump(restock)


@api.post("/restock-requests")
@allow(TECH)
@documented(
    "Ask for a van restock",
    body=RestockRequestSchema,
    response=RestockOutSchema,
    status=201,
    errors=(409,),
    tag="parts",
)
def create_restock_request():
    """A tech asks for parts for their own van, under an id the phone makes: the same id again
    answers 200 with the same request. The office sees it under Restock requests."""
    data = load_json(RestockRequestSchema())
    restock, again = in_unit_of_work(lambda: ask_for_restock(data, current_user))
    return jsonify(_restock_body(restock)), (200 if again else 201)


@api.get("/restock-requests")
@allow(STAFF)
@documented("Restock requests", response=RestockOutSchema(many=True), tag="parts")
def list_restock_requests():
    """The office: every request waiting to be picked or on its way; a tech: their own latest."""
    if current_user.is_office:
        found = restock_requests(("open", "picked"))
    else:
        found = restocks_of(current_user.id, limit=20)
    return jsonify(RestockOutSchema(many=True).dump(found))


@api.post("/restock-requests/<uuid:request_id>/pick")
@allow(OFFICE)
@documented(
    "Pick a restock request",
    body=RestockPickSchema,
    response=RestockOutSchema,
    tag="parts",
)
def pick_restock_request(request_id):
    """Send what the warehouse has, by SKU (a line not named: none sent); each sent part moves
    from the warehouse into the van. A request picked already is a 422."""
    data = load_json(RestockPickSchema())

    def pick():
        restock = require_request(request_id)
        by_sku = {line["sku"]: line["quantity"] for line in data["lines"]}
        pick_restock(
            restock,
            {line.id: by_sku.get(line.part.sku, 0) for line in restock.lines},
            actor=current_user,
        )
        return restock

    return jsonify(_restock_body(in_unit_of_work(pick)))


@api.post("/restock-requests/<uuid:request_id>/received")
@allow(TECH)
@documented(
    "Confirm what reached the van",
    body=RestockReceiptSchema,
    response=RestockOutSchema,
    tag="parts",
)
def receive_restock_request(request_id):
    """The tech confirms what arrived, by SKU (a line not named arrived as sent); a part that
    did not arrive is written off the van and flagged to the office. Confirming again changes
    nothing. The body's `request` must be the request in the path."""
    data = load_json(RestockReceiptSchema())
    if data["request"] != request_id:
        raise Invalid.field("request", "This is not the request in the address.")

    def receive():
        restock = require_request(request_id)
        received = {line["sku"]: line["quantity"] for line in data["lines"]}
        receive_restock(restock, received, tech=current_user)
        return restock

    return jsonify(_restock_body(in_unit_of_work(receive)))
