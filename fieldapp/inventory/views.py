"""Stock pages: a tech's van; for the office the catalogue, locations, stock movements, the
alert list and the reorder list."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from fieldapp.auth.access import OFFICE, TECH, allow
from fieldapp.csvfile import csv_text
from fieldapp.dbtypes import utcnow
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.form_values import cents_from_text, optional_id, typed_values
from fieldapp.inventory import queries
from fieldapp.inventory.models import (
    ADJUST_REASONS,
    OPERATION_KINDS,
    PART_CATEGORIES,
    QUANTITY_MAX,
    StockLocation,
    Supplier,
)
from fieldapp.inventory.purchasing import (
    cancel_order,
    draft_orders_from_reorder,
    mark_ordered,
    receive_order,
    require_order,
    save_supplier,
    set_line_quantities,
)
from fieldapp.inventory.restock import (
    ask_for_restock,
    cancel_restock,
    pick_restock,
    receive_restock,
    require_request,
)
from fieldapp.inventory.returns import credit_return, reject_return, require_return, ship_return
from fieldapp.inventory.schemas import (
    LimitsSchema,
    LocationInputSchema,
    PartInputSchema,
    PartQuerySchema,
    RestockReceiptSchema,
    RestockRequestSchema,
    ReturnCreditSchema,
    ReturnQuerySchema,
    ReturnRejectSchema,
    ReturnShipSchema,
    StockOperationSchema,
    SupplierSchema,
)
from fieldapp.inventory.services import (
    apply_stock_operation,
    create_location,
    create_part,
    get_part,
    location_by_id,
    rename_location,
    set_limits,
    set_part_active,
    update_part,
    van_of,
    warehouse,
)
from fieldapp.pdf import asked_paper, html_pdf, pdf_response
from fieldapp.security import local_url
from fieldapp.settings.services import logo_for_pdf
from fieldapp.unit_of_work import unit_of_work
from fieldapp.wire import flat_messages

bp = Blueprint("inventory", __name__)

KIND_TITLES = {
    "receive": "Receive parts",
    "transfer": "Transfer parts",
    "count": "Record a count",
    "adjust": "Adjust a count",
    "return": "Return to the supplier",
}


@bp.get("/van")
@allow(TECH)
def my_van():
    """The parts in my van, low and negative items first; asking for a restock (prefilled
    with what is under its minimum) and confirming one that arrived."""
    van = van_of(current_user.id)
    levels = queries.levels_at(van.id) if van else []
    levels.sort(key=lambda level: (not level.low, level.part.name))
    low = [level for level in levels if level.low]
    return render_template(
        "inventory/van.html",
        van=van,
        levels=levels,
        low=low,
        suggestion=queries.restock_suggestion(levels),
        restocks=queries.restocks_of(current_user.id),
        request_id=uuid.uuid4(),
    )


@bp.post("/van/restock")
@allow(TECH)
def ask_restock():
    """Without JavaScript (the phone's outbox sends the same document as a sync op)."""
    form = request.form
    asked = tuple(k for k in form if k.startswith("qty-"))
    lines = [
        {"sku": key[len("qty-") :], "quantity": value}
        for key, value in typed_values(form, asked, numbers=asked).items()
        if value != 0
    ]
    if form.get("extra-sku", "").strip():
        extra = typed_values(form, ("extra-sku", "extra-qty"), numbers=("extra-qty",))
        lines.append({"sku": extra["extra-sku"], "quantity": extra.get("extra-qty", 0)})
    try:
        data = RestockRequestSchema().load(
            {"id": form.get("id", ""), "lines": lines, "note": form.get("note", "")}
        )
        with unit_of_work():
            restock, again = ask_for_restock(data, current_user)
    except ValidationError as exc:
        flash(" ".join(sum(flat_messages(exc.messages).values(), [])), "error")
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(
            f"{restock.reference} was sent already."
            if again
            else f"Asked the office for a restock ({restock.reference}).",
            "success",
        )
    return redirect(url_for("inventory.my_van"))


@bp.post("/van/restock/<uuid:request_id>/received")
@allow(TECH)
def confirm_restock(request_id):
    form = request.form
    got = tuple(k for k in form if k.startswith("got-"))
    lines = [
        {"sku": key[len("got-") :], "quantity": value}
        for key, value in typed_values(form, got, numbers=got).items()
    ]
    try:
        data = RestockReceiptSchema().load({"request": str(request_id), "lines": lines})
        with unit_of_work():
            restock = require_request(data["request"])
            receive_restock(
                restock,
                {line["sku"]: line["quantity"] for line in data["lines"]},
                tech=current_user,
            )
    except ValidationError as exc:
        flash(" ".join(sum(flat_messages(exc.messages).values(), [])), "error")
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{restock.reference} is in your van.", "success")
    return redirect(url_for("inventory.my_van"))


# -- The catalogue ---------------------------------------------------------------------------


@bp.get("/parts")
@allow(OFFICE)
def parts():
    try:
        args = PartQuerySchema().load(request.args.to_dict())
    except ValidationError:
        args = PartQuerySchema().load({})
    page, rows = queries.find_parts(**args)
    return render_template(
        "inventory/parts.html", page=page, rows=rows, args=args, categories=PART_CATEGORIES
    )


def _part_form(part=None):
    form = request.form
    errors, status = {}, 200
    if request.method == "POST":
        values = typed_values(
            form,
            (
                "sku",
                "name",
                "manufacturer",
                "manufacturer_part_number",
                "category",
                "supplier_id",
                "supplier_part_number",
            ),
            numbers=("supplier_id",),
        )
        values["unit_cost_cents"] = cents_from_text(form.get("unit_cost", "") or "0")
        values["consumable"] = form.get("consumable") == "on"
        values["compatible_models"] = [
            line.strip() for line in form.get("compatible_models", "").splitlines() if line.strip()
        ]
        for name in ("sku", "name"):
            values.setdefault(name, "")
        try:
            data = PartInputSchema().load(values)
            with unit_of_work():
                if part is None:
                    part = create_part(data, actor_id=current_user.id)
                else:
                    update_part(part, data, actor_id=current_user.id)
        except ValidationError as exc:
            errors, status = _form_errors(flat_messages(exc.messages)), 422
            flash("Some fields need attention.", "error")
        except ServiceError as exc:
            errors, status = _form_errors(exc.fields), exc.status
            flash(exc.message, "error")
        else:
            flash(f"Saved {part.name}.", "success")
            return redirect(url_for("inventory.part_detail", sku=part.sku))
    page = render_template(
        "inventory/part_form.html",
        part=part,
        form=form,
        errors=errors,
        categories=PART_CATEGORIES,
        suppliers=queries.suppliers(),
    )
    return page, status


def _form_errors(fields: dict) -> dict:
    """The form names its cost field in dollars."""
    if "unit_cost_cents" in fields:
        fields = {**fields, "unit_cost": ["Enter a price such as 12.50."]}
    return fields


@bp.route("/parts/new", methods=["GET", "POST"])
@allow(OFFICE)
def part_new():
    return _part_form()


@bp.route("/parts/<path:sku>/edit", methods=["GET", "POST"])
@allow(OFFICE)
def part_edit(sku: str):
    return _part_form(get_part(sku))


@bp.get("/parts/<path:sku>")
@allow(OFFICE)
def part_detail(sku: str):
    part = queries.part_with_details(sku)
    if part is None:
        abort(404)
    page_number = optional_id(request.args.get("page")) or 1
    levels = queries.levels_of(part.id)
    return render_template(
        "inventory/part.html",
        part=part,
        levels=levels,
        on_hand=sum(level.quantity for _, level in levels if level is not None),
        movements=queries.movements_of(part.id, page_number),
        costs=queries.cost_history(part.id),
        usage=queries.usage_by_month(part.id),
    )


@bp.post("/parts/<path:sku>/active")
@allow(OFFICE)
def part_active(sku: str):
    part = get_part(sku)
    active = request.form.get("active") == "1"
    with unit_of_work():
        set_part_active(part, active, actor_id=current_user.id)
    flash(
        f"{part.name} is back in the catalogue."
        if active
        else f"{part.name} is deactivated: its history stays.",
        "success",
    )
    return redirect(url_for("inventory.part_detail", sku=part.sku))


@bp.post("/parts/<path:sku>/limits")
@allow(OFFICE)
def part_limits(sku: str):
    """Minimum and maximum at one location (the part page's rows)."""
    part = get_part(sku)
    try:
        location = location_by_id(optional_id(request.form.get("location")) or 0, "location")
        limits = LimitsSchema().load(
            typed_values(request.form, ("minimum", "maximum"), numbers=("minimum", "maximum"))
        )
        with unit_of_work():
            set_limits(part, location, limits["minimum"], limits["maximum"])
    except ValidationError as exc:
        flash(" ".join(sum(flat_messages(exc.messages).values(), [])), "error")
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(
            f"{location.name} keeps {limits['minimum']} to {limits['maximum']} of {part.name}.",
            "success",
        )
    return redirect(url_for("inventory.part_detail", sku=part.sku) + "#levels")


# -- Stock: locations, movements, alerts, reorder ----------------------------------------------


@bp.get("/stock")
@allow(OFFICE)
def stock():
    rows = queries.locations_with_value()
    return render_template(
        "inventory/stock.html",
        rows=rows,
        total_value=sum(row.value_cents for row in rows),
        recent=queries.recent_operations(),
        alerts=queries.alert_totals(),
        has_warehouse=warehouse() is not None,
        techs_without_van=queries.techs_without_van(),
    )


@bp.get("/stock/alerts")
@allow(OFFICE)
def alerts():
    page_number = optional_id(request.args.get("page")) or 1
    per_page = 50
    rows, total, negative = queries.stock_alerts(page_number, per_page)
    pages = max(1, -(-total // per_page))
    return render_template(
        "inventory/alerts.html",
        alerts=rows,
        total=total,
        negative=negative,
        page=_Page(min(page_number, pages), pages),
    )


class _Page:
    """What _pagination.html needs of a page that is not a Flask-SQLAlchemy query."""

    def __init__(self, page: int, pages: int):
        self.page, self.pages = page, pages
        self.has_prev, self.has_next = page > 1, page < pages
        self.prev_num, self.next_num = page - 1, page + 1


@bp.get("/stock/reorder")
@allow(OFFICE)
def reorder():
    rows = queries.reorder_list()
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.part.supplier.name if row.part.supplier else "", []).append(row)
    store = warehouse()
    return render_template(
        "inventory/reorder.html",
        groups=groups,
        count=len(rows),
        warehouse_id=store.id if store else None,
    )


@bp.route("/stock/move/<kind>", methods=["GET", "POST"])
@allow(OFFICE)
def move(kind: str):
    """One form per kind of movement; its hidden id makes a second submit the same movement."""
    if kind not in OPERATION_KINDS:
        abort(404)
    form = request.form if request.method == "POST" else request.args
    errors, status = {}, 200
    if request.method == "POST":
        values = typed_values(
            form,
            ("id", "sku", "quantity", "from", "to", "reason"),
            numbers=("quantity", "from", "to"),
        )
        values["kind"] = kind
        if form.get("unit_cost", "").strip():
            values["unit_cost_cents"] = cents_from_text(form["unit_cost"])
        note = form.get("note", "").strip()
        if note:
            values["reason"] = f"{values.get('reason', '')}: {note}" if kind == "adjust" else note
        try:
            data = StockOperationSchema().load(values)
            with unit_of_work():
                applied = apply_stock_operation(data, current_user)
        except ValidationError as exc:
            errors, status = _form_errors(flat_messages(exc.messages)), 422
            flash("Nothing was recorded: some fields need attention.", "error")
        except ServiceError as exc:
            errors, status = _form_errors(exc.fields), exc.status
            flash(f"Nothing was recorded: {exc.message}", "error")
        else:
            flash(_done_message(applied), "success")
            back = _local(form.get("next"))
            sku = applied.operation.part.sku
            return redirect(back or url_for("inventory.part_detail", sku=sku))
    page = render_template(
        "inventory/move.html",
        kind=kind,
        title=KIND_TITLES[kind],
        form=form,
        errors=errors,
        op_id=form.get("id") or str(uuid.uuid4()),
        back=_local(form.get("next")),
        locations=queries.active_locations(),
        reasons=ADJUST_REASONS,
    )
    return page, status


def _local(target: str | None) -> str:
    """A page of this site to go back to, or nothing."""
    return local_url(target) or ""


def _done_message(applied) -> str:
    operation = applied.operation
    levels = ", ".join(f"{row['location']} now has {row['quantity']}" for row in applied.levels)
    if applied.duplicate:
        return f"This was recorded already; nothing changed. {levels}."
    return f"{KIND_TITLES[operation.kind].split(' ')[0]}: {operation.part.name}. {levels}."


@bp.get("/stock/locations/<int:location_id>")
@allow(OFFICE)
def location_detail(location_id: int):
    location = db.get_or_404(StockLocation, location_id)
    levels = queries.levels_at(location.id)
    return render_template(
        "inventory/location.html",
        location=location,
        levels=levels,
        value_cents=sum(max(level.quantity, 0) * level.part.unit_cost_cents for level in levels),
        sheet=request.args.get("sheet") == "1",
        now=utcnow(),
    )


@bp.post("/stock/locations")
@allow(OFFICE)
def location_new():
    parent = warehouse() if request.form.get("inside") == "warehouse" else None
    try:
        data = LocationInputSchema().load({"name": request.form.get("name", "")})
        with unit_of_work():
            location = create_location(data["name"], parent=parent)
    except ValidationError as exc:
        flash(" ".join(sum(flat_messages(exc.messages).values(), [])), "error")
        return redirect(url_for("inventory.stock"))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("inventory.stock"))
    flash(f"Added {location.name}.", "success")
    return redirect(url_for("inventory.location_detail", location_id=location.id))


@bp.post("/stock/locations/<int:location_id>/name")
@allow(OFFICE)
def location_rename(location_id: int):
    location = db.get_or_404(StockLocation, location_id)
    try:
        data = LocationInputSchema().load({"name": request.form.get("name", "")})
        with unit_of_work():
            rename_location(location, data["name"])
    except ValidationError as exc:
        flash(" ".join(sum(flat_messages(exc.messages).values(), [])), "error")
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Renamed to {location.name}.", "success")
    return redirect(url_for("inventory.location_detail", location_id=location.id))


# -- Restock requests: the office's side ------------------------------------------------------


@bp.get("/stock/restock")
@allow(OFFICE)
def restocks():
    return render_template(
        "inventory/restocks.html",
        waiting=queries.restock_requests(("open",)),
        on_the_way=queries.restock_requests(("picked",)),
    )


@bp.route("/stock/restock/<uuid:request_id>", methods=["GET", "POST"])
@allow(OFFICE)
def restock_detail(request_id):
    restock = require_request(request_id)
    status = 200
    if request.method == "POST":
        sent = {
            line.id: _whole_or_minus(request.form.get(f"sent-{line.id}")) for line in restock.lines
        }
        try:
            with unit_of_work():
                total = pick_restock(restock, sent, actor=current_user)
        except ServiceError as exc:
            flash(exc.message, "error")
            status = exc.status
        else:
            flash(f"Sent {total} part{'s' if total != 1 else ''} to {restock.van.name}.", "success")
            return redirect(url_for("inventory.restocks"))
    store = warehouse()
    return render_template(
        "inventory/restock.html",
        restock=restock,
        form=request.form,
        on_hand={
            level.part_id: level.quantity
            for level in (queries.levels_at(store.id) if store else [])
        },
    ), status


def _whole_or_minus(value: str | None) -> int:
    """A typed quantity; anything that is not a whole number up to QUANTITY_MAX reads as -1
    (refused with the field's message)."""
    value = (value or "").strip()
    if value == "":
        return 0
    return int(value) if re.fullmatch(r"[0-9]{1,6}", value) and int(value) <= QUANTITY_MAX else -1


@bp.post("/stock/restock/<uuid:request_id>/cancel")
@allow(OFFICE)
def restock_cancel(request_id):
    restock = require_request(request_id)
    try:
        with unit_of_work():
            cancel_restock(restock, actor=current_user)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Cancelled {restock.reference}.", "success")
    return redirect(url_for("inventory.restocks"))


# -- Suppliers and purchase orders -------------------------------------------------------------


@bp.route("/stock/suppliers", methods=["GET", "POST"])
@allow(OFFICE)
def suppliers():
    return _supplier_form(None)


@bp.route("/stock/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@allow(OFFICE)
def supplier_edit(supplier_id: int):
    return _supplier_form(db.get_or_404(Supplier, supplier_id))


def _supplier_form(supplier):
    errors, status = {}, 200
    if request.method == "POST":
        values = typed_values(
            request.form,
            ("name", "contact", "email", "phone", "lead_time_days"),
            numbers=("lead_time_days",),
        )
        values.setdefault("name", "")
        try:
            data = SupplierSchema().load(values)
            with unit_of_work():
                saved = save_supplier(data, supplier)
        except ValidationError as exc:
            errors, status = flat_messages(exc.messages), 422
            flash("Some fields need attention.", "error")
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
            flash(exc.message, "error")
        else:
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("inventory.suppliers"))
    page = render_template(
        "inventory/suppliers.html",
        supplier=supplier,
        suppliers=queries.suppliers(),
        form=request.form,
        errors=errors,
    )
    return page, status


@bp.get("/stock/orders")
@allow(OFFICE)
def orders():
    return render_template("inventory/orders.html", orders=queries.purchase_orders())


@bp.post("/stock/orders/from-reorder")
@allow(OFFICE)
def orders_from_reorder():
    with unit_of_work():
        drafts, skipped = draft_orders_from_reorder(actor=current_user)
    if drafts:
        numbers = ", ".join(order.number for order in drafts)
        flash(f"Draft orders ready to check: {numbers}.", "success")
    else:
        flash("The warehouse is short of nothing a supplier sells: no order to draft.", "info")
    if skipped:
        names = ", ".join(sorted({part.name for part in skipped}))
        flash(f"No supplier set, so not ordered: {names}.", "warning")
    return redirect(url_for("inventory.orders"))


@bp.get("/stock/orders/<int:order_id>")
@allow(OFFICE)
def order_detail(order_id: int):
    order = require_order(order_id)
    return render_template(
        "inventory/order.html",
        order=order,
        delivery_id=uuid.uuid4(),
        form=request.form,
        printing=request.args.get("print") == "1",
    )


@bp.get("/stock/orders/<int:order_id>.csv")
@allow(OFFICE)
def order_csv(order_id: int):
    order = require_order(order_id)
    rows = [
        ("sku", "supplier_part_number", "name", "deliver_to", "quantity", "unit_cost", "received")
    ]
    rows += [
        (
            line.part.sku,
            line.part.supplier_part_number,
            line.part.name,
            line.location.name,
            line.quantity,
            f"{line.unit_cost_cents / 100:.2f}",
            line.received,
        )
        for line in order.lines
    ]
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{order.number}.csv"'},
    )


