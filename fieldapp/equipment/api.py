"""Plotters over the API: one by its QR token, or a filtered, paginated list."""

from __future__ import annotations

from flask import abort, current_app, jsonify, request

from fieldapp.api import api, documented
from fieldapp.auth.access import STAFF, allow
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import equipment_query
from fieldapp.equipment.schemas import EquipmentPageSchema, EquipmentQuerySchema, EquipmentSchema
from fieldapp.equipment.services import resolve_code
from fieldapp.extensions import db
from fieldapp.visits.queries import history_summaries


def _as_dict(equipment: Equipment, summary: dict) -> dict:
    return {
        "id": equipment.id,
        "qr_token": equipment.qr_token,
        "qr_url": f"{current_app.config['PUBLIC_URL']}/e/{equipment.qr_token}",
        "short_code": equipment.short_code,
        "make": equipment.make,
        "model": equipment.model,
        "serial_number": equipment.serial_number,
        "location_note": equipment.location_note,
        "installed_on": equipment.installed_on,
        "status": equipment.status,
        "customer": {"id": equipment.customer.id, "name": equipment.customer.name},
        "history": summary,
    }


@api.get("/equipment/<token>")
@allow(STAFF)
@documented("One plotter by its QR token or short code", response=EquipmentSchema, tag="equipment")
def equipment_detail(token: str):
    """The plotter a label points at, with its history summary (404 for unknown labels)."""
    found = resolve_code(token)
    if found.equipment is None or found.state not in ("active",):
        abort(404, description="No plotter has that label.")
    equipment = found.equipment
    summary = history_summaries([equipment.id])[equipment.id]
    return jsonify(EquipmentSchema().dump(_as_dict(equipment, summary)))


@api.get("/equipment")
@allow(STAFF)
@documented(
    "Search plotters", query=EquipmentQuerySchema, response=EquipmentPageSchema, tag="equipment"
)
def equipment_list():
    """Plotters filtered by serial, customer id or free text (customer, model, serial, code)."""
    args = EquipmentQuerySchema().load(request.args)
    query = equipment_query(
        args["q"],
        serial=args["serial"],
        customer_id=args["customer"],
        status=None if args["status"] == "all" else args["status"],
    )
    page = db.paginate(query, page=args["page"], per_page=args["per_page"], error_out=False)
    summaries = history_summaries([equipment.id for equipment in page.items])
    body = {
        "items": [_as_dict(equipment, summaries[equipment.id]) for equipment in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }
    return jsonify(EquipmentPageSchema().dump(body))
