"""Label printing: one label as PNG or SVG, batch print pages and PDFs, new and replaced labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from fieldapp.auth.access import OFFICE, STAFF, allow
from fieldapp.customers.models import Customer
from fieldapp.customers.queries import customer_choices
from fieldapp.equipment import labels, services
from fieldapp.equipment.models import Equipment, short_code
from fieldapp.equipment.queries import active_plotter_counts, plotters_by_id, plotters_of
from fieldapp.equipment.services import MAX_UNCLAIMED_BATCH, resolve_code
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.settings.services import company, logo_png
from fieldapp.unit_of_work import unit_of_work
from fieldapp.wire import INT32_MAX

bp = Blueprint("printing", __name__)

MAX_BATCH = 300
LABEL_CACHE_SECONDS = 300


@dataclass
class Batch:
    """The labels a print request asks for, in print order, and the query that asked."""

    contents: list[labels.LabelContent] = field(default_factory=list)
    query: dict[str, object] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return ", ".join(self.names) or "Print labels"


def label_content(token: str, equipment: Equipment | None) -> labels.LabelContent:
    """What the label for this token says (plotter details only once it is claimed)."""
    config, profile = current_app.config, company()
    content = labels.LabelContent(
        url=f"{config['PUBLIC_URL']}/e/{token}",
        code=short_code(token),
        company=profile.name,
        tagline=profile.label_text,
        logo=logo_png(),
    )
    if equipment is None:
        return content
    return replace(
        content, make=equipment.make, model=equipment.model, serial=equipment.serial_number
    )


def requested_stock(key: str | None = None) -> labels.Stock:
    """The ?stock= (or given) label stock; a 400 page listing the stocks when it is unknown."""
    try:
        return labels.get_stock(request.args.get("stock") if key is None else key)
    except labels.UnknownStock as exc:
        abort(400, description=str(exc))


def _printable(token: str) -> tuple[str, Equipment | None]:
    """A token that may be printed: active or unclaimed. Revoked labels are never reprinted."""
    found = resolve_code(token)
    if found.state in ("unknown", "revoked"):
        abort(404, description=f"There is no printable label with the code “{token}”.")
    return found.token, found.equipment


def customer_plotters(customer_id: int) -> tuple[Customer, list[Equipment]]:
    """A customer and its active plotters, in the order the plotter lists show them."""
    customer = db.get_or_404(Customer, customer_id, description="That customer does not exist.")
    return customer, plotters_of(customer.id)


def selected_plotters(ids: list[int]) -> list[Equipment]:
    """The plotters with these ids, in the order given."""
    found = plotters_by_id(ids)
    missing = [str(i) for i in ids if i not in found]
    if missing:
        abort(404, description=f"No plotter with id {', '.join(missing)}.")
    return [found[i] for i in ids]


def customers_with_plotter_counts() -> list[tuple[Customer, int]]:
    """Every active customer with how many active plotters it has, for the batch form."""
    customers = customer_choices()
    counts = active_plotter_counts([customer.id for customer in customers])
    return [(customer, counts[customer.id]) for customer in customers]


def _int_arg(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= INT32_MAX:
        abort(400, description=f"“{value}” is not a valid {name}.")
    return number


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _plotter_name(equipment: Equipment) -> str:
    return f"{equipment.display_name} SN {equipment.serial_number}"


def requested_batch() -> Batch:
    """The labels named by ?customer=, ?equipment= (repeatable) and ?tokens=, in that order."""
    batch = Batch()
    customer_arg = request.args.get("customer", "").strip()
    if customer_arg:
        customer, plotters = customer_plotters(_int_arg(customer_arg, "customer"))
        batch.query["customer"] = customer.id
        batch.names.append(customer.name)
        batch.contents += [label_content(p.qr_token, p) for p in plotters]
    ids = [_int_arg(value, "plotter id") for value in request.args.getlist("equipment") if value]
    if ids:
        batch.query["equipment"] = ids
        plotters = selected_plotters(ids)
        batch.names.append(
            _plotter_name(plotters[0])
            if len(plotters) == 1
            else _plural(len(plotters), "selected plotter")
        )
        batch.contents += [label_content(p.qr_token, p) for p in plotters]
    codes = [code.strip() for code in request.args.get("tokens", "").split(",") if code.strip()]
    if codes:
        printable = [_printable(code) for code in codes]
        batch.query["tokens"] = ",".join(token for token, _ in printable)
        plotters = [equipment for _, equipment in printable if equipment is not None]
        if not plotters:
            batch.names.append(_plural(len(printable), "new label"))
        elif len(printable) == 1:
            batch.names.append(_plotter_name(plotters[0]))
        else:
            batch.names.append(_plural(len(printable), "label"))
        batch.contents += [label_content(token, equipment) for token, equipment in printable]
    if len(batch.contents) > MAX_BATCH:
        abort(400, description=f"Print at most {MAX_BATCH} labels at a time.")
    return batch


def requested_skip(stock: labels.Stock) -> int:
    """How many positions of a partly used sheet to leave empty (?start= is 1-based)."""
    start = request.args.get("start", "").strip()
    if not start or not stock.is_sheet:
        return 0
    number = _int_arg(start, "start position")
    if not 1 <= number <= stock.per_page:
        abort(400, description=f"Start at a position from 1 to {stock.per_page}.")
    return number - 1


def _label_response(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Labels change when the plotter is edited: cache briefly, revalidate by ETag.
    response.cache_control.private = True
    response.cache_control.max_age = LABEL_CACHE_SECONDS
    response.add_etag()
    return response.make_conditional(request)


def _single_label(token: str) -> tuple[labels.LabelLayout, str]:
    stock = requested_stock()
    token, equipment = _printable(token)
    layout = labels.lay_out(label_content(token, equipment), stock)
    return layout, f"label-{short_code(token)}-{stock.key}"


@bp.get("/e/<token>/label.png")
@allow(STAFF)
def label_png(token: str):
    """One label as a PNG at 300 dpi, at the stock's exact size."""
    layout, name = _single_label(token)
    return _label_response(labels.render_png(layout), "image/png", f"{name}.png")