@bp.get("/stock/orders/<int:order_id>.pdf")
@allow(OFFICE)
def order_pdf(order_id: int):
    """The order as a PDF to send to the supplier (Letter, or ?paper=a4)."""
    paper = asked_paper()
    order = require_order(order_id)
    html = render_template("inventory/order_print.html", order=order)
    return pdf_response(html_pdf(html, paper=paper, files=logo_for_pdf()), f"{order.number}.pdf")


@bp.post("/stock/orders/<int:order_id>/<action>")
@allow(OFFICE)
def order_action(order_id: int, action: str):
    """Change a draft's quantities, send it, cancel it, or record a delivery."""
    order = require_order(order_id)
    form = request.form
    try:
        with unit_of_work():
            if action == "lines":
                set_line_quantities(
                    order,
                    {
                        line.id: _whole_or_minus(form.get(f"quantity-{line.id}"))
                        for line in order.lines
                        if form.get(f"quantity-{line.id}", "").strip()
                    },
                )
                message = f"Saved {order.number}."
            elif action == "ordered":
                mark_ordered(order, actor=current_user)
                message = f"{order.number} is ordered from {order.supplier.name}."
            elif action == "cancel":
                cancel_order(order, actor=current_user)
                message = f"Cancelled {order.number}."
            elif action == "receive":
                delivery = _uuid(form.get("delivery"))
                received = receive_order(
                    order,
                    {
                        line.id: _whole_or_minus(form.get(f"received-{line.id}"))
                        for line in order.lines
                    },
                    delivery_id=delivery,
                    actor=current_user,
                )
                message = (
                    f"Received {received} part{'s' if received != 1 else ''} on {order.number}."
                    if received
                    else "Nothing new was recorded (this delivery was recorded already, or "
                    "every quantity was 0)."
                )
            else:
                abort(404)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(message, "success")
    return redirect(url_for("inventory.order_detail", order_id=order.id))