@bp.get("/e/<token>/label.svg")
@allow(STAFF)
def label_svg(token: str):
    """One label as SVG, sized in millimetres."""
    layout, name = _single_label(token)
    response = _label_response(labels.render_svg(layout), "image/svg+xml", f"{name}.svg")
    # Opened directly, an SVG is a document: let it draw but never run anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/labels/stocks/<key>.css")
@allow(STAFF)
def stock_stylesheet(key: str):
    """Paper size and label positions of one stock, for the print page."""
    response = Response(labels.stock_stylesheet(requested_stock(key)), mimetype="text/css")
    response.cache_control.private = True
    response.cache_control.max_age = LABEL_CACHE_SECONDS
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/labels/print")
@allow(OFFICE)
def print_page():
    """A print page for a batch: every label at its exact place on the stock's pages."""
    stock = requested_stock()
    batch = requested_batch()
    skip = requested_skip(stock)
    pages = labels.paginate(batch.contents, stock, skip=skip)
    return render_template(
        "equipment/labels_print.html",
        stock=stock,
        stocks=labels.STOCKS.values(),
        batch=batch,
        pages=pages,
        start=skip + 1,
        render_svg=labels.render_svg,
    )


@bp.get("/labels/print.pdf")
@allow(OFFICE)
def print_pdf():
    """The same batch as a PDF made on the server (300 dpi pages of the stock's exact size)."""
    stock = requested_stock()
    batch = requested_batch()
    if not batch.contents:
        abort(400, description="Choose what to print: a customer, plotters or label codes.")
    pages = labels.paginate(batch.contents, stock, skip=requested_skip(stock))
    slug = re.sub(r"[^a-z0-9]+", "-", batch.title.lower()).strip("-")[:60] or "labels"
    response = Response(labels.render_pdf(pages, stock), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="labels-{slug}-{stock.key}.pdf"'
    )
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _new_labels_page(errors: dict | None = None, form: dict | None = None, status: int = 200):
    page = render_template(
        "equipment/labels_new.html",
        customers=customers_with_plotter_counts(),
        stocks=labels.STOCKS.values(),
        default_stock=labels.DEFAULT_STOCK,
        max_count=MAX_UNCLAIMED_BATCH,
        errors=errors or {},
        form=form or {},
    )
    return page, status


@bp.get("/labels/new")
@allow(OFFICE)
def new_labels():
    """Start a batch: a customer's plotters, or new labels printed in advance."""
    return _new_labels_page()


@bp.post("/labels/unclaimed")
@allow(OFFICE)
def issue_unclaimed():
    """Make N unclaimed label tokens and open their print page."""
    form = request.form.to_dict()
    key = form.get("stock", "")
    if key.strip().lower() not in labels.STOCKS:
        return _new_labels_page({"stock": ["Choose a label stock from the list."]}, form, 422)
    try:
        count = int(form.get("count", "").strip())
    except ValueError:
        message = f"Enter a whole number of labels, from 1 to {MAX_UNCLAIMED_BATCH}."
        return _new_labels_page({"count": [message]}, form, 422)
    try:
        with unit_of_work():
            issued = services.issue_unclaimed_labels(count, actor_id=current_user.id)
    except Invalid as exc:
        return _new_labels_page(exc.fields, form, 422)
    flash(
        f"{_plural(len(issued), 'new label')} ready to print. "
        "A tech links each one to a plotter by scanning it on site.",
        "success",
    )
    tokens = ",".join(label.token for label in issued)
    return redirect(url_for("printing.print_page", tokens=tokens, stock=key.strip().lower()))


@bp.post("/e/<token>/label/replace")
@allow(OFFICE)
def replace_label(token: str):
    """Issue a new label for a plotter (lost or damaged), optionally revoking the old one."""
    found = resolve_code(token)
    if found.state != "active" or found.equipment is None:
        abort(404, description=f"There is no plotter with the label code “{token}”.")
    stock = request.form.get("stock", "").strip().lower() or labels.DEFAULT_STOCK
    if stock not in labels.STOCKS:
        stock = labels.DEFAULT_STOCK
    equipment = found.equipment
    old_code = equipment.short_code
    revoke_old = request.form.get("revoke_old", "") not in ("", "0", "false", "off")
    with unit_of_work():
        new = services.replace_label(equipment, revoke_old=revoke_old, actor_id=current_user.id)
    if revoke_old:
        old_note = f"The old label {old_code} no longer works: a scan of it says it was replaced."
    else:
        old_note = f"The old label {old_code} still opens this plotter too."
    flash(f"New label {short_code(new.token)} for {equipment.display_name}. {old_note}", "success")
    return redirect(url_for("printing.print_page", tokens=new.token, stock=stock))