def _uuid(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return uuid.uuid4()


# -- Defective returns -------------------------------------------------------------------------

RETURNS_PER_PAGE = 50
RETURN_ACTIONS = {
    "ship": (ReturnShipSchema, ship_return, "{ref} is shipped under RMA {rma}."),
    "credit": (ReturnCreditSchema, credit_return, "{ref} is credited: ${credit:,.2f}."),
    "reject": (ReturnRejectSchema, reject_return, "{ref} is closed as rejected."),
}


@bp.get("/stock/returns")
@allow(OFFICE)
def returns():
    """Defective parts on their way back to suppliers: what is open and what it is worth."""
    try:
        args = ReturnQuerySchema().load(request.args.to_dict())
    except ValidationError:
        args = ReturnQuerySchema().load({})
    rows, total = queries.part_returns(args["state"], args["page"], RETURNS_PER_PAGE)
    pages = max(1, -(-total // RETURNS_PER_PAGE))
    return render_template(
        "inventory/returns.html",
        rows=rows,
        total=total,
        totals=queries.return_totals(),
        state=args["state"],
        page=_Page(min(args["page"], pages), pages),
    )


@bp.get("/stock/returns/<int:return_id>")
@allow(OFFICE)
def part_return(return_id: int):
    return _return_page(require_return(return_id))


def _return_page(part_return, errors=None, status=200):
    page = render_template(
        "inventory/return.html", ret=part_return, form=request.form, errors=errors or {}
    )
    return page, status


@bp.post("/stock/returns/<int:return_id>/<action>")
@allow(OFFICE)
def return_action(return_id: int, action: str):
    """Ship a return (RMA number), record its credit, or close it as rejected."""
    if action not in RETURN_ACTIONS:
        abort(404)
    schema, service, said = RETURN_ACTIONS[action]
    part_return = require_return(return_id)
    form = request.form
    values = typed_values(form, ("rma_number", "note"))
    if action == "credit" and form.get("credit", "").strip():
        values["credit_cents"] = cents_from_text(form["credit"])
    if action == "reject":  # the reject form's note is the supplier's reason
        values = typed_values(form, ("reason",))
        values["note"] = values.pop("reason", "")
    try:
        data = schema().load(values)
        with unit_of_work():
            service(part_return, data, current_user)
    except ValidationError as exc:
        flash("Some fields need attention.", "error")
        errors = flat_messages(exc.messages)
        renamed = {"credit_cents": "credit"} | ({"note": "reason"} if action == "reject" else {})
        errors = {renamed.get(name, name): texts for name, texts in errors.items()}
        return _return_page(part_return, errors, 422)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(
            said.format(
                ref=part_return.reference,
                rma=part_return.rma_number,
                credit=(part_return.credit_cents or 0) / 100,
            ),
            "success",
        )
    return redirect(url_for("inventory.part_return", return_id=part_return.id))
